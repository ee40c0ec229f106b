import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { mapRound } from '../context';
import { latencyBreakdown } from '../cost';
import { cpuPer } from '../cpu';
import { startBenchReceiver, type BenchReceiver } from '../receiver';
import { pool, round, summary } from '../stats';
import { BURST_CONCURRENCY } from './ingest-burst';

const QUIET_EVERY_MS = 1_000;
/** The quiet tenant's idle figure: this many events, one every QUIET_EVERY_MS, with nothing else running. */
const QUIET_IDLE_EVENTS = 20;
/** The quiet tenant keeps posting at least this many events, even if the burst drains sooner. */
const MIN_QUIET_EVENTS = 10;
const DRAIN_BUDGET_MS = 900_000;

/** Issue #21's targets for the quiet tenant and the burst (bench/results/2026-12-02-fairness.md). */
export const NOISY_TARGETS = { p99VsIdle: 2, p99MaxMs: 1_000, p50VsIdle: 1.5, drainVsAlone: 0.9 } as const;

/**
 * One tenant posts a burst of `b.opts.noisy` events as fast as the API takes them while another
 * posts one event a second: does the quiet tenant wait behind the burst? Three phases on the
 * same stack: the quiet tenant alone (its idle figure), the burst alone (its drain rate), then
 * both together. The quiet tenant's 202 → arrival during the burst is held against its own idle
 * figure, and the burst's drain rate beside it against its rate alone (issue #21's targets).
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
  const latency = (prefix: string, tag: string): number[] =>
    [...receiver.arrivals.entries()].filter(([k]) => k.startsWith(`${prefix}_`) && k.endsWith(`|${tag}`)).map(([k, t]) => t - accepted.get(k.split('|')[0])!);
  let refused = 0;

  /** The quiet tenant's events, one every QUIET_EVERY_MS, until `until()` says stop. */
  const quietLane = async (prefix: string, until: (posted: number) => boolean): Promise<number[]> => {
    const ingest: number[] = [];
    for (let i = 0; !until(i); i++) {
      const tick = performance.now();
      const ms = await post('bench_quiet', `${prefix}_${i}`);
      if (ms === undefined) refused++;
      else ingest.push(ms);
      await new Promise((r) => setTimeout(r, Math.max(0, QUIET_EVERY_MS - (performance.now() - tick))));
    }
    await eventually(async () => arrivedFor(receiver, prefix, 'quiet') >= ingest.length, 60_000, 'the quiet tenant’s deliveries');
    return ingest;
  };

  /** The burst: `n` events as fast as the API takes them, then until all arrived; its drain rate. */
  const burst = async (prefix: string, n: number): Promise<{ ingest: number[]; postSeconds: number; drainPerS: number; lastAfterS: number }> => {
    const ingest: number[] = [];
    const t0 = performance.now();
    await pool(n, BURST_CONCURRENCY, async (i) => {
      const ms = await post('bench_noisy', `${prefix}_${i}`);
      if (ms === undefined) refused++;
      else ingest.push(ms);
    });
    const postSeconds = (performance.now() - t0) / 1000;
    await eventually(async () => arrivedFor(receiver, prefix, 'noisy') >= ingest.length, DRAIN_BUDGET_MS, `${ingest.length} noisy deliveries`);
    const last = Math.max(...[...receiver.arrivals.entries()].filter(([k]) => k.startsWith(`${prefix}_`) && k.endsWith('|noisy')).map(([, t]) => t));
    const lastAfterS = (last - (performance.timeOrigin + t0)) / 1000;
    return { ingest, postSeconds, drainPerS: ingest.length / lastAfterS, lastAfterS };
  };

  const n = b.opts.noisy;
  // 1. The quiet tenant alone: its own idle figure, in this run.
  await quietLane('evt_idleq', (i) => i >= QUIET_IDLE_EVENTS);
  const idle = summary(latency('evt_idleq', 'quiet'));
  // 2. The burst alone: its drain rate without a neighbour.
  const alone = await burst('evt_alone', n);
  b.log(`noisy neighbour: quiet idle ${JSON.stringify(mapRound(idle))}; burst alone drains ${round(alone.drainPerS)}/s`);
  // 3. Both together.
  const cpu0 = b.cpu();
  let burstDone = false;
  const together = burst('evt_noisy', n).finally(() => (burstDone = true));
  const quietIngest = await quietLane('evt_quiet', (i) => burstDone && i >= MIN_QUIET_EVENTS);
  const beside = await together;
  const during = summary(latency('evt_quiet', 'quiet'));
  const drainRatio = beside.drainPerS / alone.drainPerS;
  b.results.noisy_neighbour = {
    noisy_events: n,
    quiet_idle_202_to_arrival_ms: mapRound(idle),
    burst_alone_drain_per_s: round(alone.drainPerS),
    noisy_accepted_per_s: round(beside.ingest.length / beside.postSeconds),
    noisy_ingest_ms: mapRound(summary(beside.ingest)),
    noisy_202_to_arrival_ms: mapRound(summary(latency('evt_noisy', 'noisy'))),
    noisy_last_delivery_after_s: round(beside.lastAfterS),
    burst_beside_quiet_drain_per_s: round(beside.drainPerS),
    quiet_events: quietIngest.length,
    quiet_ingest_ms: mapRound(summary(quietIngest)),
    quiet_202_to_arrival_ms: mapRound(during),
    quiet_p99_vs_idle_p99: round(during.p99 / idle.p99),
    quiet_p50_vs_idle_p50: round(during.p50 / idle.p50),
    drain_beside_quiet_vs_alone: round(drainRatio),
    targets_met: {
      quiet_p99_within_2x_idle_and_1s: during.p99 <= NOISY_TARGETS.p99VsIdle * idle.p99 && during.p99 <= NOISY_TARGETS.p99MaxMs,
      quiet_p50_within_1_5x_idle: during.p50 <= NOISY_TARGETS.p50VsIdle * idle.p50,
      drain_at_least_0_9x_alone: drainRatio >= NOISY_TARGETS.drainVsAlone,
    },
    // Where the quiet tenant's 202 → arrival goes, step by step, idle and during the burst (quietSteps).
    quiet_steps_ms: {
      idle: await quietSteps(b, receiver, 'evt_idleq', accepted),
      during: await quietSteps(b, receiver, 'evt_quiet', accepted),
    },
    refused,
    cpu_ms_per_delivery: cpuPer(cpu0, b.cpu(), beside.ingest.length + quietIngest.length),
  };
  b.log(`noisy neighbour: ${JSON.stringify(b.results.noisy_neighbour)}`);
  await b.unsubscribe(subs);
  await receiver.close();
}

