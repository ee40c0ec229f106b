import { Inject, Injectable, Logger } from '@nestjs/common';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Event } from '../../../../libs/db/entities';
import type { Stores } from '../../../../libs/db/repositories';
import { EVENT_TYPES, isKnownEventType } from '../../../../libs/domain/event-types';
import { newId } from '../../../../libs/domain/ids';
import { DEFAULT_TENANT_ID } from '../../../../libs/domain/tenants';
import type { Dispatcher } from '../../../../libs/temporal/dispatcher';
import { IdempotencyConflict, InvalidEventPayload, NotFound, UnknownEventType, ValidationFailed } from '../common/errors';
import { DISPATCHER, STORES } from '../infrastructure/tokens';
import { Metrics } from '../metrics/metrics.service';
import type { IngestEventDto } from './dto/ingest-event.dto';
import type { EventAccepted, EventTypeView, EventView } from './dto/event.view';
import { EVENT_SCHEMAS } from './event-schemas';

/** Idempotency-Key: 1..255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const MAX_REPORTED_PROBLEMS = 20;

@Injectable()
export class EventsService {
  private readonly logger = new Logger('EventsService');
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'events' | 'deliveries'>,
    @Inject(DISPATCHER) private readonly dispatcher: Pick<Dispatcher, 'wake'>,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    for (const t of EVENT_TYPES) {
      const schema = EVENT_SCHEMAS[t.name];
      if (!schema) throw new Error(`event type ${t.name} has no JSON Schema`);
      this.validators.set(t.name, ajv.compile(schema));
    }
  }

  /**
   * Accepts an event: 202 once its row is committed (docs/architecture.md, *Durable accept*).
   * The dispatcher, woken here, starts its workflow; Temporal is never waited on. Idempotent by
   * `id` or Idempotency-Key: a repeat with the same body gets the same answer and starts
   * nothing new; a repeat with another body is a conflict.
   */
  async ingest(dto: IngestEventDto, idempotencyKey: string | undefined): Promise<EventAccepted> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationFailed('The Idempotency-Key header must be 1 to 255 visible ASCII characters', { header: 'idempotency-key' }, 'invalid_idempotency_key');
    }
    this.checkData(dto.type, dto.data);

    const candidate: Event = Object.assign(new Event(), {
      id: dto.id ?? newId('event'),
      tenantId: dto.tenantId ?? DEFAULT_TENANT_ID,
      type: dto.type,
      templateId: dto.templateId ?? null,
      traceId: dto.traceId ?? null,
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
      data: event.data,
      receivedAt: event.receivedAt,
      deliveries: deliveries.map((d) => ({ id: d.id, subscriptionId: d.subscriptionId, status: d.status, attemptCount: d.attemptCount })),
    };
  }

  eventTypes(): EventTypeView[] {
    return EVENT_TYPES.map((t) => ({ name: t.name, description: t.description, schema: EVENT_SCHEMAS[t.name] }));
  }

  private checkData(type: string, data: Record<string, unknown>): void {
    const validate = this.validators.get(type);
    if (!validate || !isKnownEventType(type)) throw new UnknownEventType(type);
    if (!validate(data)) throw new InvalidEventPayload(type, (validate.errors ?? []).slice(0, MAX_REPORTED_PROBLEMS).map(problem));
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
      canonical(prior.data) === canonical(dto.data);
    if (!same) throw new IdempotencyConflict(prior.id, by);
  }
}

function problem(e: ErrorObject): { path: string; message: string; keyword: string } {
  const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty: string }).missingProperty)}` : '';
  const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty: string }).additionalProperty)}` : '';
  return { path: `${e.instancePath}${missing}${extra}` || '/', message: e.message ?? e.keyword, keyword: e.keyword };
}

/** JSON with object keys sorted: jsonb does not keep key order, so compare this way. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
