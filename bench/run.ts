/**
 * `npm run bench [-- --quick] [--only e2e,ingest-burst,idle] [--events N] [--parked N[,N…]] [--no-drain] [--burst N] [--noisy N] [--stats-attempts N] [--weights N] [--ordered N] [--partitions N] [--cluster]`: what Herald exists for, measured on this machine against
 * references run in the same process tree and the same minute. Loopback only, bounded in time.
 * A driver over bench/measurements/ (one module per measurement) on the stack of bench/context.ts.
 * `--cluster` adds the end-to-end run on the production topology (`npm run cluster`'s), after the
 * dev server's: `--only e2e --cluster` compares the two. Writes bench/results/latest.json and latest.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFailure } from '../libs/devstack/errors';
import { jaegerPath } from '../libs/devstack/toolchain';
import { log, startBench, stopEverything, type Results } from './context';
import { measureCostPerEvent } from './measurements/cost-per-event';
import { measureDeadLetterCost } from './measurements/dead-letter-cost';
import { measureClusterEndToEnd } from './measurements/cluster';
import { measureEndToEnd } from './measurements/end-to-end';
import { measureIdleLatency } from './measurements/idle-latency';
import { measureIngestBurst } from './measurements/ingest-burst';
import { measureLogAtScale } from './measurements/log-scale';
import { measureWorkerStart } from './measurements/worker-start';
import { measureNoisyNeighbour } from './measurements/noisy-neighbour';
import { measureOrdered } from './measurements/ordered';
import { measureParked } from './measurements/parked';
import { measureRawHttp } from './measurements/raw-http';
import { measureRetention } from './measurements/retention';
import { measureStats } from './measurements/stats';
import { measureTemporalCeilings } from './measurements/temporal-ceilings';
import { measureTemporalFloor } from './measurements/temporal-floor';
import { measureWeights } from './measurements/weights';
import { startTimerLateness } from './measurements/timer-lateness';
import { measureTracing } from './measurements/tracing';
import { round } from './stats';
import { computeRatios, targetsTable } from './targets';

const QUICK = process.argv.includes('--quick');
const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
/** A previous run's latest.json to show side by side ("before"), e.g. the engine before a change. */
const BASELINE = flag('--baseline');
/** `--only e2e,floor`: run some sections (profiling); the default is all of them. */
const ONLY = flag('--only')?.split(',');
const want = (section: string): boolean => !ONLY || ONLY.includes(section);
/** Not in the default run: it needs the Temporal server built from source (scripts/cluster-tools.sh). */
const CLUSTER = process.argv.includes('--cluster');
/** Sections without the stack, run only when named: `log-scale` (its own Postgres; the 5 M-row seed takes minutes), `worker-start`. */
const STANDALONE = ['log-scale', 'worker-start'];

