/**
 * Domain errors. Services throw these, never HTTP exceptions; the one exception filter
 * (error.filter.ts) translates them into `{ error: { code, message, details } }`.
 */
export type ErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unauthenticated' | 'forbidden' | 'too_large' | 'unavailable' | 'rate_limited';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DomainError {
  readonly kind = 'not_found';
  constructor(resource: 'tenant' | 'subscription' | 'event' | 'delivery' | 'dead_letter', id: string) {
    super(`${resource}_not_found`, `No ${resource.replace('_', ' ')} with id ${JSON.stringify(id)}`, { id });
  }
}

export class EventTypeNotFound extends DomainError {
  readonly kind = 'not_found';
  constructor(name: string) {
    super('event_type_not_found', `No event type named ${JSON.stringify(name)} in the catalog`, { name });
  }
}

export class ValidationFailed extends DomainError {
  readonly kind = 'invalid';
  constructor(message: string, details: Record<string, unknown> = {}, code = 'validation_failed') {
    super(code, message, details);
  }
}

export class Conflict extends DomainError {
  readonly kind = 'conflict';
}

export class Unauthenticated extends DomainError {
  readonly kind = 'unauthenticated';
  constructor(message = 'A valid bearer token is required') {
    super('unauthenticated', message);
  }
}

export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
  constructor(message = 'This token may not use this route') {
    super('forbidden', message);
  }
}

export class RateLimited extends DomainError {
  readonly kind = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', 'Too many failed authentication attempts; try again later', { retryAfterSeconds });
  }
}

/** Postgres or Temporal cannot be reached: the request may be retried as is. */
export class ServiceUnavailable extends DomainError {
  readonly kind = 'unavailable';
  constructor(dependency: 'postgres' | 'temporal', cause?: unknown) {
    super('service_unavailable', `Herald cannot reach ${dependency} right now; retry the request`, { dependency });
    this.cause = cause;
  }
}

/** A list cursor that this API did not hand out (or one for another list). */
export class InvalidCursor extends DomainError {
  readonly kind = 'invalid';
  constructor() {
    super('invalid_cursor', 'The cursor is not one this list handed out; start again without it');
  }
}

export class UnknownEventType extends DomainError {
  readonly kind = 'invalid';
  constructor(eventType: string, field = 'type') {
    super('unknown_event_type', `${JSON.stringify(eventType)} is not an event type of the catalog (GET /v1/event-types)`, { field, eventType });
  }
}

/** An archived type stays in the catalog for history; it takes no new events or subscriptions. */
export class EventTypeArchived extends DomainError {
  readonly kind = 'invalid';
  constructor(eventType: string, field = 'type') {
    super('event_type_archived', `Event type ${JSON.stringify(eventType)} is archived: it takes no new events or subscriptions`, { field, eventType });
  }
}

export class EventTypeExists extends DomainError {
  readonly kind = 'conflict';
  constructor(name: string) {
    super('event_type_exists', `Event type ${JSON.stringify(name)} exists already; change it with PATCH /v1/event-types/${name}`, { name });
  }
}

/** The schema is not a JSON Schema 2020-12 Herald can compile. */
export class InvalidEventTypeSchema extends DomainError {
  readonly kind = 'invalid';
  constructor(reason: string) {
    super('invalid_schema', `schema is not a valid JSON Schema 2020-12: ${reason}`, { field: 'schema', reason });
  }
}

/** A schema that refuses an example: the stored one (a schema change) or the one given. */
export class IncompatibleSchema extends DomainError {
  readonly kind = 'invalid';
  constructor(eventType: string, example: 'stored' | 'given', problem: { path: string; message: string }) {
    super(
      'incompatible_schema',
      example === 'stored'
        ? `The new schema of ${eventType} refuses the stored example at ${problem.path}: ${problem.message} (a schema change must keep accepting it)`
        : `The schema of ${eventType} refuses the example at ${problem.path}: ${problem.message}`,
      { eventType, example, path: problem.path, message: problem.message },
    );
  }
}

/** A subscription's payload filter that cannot be evaluated. */
export class InvalidFilter extends DomainError {
  readonly kind = 'invalid';
  constructor(problem: { path: string; message: string }) {
    super('invalid_filter', `filter is invalid at ${problem.path || '/'}: ${problem.message}`, {
      field: 'filter',
      path: problem.path || '/',
      message: problem.message,
    });
  }
}

export class InvalidEventPayload extends DomainError {
  readonly kind = 'invalid';
  constructor(eventType: string, problems: { path: string; message: string }[]) {
    super('invalid_event_payload', `The data does not match the schema of ${eventType}`, { eventType, problems });
  }
}

/** The same event id or Idempotency-Key was used before with a different body. */
export class IdempotencyConflict extends DomainError {
  readonly kind = 'conflict';
  constructor(eventId: string, by: 'id' | 'idempotency_key') {
    super('idempotency_conflict', `Event ${JSON.stringify(eventId)} was already accepted with a different body`, { id: eventId, by });
  }
}

/** The subscription's URL is malformed or points where Herald may not send. */
export class TargetRefused extends DomainError {
  readonly kind = 'invalid';
  constructor(code: 'invalid_url' | 'url_not_allowed', reason: string, details: Record<string, unknown> = {}) {
    super(code, reason, { field: 'url', ...details });
  }
}

export class DeliveryNotRunning extends DomainError {
  readonly kind = 'conflict';
  constructor(id: string, status: string) {
    super('delivery_not_running', `Delivery ${id} is ${status}; only a running delivery can be cancelled`, { id, status });
  }
}

/** A `fifo` delivery whose turn has not come has no attempt to retry: it goes when the deliveries before it end. */
export class DeliveryWaitingTurn extends DomainError {
  readonly kind = 'conflict';
  constructor(id: string, headId: string | null) {
    super(
      'delivery_waiting_turn',
      `Delivery ${id} waits for its turn in its stream${headId ? ` behind ${headId}` : ''}; retry or cancel that one, or cancel this one`,
      { id, headId },
    );
  }
}

/** The built-in tenant stays: subscriptions and events without a tenant belong to it. */
export class DefaultTenantProtected extends DomainError {
  readonly kind = 'conflict';
  constructor() {
    super('default_tenant_protected', 'The built-in tenant `default` cannot be deleted; delete its subscriptions instead', { id: 'default' });
  }
}

/** `herald.*` is Herald's own family (operational events): no producer posts it, no one defines it. */
export class ReservedEventType extends DomainError {
  readonly kind = 'invalid';
  constructor(name: string, field = 'type') {
    super('reserved_event_type', `${JSON.stringify(name)} is in the reserved herald.* family: Herald emits those events itself`, { field, name });
  }
}

/** `_operator` receives operational events only: nothing is posted for it, and it subscribes to `herald.*` only. */
export class OperatorTenantReserved extends DomainError {
  readonly kind = 'invalid';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('operator_tenant_reserved', message, details);
  }
}
