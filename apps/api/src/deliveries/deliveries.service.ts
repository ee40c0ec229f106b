import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { Attempt, Delivery } from '../../../../libs/db/entities';
import { FINAL_DELIVERY_STATUSES } from '../../../../libs/domain/types';
import { DeliveryService, type RetryOutcome } from '../../../../libs/temporal/delivery-service';
import { within } from '../common/concurrency';
import { DeliveryNotRunning, NotFound } from '../common/errors';
import { decodeCursor, DEFAULT_LIMIT, timeRange, toPage, type Page } from '../common/pagination';
import { callTemporal } from '../common/temporal-call';
import { toAttemptView } from './dto/attempt.view';
import { toDeliveryView, type CancelAccepted, type DeliveryDetail, type DeliveryView, type LiveDeliveryState, type RetryAccepted } from './dto/delivery.view';
import type { ListDeliveriesQuery } from './dto/list-deliveries.query';

/** The live view is a nicety: a slow or unreachable Temporal leaves it null instead of failing the request. */
const LIVE_STATE_TIMEOUT_MS = 2_000;

@Injectable()
export class DeliveriesService {
  private readonly logger = new Logger('DeliveriesService');
  private readonly repo: Repository<Delivery>;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DeliveryService) private readonly engine: DeliveryService,
  ) {
    this.repo = dataSource.getRepository(Delivery);
  }

  async list(q: ListDeliveriesQuery): Promise<Page<DeliveryView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const before = decodeCursor('delivery', q.cursor);
    const { since, until } = timeRange(q);
    const qb = this.repo.createQueryBuilder('d').orderBy('d.id', 'DESC').limit(limit + 1);
    if (before) qb.andWhere('d.id < :before', { before });
    if (q.subscriptionId) qb.andWhere('d.subscription_id = :subscriptionId', { subscriptionId: q.subscriptionId });
    if (q.eventId) qb.andWhere('d.event_id = :eventId', { eventId: q.eventId });
    if (q.eventType) qb.andWhere('d.event_type = :eventType', { eventType: q.eventType });
    if (q.status) qb.andWhere('d.status = :status', { status: q.status });
    if (since) qb.andWhere('d.created_at >= :since', { since });
    if (until) qb.andWhere('d.created_at <= :until', { until });
    return toPage(await qb.getMany(), limit, toDeliveryView);
  }

  async get(id: string): Promise<DeliveryDetail> {
    const d = await this.find(id);
    const [attempts, live] = await Promise.all([
      this.dataSource.getRepository(Attempt).find({ where: { deliveryId: d.id }, order: { number: 'ASC', id: 'ASC' } }),
      this.liveState(d),
    ]);
    return { ...toDeliveryView(d), attempts: attempts.map(toAttemptView), live, temporalUiUrl: this.engine.uiLink(d) };
  }

  async retry(id: string): Promise<RetryAccepted> {
    const d = await this.find(id);
    return { id: d.id, mode: await this.retryDelivery(d) };
  }

  /**
   * Retries a delivery: a running one has its wait cut short, a finished one gets a new run with
   * one `manual` attempt. A finished delivery is marked `pending` first so the log (and a bulk
   * dead-letter retry) sees the retry in flight; if nothing was restarted the mark is undone.
   */
  async retryDelivery(d: Delivery): Promise<RetryOutcome> {
    const finished = FINAL_DELIVERY_STATUSES.includes(d.status);
    if (finished) await this.repo.update({ id: d.id, status: d.status }, { status: 'pending', nextAttemptAt: null, updatedAt: new Date() });
    let mode: RetryOutcome | undefined;
    try {
      mode = await callTemporal(this.engine.retry(d));
      return mode;
    } finally {
      if (finished && mode !== 'restarted') await this.repo.update({ id: d.id, status: 'pending' }, { status: d.status });
      if (mode) this.logger.log(`delivery ${d.id}: retry ${mode}`);
    }
  }

  async cancel(id: string): Promise<CancelAccepted> {
    const d = await this.find(id);
    if (FINAL_DELIVERY_STATUSES.includes(d.status)) throw new DeliveryNotRunning(d.id, d.status);
    const signalled = await callTemporal(this.engine.cancel(d, 'cancelled by an operator'));
    if (!signalled) throw new DeliveryNotRunning(d.id, d.status);
    this.logger.log(`delivery ${d.id}: cancel signalled`);
    return { id: d.id, status: 'cancelling' };
  }

  async find(id: string): Promise<Delivery> {
    const d = await this.repo.findOneBy({ id });
    if (!d) throw new NotFound('delivery', id);
    return d;
  }

  private async liveState(d: Delivery): Promise<LiveDeliveryState | null> {
    if (FINAL_DELIVERY_STATUSES.includes(d.status)) return null;
    try {
      return await within(LIVE_STATE_TIMEOUT_MS, this.engine.state(d), () => new Error('no answer from Temporal'));
    } catch (err) {
      this.logger.warn(`delivery ${d.id}: live state unavailable (${(err as Error).message})`);
      return null;
    }
  }
}
