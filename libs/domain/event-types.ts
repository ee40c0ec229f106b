/** The event-type catalog and which filters it accepts. Pure. Matching lives in matching.ts. */
export { matchesEventType, matchesTemplate } from './matching';

export interface EventTypeDefinition {
  name: string;
  description: string;
}

export const EVENT_TYPES: readonly EventTypeDefinition[] = [
  { name: 'image.created', description: 'An image finished rendering; the payload carries its PNG and JPEG URLs and the template modifications applied.' },
];

export function isKnownEventType(name: string): boolean {
  return EVENT_TYPES.some((t) => t.name === name);
}

/**
 * A subscription filter is an exact type (`image.created`), a family wildcard at any depth
 * (`image.*`, `video.render.*`) of a known type, or `*` for everything.
 */
export function isValidEventTypeFilter(filter: string): boolean {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) {
    const family = filter.slice(0, -2);
    return EVENT_TYPES.some((t) => t.name.startsWith(`${family}.`));
  }
  return isKnownEventType(filter);
}
