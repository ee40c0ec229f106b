/**
 * Which subscriptions an event reaches. Pure, and the one rule: the SQL matches on
 * `tenant_id = event's AND event_types && candidateFilters(type)` and the template scope, so the
 * database and this module cannot disagree; the payload filter (payload-filter.ts) is then
 * applied to those candidates by the match activity, with the same `matchesFilter` this rule uses.
 */
import { matchesFilter, type FilterableEvent, type PayloadFilter } from './payload-filter';

/**
 * Every filter that receives `eventType`: the exact type, each family it belongs to, deepest
 * first (`video.render.*`, `video.*`), and `*`.
 */
export function candidateFilters(eventType: string): string[] {
  const segments = eventType.split('.');
  const families = segments.slice(0, -1).map((_s, i) => `${segments.slice(0, segments.length - 1 - i).join('.')}.*`);
  return [eventType, ...families, '*'];
}

/** A filter is an exact type, a family at any depth (`image.*`, `video.render.*`) or `*`. */
export function matchesEventType(filters: readonly string[], eventType: string): boolean {
  const candidates = candidateFilters(eventType);
  return filters.some((f) => candidates.includes(f));
}

/** An empty template scope means every template. */
export function matchesTemplate(templateIds: readonly string[], templateId: string | null | undefined): boolean {
  return templateIds.length === 0 || (templateId != null && templateIds.includes(templateId));
}

export interface MatchableSubscription {
  tenantId: string;
  enabled: boolean;
  eventTypes: readonly string[];
  templateIds: readonly string[];
  filter?: PayloadFilter | null;
}

/** Each part of the rule but tenant and enabled, for a filter test that explains itself. */
export function matchChecks(
  s: Omit<MatchableSubscription, 'enabled' | 'tenantId'>,
  event: FilterableEvent,
): { eventType: boolean; template: boolean; filter: boolean } {
  return {
    eventType: matchesEventType(s.eventTypes, event.type),
    template: matchesTemplate(s.templateIds, event.templateId),
    filter: matchesFilter(s.filter, event),
  };
}

/** The whole rule: the event's own tenant, the event type passes a filter, the template is in scope, the payload passes the filter, enabled. */
export function matchesSubscription(s: MatchableSubscription, event: FilterableEvent & { tenantId: string }): boolean {
  const checks = matchChecks(s, event);
  return s.tenantId === event.tenantId && checks.eventType && checks.template && checks.filter && s.enabled;
}
