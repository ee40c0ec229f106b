import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { mapRound } from '../context';
import { cpuPer } from '../cpu';
import { startBenchReceiver } from '../receiver';
import { pool, round, summary } from '../stats';

/** In flight at once: a producer pushing a backlog of rendered images. */
export const BURST_CONCURRENCY = 64;
/** Posting stops after this long whatever is left; the figures say how many were posted. */
const POST_BUDGET_MS = 180_000;
const DELIVERY_BUDGET_MS = 900_000;

/**
 * A producer's burst: `b.opts.burst` events posted as fast as the API takes them, while their
 * deliveries run. Accepted/s and the 202 latency say whether ingest waits on Temporal; the
 * time until the last delivery arrives says how long the engine takes to drain the burst.
 */
export async function measureIngestBurst(b: Bench): Promise<void> {
  const n = b.opts.burst;
  const receiver = await startBenchReceiver(200);
  const sub = await b.subscribe(receiver, 'burst', ['bench-burst']);
  const latencies: number[] = [];
  const refused = new Map<number, number>();
  let posted = 0;
  const cpu0 = b.cpu();
  const t0 = performance.now();
  await pool(n, BURST_CONCURRENCY, async (i) => {
    if (performance.now() - t0 > POST_BUDGET_MS) return;
    posted++;
    const s = performance.now();
    const res = await b.call('POST', '/v1/events', { id: `evt_burst_${i}`, type: 'image.created', templateId: 'bench-burst', data: SAMPLE_IMAGE_CREATED });
    if (res.status === 202) latencies.push(performance.now() - s);
    else refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
  });
  const postSeconds = (performance.now() - t0) / 1000;
  // CPU of the posting phase per accepted event: a figure a loaded machine distorts less than rates.
  const cpuWhilePosting = cpuPer(cpu0, b.cpu(), Math.max(1, latencies.length));
  const accepted = latencies.length;
  b.log(`burst: ${accepted} of ${posted} accepted in ${round(postSeconds)} s; waiting for the deliveries`);
  let drained = true;
  await eventually(async () => receiver.arrivals.size >= accepted, DELIVERY_BUDGET_MS, `${accepted} burst deliveries`).catch(() => (drained = false));
  const last = Math.max(...receiver.arrivals.values());
  b.results.ingest_burst = {
    events: n,
    concurrency: BURST_CONCURRENCY,
    posted,
    accepted,
    refused: Object.fromEntries(refused),
    accepted_per_s: round(accepted / postSeconds),
    ingest_ms: mapRound(summary(latencies)),
    cpu_ms_per_accepted_event_while_posting: cpuWhilePosting,
    delivered: receiver.arrivals.size,
    drained,
    last_delivery_after_s: round((last - (performance.timeOrigin + t0)) / 1000),
    deliveries_per_s: round(receiver.arrivals.size / ((last - (performance.timeOrigin + t0)) / 1000)),
  };
  b.log(`ingest burst: ${JSON.stringify(b.results.ingest_burst)}`);
  await b.unsubscribe([sub]);
  await receiver.close();
}
