import { newId } from '../libs/domain/ids';
import { deliveryWorkflowId } from '../libs/temporal/names';
import type { ActivityDeps } from './deps';
import type { EventMatch } from './types';

/**
 * Finds the enabled subscriptions an event matches (libs/domain/matching.ts) and creates their
 * Delivery rows. Idempotent: a retried or replayed call finds the rows it made before and
 * creates nothing new.
 */
export function matchSubscriptions({ subscriptions, events, deliveries, clock = () => new Date() }: ActivityDeps) {
  return async ({ eventId }: { eventId: string }): Promise<EventMatch> => {
    const event = await events.findForMatching(eventId);
    if (!event) return { eventId, eventType: 'unknown', templateId: null, deliveries: [] };
    const matched = await subscriptions.findEnabledMatching(event);
    const now = clock();
    await deliveries.insertPending(event, matched.map((s) => ({ id: newId('delivery'), subscriptionId: s.id, workflowId: deliveryWorkflowId(eventId, s.id) })), now);
    await events.markWorkflowStarted(eventId, now);
    return { eventId, tenantId: event.tenantId, eventType: event.type, templateId: event.templateId, deliveries: await deliveries.listMatched(eventId) };
  };
}
