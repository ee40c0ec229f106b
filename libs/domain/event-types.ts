/**
 * Event-type names and the subscription filters over them. Pure. The catalog itself (description,
 * JSON Schema, example, archived) is the `event_types` table; matching lives in matching.ts.
 */
export { matchesEventType, matchesTemplate } from './matching';

/** Dot-separated segments of `[a-z0-9_]`, at most this many (`video.render.completed` has 3). */
export const MAX_EVENT_TYPE_SEGMENTS = 5;
export const EVENT_TYPE_NAME = /^[a-z0-9_]+(\.[a-z0-9_]+){0,4}$/;

export function isValidEventTypeName(name: string): boolean {
  return EVENT_TYPE_NAME.test(name);
}

/** What a subscription's event-type filter is: `*`, a family at any depth (`video.render.*`), or one type. */
export type EventTypeFilter = { kind: 'all' } | { kind: 'family'; family: string } | { kind: 'exact'; name: string };

/**
 * Parses a filter; undefined when it is malformed. A family is a valid name followed by `.*` and
 * leaves room for at least one more segment; it need not have types yet (types can be added later).
 */
export function parseEventTypeFilter(filter: string): EventTypeFilter | undefined {
  if (filter === '*') return { kind: 'all' };
  if (filter.endsWith('.*')) {
    const family = filter.slice(0, -2);
    return isValidEventTypeName(family) && family.split('.').length < MAX_EVENT_TYPE_SEGMENTS ? { kind: 'family', family } : undefined;
  }
  return isValidEventTypeName(filter) ? { kind: 'exact', name: filter } : undefined;
}
