import { Inject, Injectable, Logger } from '@nestjs/common';
import { Event } from '../../../../libs/db/entities';
import type { Stores } from '../../../../libs/db/repositories';
import { groupCommit } from '../../../../libs/db/group-commit';
import { newId } from '../../../../libs/domain/ids';
import { isOperationalEventType } from '../../../../libs/domain/operational-events';
import { DEFAULT_TENANT_ID, OPERATOR_TENANT_ID } from '../../../../libs/domain/tenants';
import type { Dispatcher } from '../../../../libs/temporal/dispatcher';
import { parseTraceparent } from '../../../../libs/delivery/trace-context';
import { canonical } from '../common/canonical-json';
import { IdempotencyConflict, NotFound, OperatorTenantReserved, ReservedEventType, ValidationFailed } from '../common/errors';
import { EventCatalog } from '../event-types/event-catalog';
import { DISPATCHER, PENDING_TRACES, STORES, TRACING } from '../infrastructure/tokens';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR, producerContext, type PendingTraces, type Tracing } from '../../../../libs/observability/tracing';
import { Metrics } from '../metrics/metrics.service';
import type { IngestEventDto } from './dto/ingest-event.dto';
import type { EventAccepted, EventView } from './dto/event.view';

/** Idempotency-Key: 1..255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Injectable()
export class EventsService {
  private readonly logger = new Logger('EventsService');
  /**
   * The accepting INSERT as a group commit: events posted together are inserted by one
   * multi-row statement, and each request is answered once that statement has committed its row
   * (docs/architecture.md, *Durable accept*). At most 256 rows a statement.
   */
  private readonly insertSoon = groupCommit((rows: { event: Event; typeVersion: number }[]) => this.stores.events.insertManyIfAbsent(rows), {
    maxBatch: 256,
  });

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'events' | 'deliveries'>,
    @Inject(DISPATCHER) private readonly dispatcher: Pick<Dispatcher, 'wake'>,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
    @Inject(TRACING) private readonly tracing: Tracing,
    @Inject(PENDING_TRACES) private readonly pending: PendingTraces,
  ) {}

  /**
   * `accept` under the ingest span when tracing is on: a server span continuing the producer's
   * traceparent, the root of the event's trace (docs/architecture.md, *Tracing*).
   */
  ingest(dto: IngestEventDto, idempotencyKey: string | undefined, traceparent?: string): Promise<EventAccepted> {
    if (!this.tracing.enabled) return this.accept(dto, idempotencyKey, traceparent);
    const attributes = { 'http.request.method': 'POST', 'http.route': '/v1/events' };
    return this.tracing.tracer.startActiveSpan('POST /v1/events', { kind: SpanKind.SERVER, attributes }, producerContext(traceparent), async (span) => {
      try {
        const accepted = await this.accept(dto, idempotencyKey, traceparent);
        span.setAttribute('http.response.status_code', 202);
        return accepted;
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /**
   * Accepts an event: 202 once its row is committed (docs/architecture.md, *Durable accept*).
   * The dispatcher, woken here, starts its workflow; Temporal is never waited on. Idempotent by
   * `id` or Idempotency-Key: a repeat with the same body gets the same answer and starts
   * nothing new; a repeat with another body is a conflict. A W3C `traceparent` sent with the
   * event is kept and passed to receivers; a malformed one is ignored, as W3C Trace Context asks.
   */
  private async accept(dto: IngestEventDto, idempotencyKey: string | undefined, traceparent?: string): Promise<EventAccepted> {
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
    // The common case reads nothing here: the cached validator of the type, its version
    // confirmed by the accepting INSERT (EventCatalog.validatedVersion).
    let typeVersion = this.catalog.validatedVersion(dto.type, dto.data);
    if (typeVersion === undefined) {
      const checked = await this.checkOrPrior(dto, idempotencyKey);
      if (typeof checked !== 'number') return checked;
      typeVersion = checked;
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

    // Insert first: a new event (the common case) costs its share of one multi-row INSERT, answered once committed.
    let isNew = await this.insertSoon({ event: candidate, typeVersion });
    let event: Event | null = isNew ? candidate : null;
    // Not inserted: its id or key exists (a repeat, or a concurrent post of the same one), and
    // theirs is the event; or else the type moved on since this replica validated the data, and
    // it is checked again against the catalog as it is now (a 422 if it fails), then inserted.
    for (let tries = 0; !event && tries < 3; tries++) {
      event = await this.findPrior(dto.id, idempotencyKey);
      if (event) break;
      const checked = await this.checkOrPrior(dto, idempotencyKey);
      if (typeof checked !== 'number') return checked;
      isNew = await this.insertSoon({ event: candidate, typeVersion: checked });
      if (isNew) event = candidate;
    }
    if (!event) throw new Error(`event ${candidate.id} neither inserted nor found`);
    if (!isNew) this.assertSameEvent(event, dto);

    if (this.tracing.enabled) {
      trace.getActiveSpan()?.setAttributes({ [ATTR.eventId]: event.id, [ATTR.tenantId]: event.tenantId });
      // Before the wake: the dispatch that follows continues this request's trace.
      if (!event.workflowStartedAt) this.pending.remember(event.id, context.active());
    }
    if (!event.workflowStartedAt) this.dispatcher.wake(event.tenantId);
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

  /**
   * The event checked against the catalog as it is now: the type's version its data passed; or,
   * when it fails, the answer of an event accepted before under its id or key (a producer's
   * retry of an event accepted before its type was archived, or its schema tightened, is still
   * that event: it gets the answer it got then, not a 422).
   */
  private async checkOrPrior(dto: IngestEventDto, idempotencyKey: string | undefined): Promise<number | EventAccepted> {
    try {
      return await this.catalog.checkEvent(dto.type, dto.data);
    } catch (err) {
      const prior = dto.id !== undefined || idempotencyKey !== undefined ? await this.findPrior(dto.id, idempotencyKey) : null;
      if (!prior) throw err;
      this.assertSameEvent(prior, dto);
      return { id: prior.id, status: 'accepted' };
    }
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
