import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { eventWorkflowId } from '../../libs/temporal/names';
import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { CONCURRENCY, mapRound } from '../context';
import { historyCost } from '../cost';
import { cpuPer } from '../cpu';
import { startBenchReceiver, type BenchReceiver } from '../receiver';
import { pool, round, summary } from '../stats';

/**
 * How a run's events are keyed: none (unordered, no key), or `keys` streams of a fifo
 * subscription, the keys taken in turn (event i on key i mod keys) or in runs (each key's events
 * posted back to back, so they contend).
 */
interface Shape {
  name: string;
  ordering: 'none' | 'fifo';
  keys: number;
  runs?: boolean;
}

const SHAPES: Shape[] = [
  { name: 'unordered', ordering: 'none', keys: 0 },
  { name: 'fifo_1_key', ordering: 'fifo', keys: 1 },
  { name: 'fifo_100_keys', ordering: 'fifo', keys: 100 },
  { name: 'fifo_100_keys_in_runs', ordering: 'fifo', keys: 100, runs: true },
];

const keyOf = (shape: Shape, i: number, events: number): string | undefined =>
  shape.keys === 0 ? undefined : `k${shape.runs ? Math.floor((i * shape.keys) / events) : i % shape.keys}`;

/**
 * Ordered delivery (#23) against unordered at the same load, in the same run: `events` events
 * posted 32 at a time to one subscription (its own template), to a receiver answering 200 at
 * once. Unordered; fifo with every event on one key (each delivery waits for the one before it
 * to end: bounded by one delivery's round trip through Postgres, Temporal and the receiver);
 * fifo over 100 keys taken in turn (a key's next event comes ~100 events later: it seldom
 * waits), and in runs (each key's events back to back: they wait on each other). Deliveries/s (first post → last arrival), CPU ms per delivery, and
 * Temporal billable actions per delivery counted over every workflow that held one of the run's
 * deliveries (bench/cost.ts), with how many of them had to wait their turn (a `streamTurn` signal).
 */
export async function measureOrdered(b: Bench, events: number): Promise<void> {
  const receiver = await startBenchReceiver(200);
  try {
    for (const shape of SHAPES) b.results[`ordered_${shape.name}`] = await run(b, receiver, shape, events);
    const actions = (name: string): number => (b.results[`ordered_${name}`] as { billable_actions_per_delivery: number }).billable_actions_per_delivery;
    const rate = (name: string): number => (b.results[`ordered_${name}`] as { deliveries_per_s: number }).deliveries_per_s;
    const cpu = (name: string): number => (b.results[`ordered_${name}`] as { cpu_ms_per_delivery: { total: number } }).cpu_ms_per_delivery.total;
    b.results.ordered_ratios = {
      actions_fifo_1_key_over_unordered: round(actions('fifo_1_key') / actions('unordered'), 2),
      actions_fifo_100_keys_over_unordered: round(actions('fifo_100_keys') / actions('unordered'), 2),
      actions_fifo_100_keys_in_runs_over_unordered: round(actions('fifo_100_keys_in_runs') / actions('unordered'), 2),
      rate_fifo_1_key_over_unordered: round(rate('fifo_1_key') / rate('unordered'), 2),
      rate_fifo_100_keys_over_unordered: round(rate('fifo_100_keys') / rate('unordered'), 2),
      rate_fifo_100_keys_in_runs_over_unordered: round(rate('fifo_100_keys_in_runs') / rate('unordered'), 2),
      cpu_fifo_1_key_over_unordered: round(cpu('fifo_1_key') / cpu('unordered'), 2),
      cpu_fifo_100_keys_over_unordered: round(cpu('fifo_100_keys') / cpu('unordered'), 2),
      cpu_fifo_100_keys_in_runs_over_unordered: round(cpu('fifo_100_keys_in_runs') / cpu('unordered'), 2),
    };
    b.log(`ordered ratios: ${JSON.stringify(b.results.ordered_ratios)}`);
  } finally {
    await receiver.close();
  }
}

