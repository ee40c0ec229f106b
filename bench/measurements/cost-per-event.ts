import type { Bench } from '../context';
import { historyCost } from '../cost';
import { round } from '../stats';

/** History events and billable actions of one delivered event, and Postgres rows and bytes per delivery (after the end-to-end run). */
export async function measureCostPerEvent(b: Bench): Promise<void> {
  const [evt] = await b.ds.query(`SELECT event_id, subscription_id FROM deliveries WHERE status = 'succeeded' AND event_id LIKE 'evt_e2e1_%' LIMIT 1`);
  b.results.cost_success = await historyCost(b.client, [`event:${evt.event_id}`, `delivery:${evt.event_id}:${evt.subscription_id}`]);
  // × 5: one event of the five-subscription run, its event workflow and every delivery's.
  const five: { event_id: string; subscription_id: string }[] = await b.ds.query(
    `SELECT event_id, subscription_id FROM deliveries WHERE event_id = (SELECT event_id FROM deliveries WHERE status = 'succeeded' AND event_id LIKE 'evt_e2e5_%' LIMIT 1)`,
  );
  if (five.length) {
    b.results.cost_success_x5 = await historyCost(b.client, [`event:${five[0].event_id}`, ...five.map((d) => `delivery:${d.event_id}:${d.subscription_id}`)]);
  }
  const rows = await b.ds
    .query(`SELECT (SELECT count(*) FROM deliveries) AS deliveries, (SELECT count(*) FROM attempts) AS attempts, (SELECT count(*) FROM events) AS events,
    pg_total_relation_size('deliveries') + pg_total_relation_size('attempts') + pg_total_relation_size('events') AS bytes`);
  const d = Number(rows[0].deliveries);
  b.results.postgres_per_delivery = {
    rows: round((Number(rows[0].deliveries) + Number(rows[0].attempts) + Number(rows[0].events)) / d, 2),
    bytes: Math.round(Number(rows[0].bytes) / d),
  };
  b.log(`cost: ${JSON.stringify(b.results.cost_success)} pg ${JSON.stringify(b.results.postgres_per_delivery)}`);
}
