import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Delivery } from '../../../../libs/db/entities';
import type { Stores, TenantScope } from '../../../../libs/db/repositories';
import { isFinal } from '../../../../libs/domain/delivery-lifecycle';
import { DeliveryService, type RetryOutcome } from '../../../../libs/temporal/delivery-service';
import { deliveryWorkflowId } from '../../../../libs/temporal/names';
import { within } from '../common/concurrency';
import { DeliveryNotRunning, DeliveryWaitingTurn, NotFound } from '../common/errors';
import { decodeCursor, DEFAULT_LIMIT, timeRange, toPage, type Page } from '../common/pagination';
import { callTemporal } from '../common/temporal-call';
import { STORES } from '../infrastructure/tokens';
import { toAttemptView } from './dto/attempt.view';
import {
  toDeliveryView,
  toStreamView,
  type CancelAccepted,
  type DeliveryDetail,
  type DeliveryView,
  type LiveDeliveryState,
  type RetryAccepted,
  type StreamView,
} from './dto/delivery.view';
import type { ListDeliveriesQuery } from './dto/list-deliveries.query';

/** The live view is a nicety: a slow or unreachable Temporal leaves it null instead of failing the request. */
const LIVE_STATE_TIMEOUT_MS = 2_000;

@Injectable()
export class DeliveriesService {
  private readonly logger = new Logger('DeliveriesService');

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'deliveries' | 'attempts' | 'streams'>,
    @Inject(DeliveryService) private readonly engine: DeliveryService,
  ) {}

  async list(q: ListDeliveriesQuery, scope: TenantScope): Promise<Page<DeliveryView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const cursor = decodeCursor('delivery', q.cursor);
    const filter = { ...scope, subscriptionId: q.subscriptionId, eventId: q.eventId, eventType: q.eventType, status: q.status, ...timeRange(q) };
    return toPage(await this.stores.deliveries.listPage(filter, { cursor, limit }), limit, toDeliveryView);
  }

  async get(id: string, scope: TenantScope): Promise<DeliveryDetail> {
    const d = await this.find(id, scope);
    const [attempts, live, stream] = await Promise.all([this.stores.attempts.listForDelivery(d.id), this.liveState(d), this.streamOf(d)]);
    return { ...toDeliveryView(d), stream, attempts: attempts.map(toAttemptView), live, temporalUiUrl: this.engine.uiLink(d) };
  }

  /** A `fifo` delivery still to end: its stream's head, since when, and how many wait behind it. */
  private async streamOf(d: Delivery): Promise<StreamView | null> {
    if (d.sequence === null || d.releasedAt !== null) return null;
    const [head] = await this.stores.streams.heads(d.subscriptionId, { orderingKey: d.orderingKey ?? '' });
    return head ? toStreamView(head) : null;
  }

  /** A `fifo` delivery that has not had its turn yet (it makes no attempt before). */
  private waitingTurn(d: Delivery): boolean {
    return d.sequence !== null && d.turnAt === null && d.releasedAt === null && !isFinal(d.status);
  }

  async retry(id: string, scope: TenantScope): Promise<RetryAccepted> {
    const d = await this.find(id, scope);
    return { id: d.id, mode: await this.retryDelivery(d) };
  }

  /**
   * Retries a delivery: a running one has its wait cut short, a finished one gets a new run with
   * one `manual` attempt. A finished delivery is marked `pending` first so the log (and a bulk
   * dead-letter retry) sees the retry in flight; if nothing was restarted the mark is undone.
   */
  async retryDelivery(d: Delivery): Promise<RetryOutcome> {
    if (this.waitingTurn(d)) throw new DeliveryWaitingTurn(d.id, (await this.streamOf(d))?.headId ?? null);
    const previous = d.status;
    if (isFinal(previous)) await this.stores.deliveries.reopen(d, new Date());
    let mode: RetryOutcome | undefined;
    try {
      mode = await callTemporal(this.engine.retry(d));
      // A delivery finished inline by its event workflow is held by a delivery workflow from now on.
      if (mode === 'restarted') await this.stores.deliveries.setWorkflow(d.id, deliveryWorkflowId(d.eventId, d.subscriptionId));
      return mode;
    } finally {
      if (isFinal(previous) && mode !== 'restarted') await this.stores.deliveries.undoReopen(d.id, previous);
      if (mode) this.logger.log(`delivery ${d.id}: retry ${mode}`);
    }
  }

  async cancel(id: string): Promise<CancelAccepted> {
    const d = await this.find(id, {});
    if (isFinal(d.status)) throw new DeliveryNotRunning(d.id, d.status);
    if (this.waitingTurn(d)) {
      // Held by its event workflow, waiting for its turn: cancelled here, then that workflow looks again and lets it go.
      await this.stores.deliveries.markCancelled(d.id, 'cancelled by an operator', new Date());
      await callTemporal(this.engine.wakeInStream(d.workflowId, d.id));
      this.logger.log(`delivery ${d.id}: cancelled while waiting for its turn`);
      return { id: d.id, status: 'cancelling' };
    }
    const signalled = await callTemporal(this.engine.cancel(d, 'cancelled by an operator'));
    if (!signalled) throw new DeliveryNotRunning(d.id, d.status);
    this.logger.log(`delivery ${d.id}: cancel signalled`);
    return { id: d.id, status: 'cancelling' };
  }

  /** Another tenant's delivery is not found, exactly like one that does not exist. */
  async find(id: string, scope: TenantScope): Promise<Delivery> {
    const d = await this.stores.deliveries.find(id, scope);
    if (!d) throw new NotFound('delivery', id);
    return d;
  }

  private async liveState(d: Delivery): Promise<LiveDeliveryState | null> {
    if (isFinal(d.status)) return null;
    try {
      return await within(LIVE_STATE_TIMEOUT_MS, this.engine.state(d), () => new Error('no answer from Temporal'));
    } catch (err) {
      this.logger.warn(`delivery ${d.id}: live state unavailable (${(err as Error).message})`);
      return null;
    }
  }
}
