import { newId } from '../libs/domain/ids';
import { deliveryWorkflowId } from '../libs/temporal/names';
import type { ActivityDeps } from './deps';
import type { EventMatch } from './types';

/**
 * Finds the enabled subscriptions an event matches (exact type, `family.*` or `*`; template
 * scope when set) and creates their Delivery rows. Idempotent: a retried or replayed call finds
 * the rows it made before and creates nothing new.
 */
export function matchSubscriptions({ dataSource, clock = () => new Date() }: ActivityDeps) {
  return async ({ eventId }: { eventId: string }): Promise<EventMatch> => {
    const [event] = await dataSource.query(`SELECT id, type, template_id FROM events WHERE id = $1`, [eventId]);
    if (!event) return { eventId, eventType: 'unknown', templateId: null, deliveries: [] };
    const family = event.type.includes('.') ? `${event.type.split('.')[0]}.*` : event.type;
    const subscriptions: { id: string; url: string }[] = await dataSource.query(
      `SELECT id, url FROM subscriptions
        WHERE enabled AND event_types && $1::text[]
          AND (cardinality(template_ids) = 0 OR $2::text = ANY (template_ids))
        ORDER BY id`,
      [[event.type, family, '*'], event.template_id],
    );
    const now = clock();
    if (subscriptions.length > 0) {
      const rows = subscriptions.map((s) => [newId('delivery'), s.id, deliveryWorkflowId(eventId, s.id)]);
      await dataSource.query(
        `INSERT INTO deliveries (id, event_id, subscription_id, event_type, template_id, status, workflow_id, created_at, updated_at)
         SELECT r.id, $1, r.subscription_id, $2, $3, 'pending', r.workflow_id, $4, $4
           FROM unnest($5::text[], $6::text[], $7::text[]) AS r (id, subscription_id, workflow_id)
         ON CONFLICT (event_id, subscription_id) DO NOTHING`,
        [eventId, event.type, event.template_id, now, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
      );
    }
    await dataSource.query(`UPDATE events SET workflow_started_at = coalesce(workflow_started_at, $2) WHERE id = $1`, [eventId, now]);
    const deliveries: { id: string; subscription_id: string; url: string }[] = await dataSource.query(
      `SELECT d.id, d.subscription_id, s.url FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
        WHERE d.event_id = $1 ORDER BY d.id`,
      [eventId],
    );
    return {
      eventId,
      eventType: event.type,
      templateId: event.template_id,
      deliveries: deliveries.map((d) => ({ deliveryId: d.id, subscriptionId: d.subscription_id, url: d.url })),
    };
  };
}
