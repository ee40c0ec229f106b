import { Inject, Injectable, Logger } from '@nestjs/common';
import { Event } from '../../../../libs/db/entities';
import type { Stores } from '../../../../libs/db/repositories';
import { newId } from '../../../../libs/domain/ids';
import { isOperationalEventType } from '../../../../libs/domain/operational-events';
import { DEFAULT_TENANT_ID, OPERATOR_TENANT_ID } from '../../../../libs/domain/tenants';
import type { Dispatcher } from '../../../../libs/temporal/dispatcher';
import { parseTraceparent } from '../../../../libs/delivery/trace-context';
import { canonical } from '../common/canonical-json';
import { IdempotencyConflict, NotFound, OperatorTenantReserved, ReservedEventType, ValidationFailed } from '../common/errors';
import { EventCatalog } from '../event-types/event-catalog';
import { DISPATCHER, STORES } from '../infrastructure/tokens';
import { Metrics } from '../metrics/metrics.service';
import type { IngestEventDto } from './dto/ingest-event.dto';
import type { EventAccepted, EventView } from './dto/event.view';

/** Idempotency-Key: 1..255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Injectable()
export class EventsService {
  private readonly logger = new Logger('EventsService');

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'events' | 'deliveries'>,
    @Inject(DISPATCHER) private readonly dispatcher: Pick<Dispatcher, 'wake'>,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
  ) {}

  /**
   * Accepts an event: 202 once its row is committed (docs/architecture.md, *Durable accept*).
   * The dispatcher, woken here, starts its workflow; Temporal is never waited on. Idempotent by
   * `id` or Idempotency-Key: a repeat with the same body gets the same answer and starts
   * nothing new; a repeat with another body is a conflict. A W3C `traceparent` sent with the
   * event is kept and passed to receivers; a malformed one is ignored, as W3C Trace Context asks.
   */
  async ingest(dto: IngestEventDto, idempotencyKey: string | undefined, traceparent?: string): Promise<EventAccepted> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationFailed(
        'The Idempotency-Key header must be 1 to 255 visible ASCII characters',
        { header: 'idempotency-key' },
        'invalid_idempotency_key',
      );
    }
    if (isOperationalEventType(dto.type)) throw new ReservedEventType(dto.type);
    if (dto.tenantId === OPERATOR_TENANT_ID) {
      throw new OperatorTenantReserved(`No events are posted for ${OPERATOR_TENANT_ID}: it receives Herald's operational events of every tenant`, {
        field: 'tenantId',
      });
    }
    try {
      await this.catalog.checkEvent(dto.type, dto.data);
    } catch (err) {
      // A producer's retry of an event accepted before its type was archived (or its schema
      // tightened) is still that event: it gets the answer it got then, not a 422.
      const prior = dto.id !== undefined || idempotencyKey !== undefined ? await this.findPrior(dto.id, idempotencyKey) : null;
      if (!prior) throw err;
      this.assertSameEvent(prior, dto);
      return { id: prior.id, status: 'accepted' };
    }

    const candidate: Event = Object.assign(new Event(), {
      id: dto.id ?? newId('event'),
      tenantId: dto.tenantId ?? DEFAULT_TENANT_ID,
      type: dto.type,
      templateId: dto.templateId ?? null,
      traceId: dto.traceId ?? null,
      orderingKey: dto.orderingKey ?? null,
      traceparent: parseTraceparent(traceparent)?.header ?? null,
      data: dto.data,
      idempotencyKey: idempotencyKey ?? null,
      receivedAt: new Date(),
      workflowStartedAt: null,
    });

    // Insert first: a new event (the common case) costs one statement, its commit.
    const isNew = await this.stores.events.insertIfAbsent(candidate);
    // Else its id or key exists (a repeat, or a concurrent post of the same one): theirs is the event.
    const event = isNew ? candidate : await this.findPrior(dto.id, idempotencyKey);
    if (!event) throw new Error(`event ${candidate.id} neither inserted nor found`);
    if (!isNew) this.assertSameEvent(event, dto);

    if (!event.workflowStartedAt) this.dispatcher.wake();
    if (isNew) {
      this.metrics.eventAccepted();
      this.logger.log(`event ${event.id} (${event.type}) of tenant ${event.tenantId} accepted`);
    }
    return { id: event.id, status: 'accepted' };
  }

  async get(id: string): Promise<EventView> {
    const event = await this.stores.events.find(id);
    if (!event) throw new NotFound('event', id);
    const deliveries = await this.stores.deliveries.listForEvent(id);
    return {
      id: event.id,
      tenantId: event.tenantId,
      type: event.type,
      templateId: event.templateId,
      traceId: event.traceId,
      traceparent: event.traceparent,
      orderingKey: event.orderingKey,
      data: event.data,
      receivedAt: event.receivedAt,
      deliveries: deliveries.map((d) => ({ id: d.id, subscriptionId: d.subscriptionId, status: d.status, attemptCount: d.attemptCount })),
    };
  }

  private async findPrior(id: string | undefined, key: string | undefined): Promise<Event | null> {
    if (id !== undefined) {
      const byId = await this.stores.events.find(id);
      if (byId) return byId;
    }
    return key === undefined ? null : this.stores.events.findByIdempotencyKey(key);
  }

  /** `prior` was found by the posted id, or else by the Idempotency-Key (then a different posted id is a conflict too). */
  private assertSameEvent(prior: Event, dto: IngestEventDto): void {
    const by = dto.id !== undefined && prior.id === dto.id ? 'id' : 'idempotency_key';
    const same =
      (dto.id === undefined || dto.id === prior.id) &&
      prior.tenantId === (dto.tenantId ?? DEFAULT_TENANT_ID) &&
      prior.type === dto.type &&
      prior.templateId === (dto.templateId ?? null) &&
      prior.traceId === (dto.traceId ?? null) &&
      prior.orderingKey === (dto.orderingKey ?? null) &&
      canonical(prior.data) === canonical(dto.data);
    if (!same) throw new IdempotencyConflict(prior.id, by);
  }
}
