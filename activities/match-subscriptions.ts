import { newId } from '../libs/domain/ids';
import { matchesFilter } from '../libs/domain/payload-filter';
import { deliveryWorkflowId, eventWorkflowId } from '../libs/temporal/names';
import type { ActivityDeps } from './deps';
import type { EventMatch } from './types';

/**
 * Finds the enabled subscriptions an event matches (libs/domain/matching.ts: Postgres narrows by
 * type and template, the payload filter is applied here to those candidates) and creates their
 * Delivery rows (and marks the event's workflow started) in one statement. Idempotent: a retried
 * or replayed call finds the rows it made before and creates nothing new. With `holder: 'event'` the rows name the event workflow as their holder
 * (it makes their first attempts itself and hands over only the ones that must wait).
 */
export function matchSubscriptions({ subscriptions, events, deliveries: store, clock = () => new Date() }: ActivityDeps) {
  return async ({ eventId, holder }: { eventId: string; holder?: 'event' }): Promise<EventMatch> => {
    const event = await events.findForMatching(eventId);
    if (!event) return { eventId, eventType: 'unknown', templateId: null, deliveries: [] };
    const matched = (await subscriptions.findEnabledMatching(event)).filter((s) => matchesFilter(s.filter, event));
    const rows = matched.map((s) => ({
      id: newId('delivery'),
      subscriptionId: s.id,
      workflowId: holder === 'event' ? eventWorkflowId(eventId) : deliveryWorkflowId(eventId, s.id),
    }));
    const deliveries = await store.insertMatched(event, rows, clock());
    return { eventId, tenantId: event.tenantId, eventType: event.type, templateId: event.templateId, deliveries };
  };
}