/**
 * The quiet tenant's 202 → arrival split into consecutive steps (p50 / p99 of each, ms), from its
 * event workflows' histories (latencyBreakdown) and its attempts' start times in Postgres:
 * `dispatch` 202 → workflow started (the API's dispatcher), `task_queue` → workflow task
 * started (Temporal's task queue and the worker's pollers and slots), `to_post` → the POST
 * begins (the worker's activation, local-activity slot, the match and claim statements),
 * `post` → arrival (the HTTP agent, the receiver), `record` arrival → workflow task completed.
 */
async function quietSteps(b: Bench, receiver: BenchReceiver, prefix: string, accepted: Map<string, number>): Promise<Record<string, unknown>> {
  const ids = [...receiver.arrivals.keys()].filter((k) => k.startsWith(`${prefix}_`) && k.endsWith('|quiet')).map((k) => k.split('|')[0]);
  const rows: { event_id: string; started: Date }[] = await b.ds.query(
    `SELECT d.event_id, min(a.started_at) AS started FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
      WHERE d.event_id = ANY($1) GROUP BY d.event_id`,
    [ids],
  );
  const postAt = new Map(rows.map((r) => [r.event_id, new Date(r.started).getTime()]));
  const steps: Record<string, number[]> = { dispatch: [], task_queue: [], to_post: [], post: [], record: [] };
  for (const id of ids) {
    const times = { accepted: accepted.get(id)!, arrived: receiver.arrivals.get(`${id}|quiet`)! };
    const s = await latencyBreakdown(b.client, `event:${id}`, times);
    const post = (postAt.get(id) ?? NaN) - times.accepted;
    steps.dispatch.push(s.event_workflow_started);
    steps.task_queue.push(s.event_task_started - s.event_workflow_started);
    steps.to_post.push(post - s.event_task_started);
    steps.post.push(s.receiver_arrival - post);
    steps.record.push(s.event_task_completed_attempt_recorded - s.receiver_arrival);
  }
  return Object.fromEntries(
    Object.entries(steps).map(([k, v]) => {
      const { p50, p99 } = summary(v.filter((x) => Number.isFinite(x)));
      return [k, { p50: round(p50), p99: round(p99) }];
    }),
  );
}

export function arrivedFor(receiver: BenchReceiver, prefix: string, tag: string): number {
  let n = 0;
  for (const k of receiver.arrivals.keys()) if (k.startsWith(`${prefix}_`) && k.endsWith(`|${tag}`)) n++;
  return n;
}
