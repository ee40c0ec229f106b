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
  constructor(resource: 'subscription' | 'event' | 'delivery' | 'dead_letter', id: string) {
    super(`${resource}_not_found`, `No ${resource.replace('_', ' ')} with id ${JSON.stringify(id)}`, { id });
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
