import { Inject, Injectable, Logger } from '@nestjs/common';
import { Event } from '../../../../libs/db/entities';
import type { Stores } from '../../../../libs/db/repositories';
import { newId } from '../../../../libs/domain/ids';
import { DeliveryService } from '../../../../libs/temporal/delivery-service';
import { parseTraceparent } from '../../../../libs/delivery/trace-context';
import { IdempotencyConflict, NotFound, ValidationFailed } from '../common/errors';
import { callTemporal } from '../common/temporal-call';
import { STORES } from '../infrastructure/tokens';
import { Metrics } from '../metrics/metrics.service';
import type { IngestEventDto } from './dto/ingest-event.dto';
import { EventCatalog } from '../event-types/event-catalog';
import { canonical } from '../common/canonical-json';
import type { EventAccepted, EventView } from './dto/event.view';

/** Idempotency-Key: 1..255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Injectable()
export class EventsService {
  private readonly logger = new Logger('EventsService');

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'events' | 'deliveries'>,
    @Inject(DeliveryService) private readonly deliveries: DeliveryService,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
  ) {}

  /**
   * Accepts an event: stores it, then starts its event workflow, and only then answers 202.
   * Idempotent by `id` or Idempotency-Key: a repeat with the same body gets the same answer and
   * starts nothing new (the workflow start is idempotent by workflow id); a repeat with another
   * body is a conflict. When Temporal cannot be reached the row stays; a repeat or the
   * reconciler starts it later. A W3C `traceparent` sent with the event is kept and passed to
   * receivers; a malformed one is ignored, as W3C Trace Context asks of a receiver.
   */
  async ingest(dto: IngestEventDto, idempotencyKey: string | undefined, traceparent?: string): Promise<EventAccepted> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationFailed('The Idempotency-Key header must be 1 to 255 visible ASCII characters', { header: 'idempotency-key' }, 'invalid_idempotency_key');
    }
    await this.catalog.checkEvent(dto.type, dto.data);

    const candidate: Event = Object.assign(new Event(), {
      id: dto.id ?? newId('event'),
      type: dto.type,
      templateId: dto.templateId ?? null,
      traceId: dto.traceId ?? null,
      traceparent: parseTraceparent(traceparent)?.header ?? null,
      data: dto.data,
      idempotencyKey: idempotencyKey ?? null,
      receivedAt: new Date(),
      workflowStartedAt: null,
    });

    let event = await this.findPrior(dto.id, idempotencyKey);
    let isNew = false;
    if (!event) {
      isNew = await this.stores.events.insertIfAbsent(candidate);
      // Lost a race with a concurrent post of the same id or key: theirs is the event.
      event = isNew ? candidate : await this.findPrior(dto.id, idempotencyKey);
      if (!event) throw new Error(`event ${candidate.id} neither inserted nor found`);
    }
    if (!isNew) this.assertSameEvent(event, dto);

    if (!event.workflowStartedAt) {
      await callTemporal(this.deliveries.startEvent(event.id));
      await this.stores.events.markWorkflowStarted(event.id);
    }
    if (isNew) {
      this.metrics.eventAccepted();
      this.logger.log(`event ${event.id} (${event.type}) accepted`);
    }
    return { id: event.id, status: 'accepted' };
  }

  async get(id: string): Promise<EventView> {
    const event = await this.stores.events.find(id);
    if (!event) throw new NotFound('event', id);
    const deliveries = await this.stores.deliveries.listForEvent(id);
    return {
      id: event.id,
      type: event.type,
      templateId: event.templateId,
      traceId: event.traceId,
      traceparent: event.traceparent,
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
      prior.type === dto.type &&
      prior.templateId === (dto.templateId ?? null) &&
      prior.traceId === (dto.traceId ?? null) &&
      canonical(prior.data) === canonical(dto.data);
    if (!same) throw new IdempotencyConflict(prior.id, by);
  }
}
