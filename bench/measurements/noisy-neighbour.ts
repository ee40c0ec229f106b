import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { mapRound } from '../context';
import { cpuPer } from '../cpu';
import { startBenchReceiver } from '../receiver';
import { pool, round, summary } from '../stats';
import { BURST_CONCURRENCY } from './ingest-burst';

const QUIET_EVERY_MS = 1_000;
/** The quiet tenant keeps posting at least this many events, even if the burst drains sooner. */
const MIN_QUIET_EVENTS = 10;
const DRAIN_BUDGET_MS = 900_000;

/**
 * One tenant posts a burst of `b.opts.noisy` events as fast as the API takes them while another
 * posts one event a second: does the quiet tenant wait behind the burst? Its 202 → arrival p99
 * against the idle figure answers it; the burst's own figures say what the noisy tenant got.
 */
export async function measureNoisyNeighbour(b: Bench): Promise<void> {
  const receiver = await startBenchReceiver(200);
  const subs = [await b.subscribe(receiver, 'noisy', [], 'bench_noisy'), await b.subscribe(receiver, 'quiet', [], 'bench_quiet')];
  const accepted = new Map<string, number>();
  const post = async (tenantId: string, id: string): Promise<number | undefined> => {
    const s = performance.now();
    const res = await b.call('POST', '/v1/events', { id, tenantId, type: 'image.created', data: SAMPLE_IMAGE_CREATED });
    if (res.status !== 202) return undefined;
    const e = performance.now();
    accepted.set(id, performance.timeOrigin + e);
    return e - s;
  };
  const noisyIngest: number[] = [];
  const quietIngest: number[] = [];
  let refused = 0;
  const n = b.opts.noisy;
  const cpu0 = b.cpu();
  const t0 = performance.now();
  let burstDone = false;
  const burst = pool(n, BURST_CONCURRENCY, async (i) => {
    const ms = await post('bench_noisy', `evt_noisy_${i}`);
    if (ms === undefined) refused++;
    else noisyIngest.push(ms);
  }).then(async () => {
    const postSeconds = (performance.now() - t0) / 1000;
    await eventually(async () => arrivedFor('noisy') >= noisyIngest.length, DRAIN_BUDGET_MS, `${noisyIngest.length} noisy deliveries`);
    burstDone = true;
    return postSeconds;
  });
  const arrivedFor = (tag: string): number => [...receiver.arrivals.keys()].filter((k) => k.endsWith(`|${tag}`)).length;
  // One event a second, on its own clock, until the burst has drained.
  let quiet = 0;
  while (!burstDone || quiet < MIN_QUIET_EVENTS) {
    const tick = performance.now();
    const ms = await post('bench_quiet', `evt_quiet_${quiet++}`);
    if (ms === undefined) refused++;
    else quietIngest.push(ms);
    await new Promise((r) => setTimeout(r, Math.max(0, QUIET_EVERY_MS - (performance.now() - tick))));
  }
  const postSeconds = await burst;
  await eventually(async () => arrivedFor('quiet') >= quietIngest.length, 60_000, 'the quiet tenant’s deliveries');
  const latency = (tag: string): number[] =>
    [...receiver.arrivals.entries()].filter(([k]) => k.endsWith(`|${tag}`)).map(([k, t]) => t - accepted.get(k.split('|')[0])!);
  const noisyArrivals = latency('noisy');
  const lastNoisy = Math.max(...[...receiver.arrivals.entries()].filter(([k]) => k.endsWith('|noisy')).map(([, t]) => t));
  b.results.noisy_neighbour = {
    noisy_events: n,
    noisy_accepted_per_s: round(noisyIngest.length / postSeconds),
    noisy_ingest_ms: mapRound(summary(noisyIngest)),
    noisy_202_to_arrival_ms: mapRound(summary(noisyArrivals)),
    noisy_last_delivery_after_s: round((lastNoisy - (performance.timeOrigin + t0)) / 1000),
    quiet_events: quietIngest.length,
    quiet_ingest_ms: mapRound(summary(quietIngest)),
    quiet_202_to_arrival_ms: mapRound(summary(latency('quiet'))),
    refused,
    cpu_ms_per_delivery: cpuPer(cpu0, b.cpu(), receiver.arrivals.size),
  };
  b.log(`noisy neighbour: ${JSON.stringify(b.results.noisy_neighbour)}`);
  await b.unsubscribe(subs);
  await receiver.close();
}
