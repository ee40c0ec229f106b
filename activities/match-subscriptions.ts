import type { AttemptSubject, OrderedEvent } from '../libs/db/repositories';
import { newId } from '../libs/domain/ids';
import { matchesFilter } from '../libs/domain/payload-filter';
import { deliveryWorkflowId, eventWorkflowId } from '../libs/temporal/names';
import type { ActivityDeps } from './deps';
import type { EventMatch } from './types';

/**
 * Finds the enabled subscriptions an event matches (libs/domain/matching.ts: Postgres narrows by
 * type and template, the payload filter is applied here to those candidates) and creates their
 * Delivery rows (and marks the event's workflow started) in one statement. Idempotent: a retried
 * or replayed call finds the rows it made before and creates nothing new. A match with a `fifo`
 * subscription creates its deliveries in acceptance order instead, after those of the earlier
 * events of its tenant and ordering key still unmatched (libs/db/repositories/stream.repository.ts).
 * With `holder: 'event'` the rows name the event workflow as their holder (it makes their first
 * attempts itself and hands over only the ones that must wait).
 */
export function matchSubscriptions(deps: ActivityDeps) {
  const match = matchEvent(deps);
  return async ({ eventId, holder }: { eventId: string; holder?: 'event' }): Promise<EventMatch> => (await match(eventId, holder)).match;
}

/**
 * The match, and with `forAttempts` (matchAndAttempt: the event workflow makes the first attempts
 * in the same activity) what those attempts are built from, answered by the match's own statement
 * (`subjects`, one per delivery, in order): absent when the event has `fifo` deliveries (their
 * attempts wait for their turns) or is gone.
 */
export function matchEvent({ subscriptions, events, deliveries: store, streams, clock = () => new Date() }: ActivityDeps) {
  return async (eventId: string, holder?: 'event', opts: { forAttempts?: boolean } = {}): Promise<{ match: EventMatch; subjects?: AttemptSubject[] }> => {
    const event = await events.findForMatching(eventId);
    if (!event) return { match: { eventId, eventType: 'unknown', templateId: null, deliveries: [] } };
    const rowsFor = async (e: OrderedEvent) =>
      (await subscriptions.findEnabledMatching(e))
        .filter((s) => matchesFilter(s.filter, e))
        .map((s) => ({
          id: newId('delivery'),
          subscriptionId: s.id,
          workflowId: holder === 'event' ? eventWorkflowId(e.id) : deliveryWorkflowId(e.id, s.id),
          fifo: s.ordering === 'fifo',
        }));
    const rows = await rowsFor(event);
    const now = clock();
    let deliveries;
    let subjects: AttemptSubject[] | undefined;
    if (rows.some((r) => r.fifo)) {
      await streams.fanOutInOrder(event, rowsFor, now);
      deliveries = await store.listMatched(eventId);
    } else if (opts.forAttempts) {
      ({ matched: deliveries, subjects } = await store.insertMatchedForAttempts(event, rows, now));
    } else {
      deliveries = await store.insertMatched(event, rows, now);
    }
    return { match: { eventId, tenantId: event.tenantId, eventType: event.type, templateId: event.templateId, deliveries }, subjects };
  };
}
