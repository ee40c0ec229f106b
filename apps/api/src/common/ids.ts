import { isId } from '../../../../libs/domain/ids';
import { isTenantId } from '../../../../libs/domain/tenants';
import { NotFound } from './errors';

type Resource = ConstructorParameters<typeof NotFound>[0];

const KIND = { subscription: 'subscription', delivery: 'delivery', dead_letter: 'deadLetter' } as const;

/** Producer-chosen event ids: 1..255 of [A-Za-z0-9_.:-]. Herald's own are `evt_<ulid>`. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;

/**
 * A path id of the right kind. A malformed id names nothing, so it is a 404 like an unknown
 * one: callers never learn more from a typo than from a stale id.
 */
export function pathId(resource: Resource, value: string): string {
  const ok = resource === 'event' ? EVENT_ID_PATTERN.test(value) : resource === 'tenant' ? isTenantId(value) : isId(KIND[resource], value);
  if (!ok) throw new NotFound(resource, value.length > 300 ? `${value.slice(0, 300)}…` : value);
  return value;
}