async function run(b: Bench, receiver: BenchReceiver, shape: Shape, events: number): Promise<Record<string, unknown>> {
  const template = `tpl_bench_${shape.name}`;
  const sub = await b.subscribe(receiver, shape.name, [template]);
  if (shape.ordering === 'fifo') {
    const res = await b.call('PATCH', `/v1/subscriptions/${sub}`, { ordering: 'fifo' });
    if (res.status !== 200) throw new Error(`ordering: ${res.status} ${JSON.stringify(res.json)}`);
  }
  const prefix = `evt_ord_${shape.name}`;
  const accepted = new Map<string, number>();
  const t0 = performance.timeOrigin + performance.now();
  const cpu0 = b.cpu();
  await pool(events, CONCURRENCY, async (i) => {
    const id = `${prefix}_${i}`;
    const orderingKey = keyOf(shape, i, events);
    const res = await b.call('POST', '/v1/events', { id, type: 'image.created', templateId: template, orderingKey, data: SAMPLE_IMAGE_CREATED });
    if (res.status !== 202) throw new Error(`event ${id}: ${res.status} ${JSON.stringify(res.json)}`);
    accepted.set(id, performance.timeOrigin + performance.now());
  });
  const arrived = (): number => [...receiver.arrivals.keys()].filter((k) => k.endsWith(`|${shape.name}`)).length;
  await eventually(async () => arrived() >= events, 900_000, `${events} ${shape.name} deliveries`);
  const cpu = cpuPer(cpu0, b.cpu(), events);
  const arrivals = new Map([...receiver.arrivals].filter(([k]) => k.endsWith(`|${shape.name}`)).map(([k, t]) => [k.split('|')[0], t]));
  const last = Math.max(...arrivals.values());
  const lat = [...arrivals].map(([id, t]) => t - accepted.get(id)!);

  // Every workflow that held one of these deliveries: the event workflows, and the delivery workflows some were handed to.
  const rows: { event_id: string; workflow_id: string; ordering_key: string | null; sequence: string | null }[] = await b.ds.query(
    `SELECT event_id, workflow_id, ordering_key, sequence FROM deliveries WHERE subscription_id = $1`,
    [sub],
  );
  const ids = [...new Set(rows.flatMap((r) => [eventWorkflowId(r.event_id), r.workflow_id]))];
  const cost = await historyCost(b.client, ids);
  const waited = await signalled(
    b,
    rows.map((r) => eventWorkflowId(r.event_id)),
  );

  // The receiver's view of the order: per key, first arrivals in sequence (0 for unordered).
  let outOfOrder = 0;
  if (shape.ordering === 'fifo') {
    const byKey = new Map<string, { seq: number; at: number }[]>();
    for (const r of rows) byKey.set(r.ordering_key!, [...(byKey.get(r.ordering_key!) ?? []), { seq: Number(r.sequence), at: arrivals.get(r.event_id)! }]);
    for (const list of byKey.values()) {
      list.sort((x, y) => x.seq - y.seq);
      for (let i = 1; i < list.length; i++) if (list[i].at < list[i - 1].at) outOfOrder++;
    }
  }
  await b.unsubscribe([sub]);
  const result = {
    events,
    keys: shape.keys,
    deliveries_per_s: round(events / ((last - t0) / 1000)),
    latency_202_to_arrival_ms: mapRound(summary(lat)),
    cpu_ms_per_delivery: cpu,
    billable_actions_per_delivery: round(cost.billable_actions / events, 2),
    history_events_per_delivery: round(cost.history_events / events, 2),
    workflows: ids.length,
    waited_their_turn: waited,
    out_of_order: outOfOrder,
  };
  b.log(`ordered ${shape.name}: ${JSON.stringify(result)}`);
  return result;
}

/** How many of these workflows were woken by a `streamTurn` signal (their delivery waited its turn). */
async function signalled(b: Bench, workflowIds: string[]): Promise<number> {
  let n = 0;
  for (const id of workflowIds) {
    const history = await b.client.workflow.getHandle(id).fetchHistory();
    if (history.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'streamTurn')) n++;
  }
  return n;
}
