/**
 * Which subscriptions an event reaches. Pure, and the one rule: the SQL matches on
 * `tenant_id = ANY(matchingTenants(event)) AND event_types && candidateFilters(type)`, the
 * template scope and `id <> subjectSubscriptionId(event)`, so the database and this module
 * cannot disagree; the payload filter (payload-filter.ts) is then applied to those candidates by
 * the match activity, with the same `matchesFilter` this rule uses.
 */
import { isOperationalEventType, subjectSubscriptionId } from './operational-events';
import { matchesFilter, type FilterableEvent, type PayloadFilter } from './payload-filter';
import { OPERATOR_TENANT_ID } from './tenants';

/**
 * Every filter that receives `eventType`: the exact type, each family it belongs to, deepest
 * first (`video.render.*`, `video.*`), and `*` — except for operational events (`herald.*`),
 * which a subscription must ask for by name or family: `*` meant the platform's events when it
 * was written, and a receiver should not start getting Herald's own reports unasked.
 */
export function candidateFilters(eventType: string): string[] {
  const segments = eventType.split('.');
  const families = segments.slice(0, -1).map((_s, i) => `${segments.slice(0, segments.length - 1 - i).join('.')}.*`);
  return isOperationalEventType(eventType) ? [eventType, ...families] : [eventType, ...families, '*'];
}

/**
 * Whose subscriptions may receive the event: its own tenant's; for an operational event also the
 * operator's (`_operator` receives those of every tenant, and nothing else).
 */
export function matchingTenants(event: { tenantId: string; type: string }): string[] {
  if (!isOperationalEventType(event.type)) return event.tenantId === OPERATOR_TENANT_ID ? [] : [event.tenantId];
  return event.tenantId === OPERATOR_TENANT_ID ? [OPERATOR_TENANT_ID] : [event.tenantId, OPERATOR_TENANT_ID];
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
  /** Compared with the subject of an operational event: a subscription never hears about itself. */
  id?: string;
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

/**
 * The whole rule: a matching tenant (the event's own, or `_operator` for an operational event),
 * the event type passes a filter, the template is in scope, the payload passes the filter,
 * enabled, and the event is not about this very subscription.
 */
export function matchesSubscription(s: MatchableSubscription, event: FilterableEvent & { tenantId: string }): boolean {
  const checks = matchChecks(s, event);
  const aboutItself = s.id !== undefined && s.id === subjectSubscriptionId(event);
  return matchingTenants(event).includes(s.tenantId) && checks.eventType && checks.template && checks.filter && s.enabled && !aboutItself;
}
