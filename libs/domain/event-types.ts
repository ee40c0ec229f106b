/** The event-type catalog and subscription filter matching. Pure: used by API, activities and tests. */

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
 * A subscription filter is an exact type (`image.created`), a family wildcard (`image.*`)
 * or `*` for everything.
 */
export function isValidEventTypeFilter(filter: string): boolean {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) {
    const family = filter.slice(0, -2);
    return EVENT_TYPES.some((t) => t.name.startsWith(`${family}.`));
  }
  return isKnownEventType(filter);
}

export function matchesEventType(filters: readonly string[], eventType: string): boolean {
  return filters.some((f) => f === '*' || f === eventType || (f.endsWith('.*') && eventType.startsWith(f.slice(0, -1))));
}

/** An empty template scope means every template. */
export function matchesTemplate(templateIds: readonly string[], templateId: string | null | undefined): boolean {
  return templateIds.length === 0 || (templateId != null && templateIds.includes(templateId));
}