async function main(): Promise<void> {
  const started = Date.now();
  const out = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  if (ONLY?.every((s) => STANDALONE.includes(s))) return standalone(started, out);
  // The full run's sizes fit its 15-minute budget on 2 cores (about 10 deliveries/s end to end);
  // `--events 5000 --parked 10000` on a bigger machine.
  const b = await startBench({
    quick: QUICK,
    events: Number(flag('--events') ?? (QUICK ? 150 : 1500)),
    // `--parked 1000,5000,10000`: one run parks up to each size in turn, memory read at each.
    parked: (flag('--parked') ?? (QUICK ? '150' : '1500')).split(',').map(Number),
    parkedDrain: !process.argv.includes('--no-drain'),
    burst: Number(flag('--burst') ?? (QUICK ? 500 : 10_000)),
    noisy: Number(flag('--noisy') ?? (QUICK ? 300 : 5_000)),
    weights: Number(flag('--weights') ?? (QUICK ? 50 : 400)),
    partitions: flag('--partitions') === undefined ? undefined : Number(flag('--partitions')),
    label: flag('--label') ?? 'after',
    profile: flag('--profile'),
  });
  log(`stack up in ${Date.now() - started} ms (N=${b.opts.events}${QUICK ? ', quick' : ''})`);

  let timerPhase: Promise<void> = Promise.resolve();
  // `--only idle`: the idle 202 → arrival alone, without the timer's two minutes.
  if (want('timer') || ONLY?.includes('idle')) await measureIdleLatency(b);
  if (want('timer')) {
    timerPhase = (await startTimerLateness(b)).measured;
    timerPhase.catch(() => undefined); // awaited (and its failure reported) at the end
    if (!QUICK) await timerPhase;
  }
  if (want('e2e')) {
    for (const fanout of [1, 5, 20]) await measureEndToEnd(b, fanout);
    // How Herald's CPU per delivery falls as one event fans out to more subscriptions.
    b.results.e2e_cpu_ms_per_delivery_by_fanout = Object.fromEntries(
      [1, 5, 20].map((f) => [`x${f}`, (b.results[`e2e_x${f}`]?.cpu_ms_per_delivery as Record<string, number> | undefined)?.total]),
    );
  }
  if (CLUSTER) await measureClusterEndToEnd(b);
  if (want('ingest-burst')) await measureIngestBurst(b);
  if (want('raw')) await measureRawHttp(b);
  if (want('floor')) await measureTemporalFloor(b);
  if (want('ceiling')) await measureTemporalCeilings(b);
  const ratios = computeRatios(b.results);
  if (Object.keys(ratios).length) b.results.ratios = ratios;
  if (want('noisy')) await measureNoisyNeighbour(b);
  if (want('weights')) await measureWeights(b);
  if (want('cost')) await measureCostPerEvent(b);
  if (want('dead-letter')) await measureDeadLetterCost(b);
  // Ordered delivery beside unordered at the same load (#23): `--ordered N` events per run.
  if (want('ordered')) await measureOrdered(b, Number(flag('--ordered') ?? (QUICK ? 100 : 400)));
  if (want('parked')) await measureParked(b);
  if (want('retention')) await measureRetention(b);
  // Opt-in (it seeds a million attempts): `--only stats [--stats-attempts N]`.
  if (ONLY?.includes('stats')) await measureStats(b, Number(flag('--stats-attempts') ?? (QUICK ? 60_000 : 1_000_000)));
  // Tracing on and off needs Jaeger: the default run measures it when Jaeger is cached;
  // `--only tracing` builds it first if need be (minutes, scripts/install-jaeger.sh).
  if (ONLY?.includes('tracing') || (!ONLY && existsSync(jaegerPath()))) await measureTracing(b);
  else if (!ONLY) log('tracing: skipped, Jaeger is not built (npm run bench -- --only tracing builds it)');
  await timerPhase;

  b.results.meta.total_seconds = round((Date.now() - started) / 1000);
  await b.stop();
  writeFileSync(join(out, 'latest.json'), JSON.stringify(b.results, null, 2) + '\n');
  const baseline = BASELINE ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as Results) : undefined;
  writeFileSync(join(out, 'latest.md'), markdown(b.results, baseline));
  log(`done in ${b.results.meta.total_seconds} s → bench/results/latest.{json,md}`);
}

/**
 * `--only worker-start`: bundling at start against the prebuilt bundle, into bench/results/latest.json.
 * `--only log-scale [--deliveries N] [--log-scale-dir DIR]`: the delivery log at scale on its
 * own Postgres; writes bench/results/latest-log-scale.{json,md}. `--seed-only`: seed DIR and stop
 * (the minutes of seeding need not hold the bench lock; the timing run then reuses DIR).
 * `--log-scale-base DIST`: the "before" column runs that compiled checkout's code (e.g. main's).
 */
async function standalone(started: number, out: string): Promise<void> {
  const results: Results = { meta: { label: flag('--label') ?? 'after', quick: QUICK, node: process.version, date: new Date().toISOString() } };
  if (want('worker-start')) {
    await measureWorkerStart(results);
    log(`worker start: ${JSON.stringify(results.worker_start)}`);
    writeFileSync(join(out, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  }
  if (!want('log-scale')) return;
  const deliveries = Number(flag('--deliveries') ?? (QUICK ? 200_000 : 5_000_000));
  const seedOnly = process.argv.includes('--seed-only');
  const measured = await measureLogAtScale(results, { deliveries, dir: flag('--log-scale-dir'), seedOnly, baseDist: flag('--log-scale-base'), log });
  results.meta.total_seconds = round((Date.now() - started) / 1000);
  if (!measured) {
    log(`log-scale: seeded (--seed-only) in ${results.meta.total_seconds} s: ${JSON.stringify(results.log_scale)}`);
    return;
  }
  const { markdown } = measured;
  writeFileSync(join(out, 'latest-log-scale.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(out, 'latest-log-scale.md'), markdown);
  log(`done in ${results.meta.total_seconds} s → bench/results/latest-log-scale.{json,md}`);
}

/** One row per figure; with a baseline, its value sits beside this run's. */
function markdown(r: Results, baseline?: Results): string {
  const show = (v: unknown): string => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const head = baseline
    ? `| section | figure | ${baseline.meta.label ?? 'before'} | ${r.meta.label} |\n|---|---|---|---|`
    : '| section | figure | value |\n|---|---|---|';
  const rows = Object.entries(r).flatMap(([section, values]) =>
    Object.entries(values).map(([k, v]) =>
      baseline ? `| ${section} | ${k} | ${show(baseline[section]?.[k])} | ${show(v)} |` : `| ${section} | ${k} | ${show(v)} |`,
    ),
  );
  return `# Herald benchmark (${r.meta.date})\n\n## Targets (issue #14)\n\n${targetsTable(r)}\n\n## All figures\n\n${head}\n${rows.join('\n')}\n`;
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench failed: ${describeFailure(err)}\n`);
  await stopEverything();
  process.exit(1);
});
