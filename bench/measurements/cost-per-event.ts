import type { Bench } from '../context';
import { historyCost } from '../cost';
import { round } from '../stats';

/**
 * Every workflow holding one delivered event's deliveries: its event workflow and the delivery
 * workflows it handed deliveries to (none when every first attempt succeeded inline).
 */
async function eventCost(b: Bench, prefix: string): Promise<{ history_events: number; billable_actions: number; workflows: number }> {
  const [evt] = await b.ds.query(
    `SELECT event_id FROM deliveries WHERE event_id LIKE $1 GROUP BY event_id HAVING bool_and(status = 'succeeded') ORDER BY event_id LIMIT 1`,
    [`${prefix}_%`],
  );
  const rows: { workflow_id: string }[] = await b.ds.query(`SELECT DISTINCT workflow_id FROM deliveries WHERE event_id = $1`, [evt.event_id]);
  const ids = [...new Set([`event:${evt.event_id}`, ...rows.map((r) => r.workflow_id)])];
  return { ...(await historyCost(b.client, ids)), workflows: ids.length };
}

/** History events and billable actions of one delivered event (× 1 and × 5), and Postgres rows and bytes per delivery (after the end-to-end runs). */
export async function measureCostPerEvent(b: Bench): Promise<void> {
  b.results.cost_success = await eventCost(b, 'evt_e2e1');
  if (b.results.e2e_x5) b.results.cost_success_x5 = await eventCost(b, 'evt_e2e5');
  const rows = await b.ds
    .query(`SELECT (SELECT count(*) FROM deliveries) AS deliveries, (SELECT count(*) FROM attempts) AS attempts, (SELECT count(*) FROM events) AS events,
    pg_total_relation_size('deliveries') + pg_total_relation_size('attempts') + pg_total_relation_size('events') AS bytes`);
  const d = Number(rows[0].deliveries);
  b.results.postgres_per_delivery = {
    rows: round((Number(rows[0].deliveries) + Number(rows[0].attempts) + Number(rows[0].events)) / d, 2),
    bytes: Math.round(Number(rows[0].bytes) / d),
  };
  b.log(
    `cost: ${JSON.stringify(b.results.cost_success)} x5 ${JSON.stringify(b.results.cost_success_x5)} pg ${JSON.stringify(b.results.postgres_per_delivery)}`,
  );
}
