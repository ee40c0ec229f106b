/**
 * `npm run bench [-- --quick]`: what Herald exists for, measured on this machine against
 * references run in the same process tree and the same minute. Loopback only, bounded in time.
 * Writes bench/results/latest.json and bench/results/latest.md.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { Agent, request } from 'undici';
import { startEmbeddedPostgres } from '../libs/devstack/embedded-postgres';
import { freePort } from '../libs/devstack/ports';
import { startTemporalDevServer } from '../libs/devstack/temporal-dev-server';
import { createDataSource } from '../libs/db/data-source';
import { SAMPLE_IMAGE_CREATED } from '../libs/delivery/payload';
import { Subscription } from '../libs/db/entities';
import { deliveryWorkflowId } from '../libs/temporal/names';
import { createEngineWorker, eventually, testSecretBox } from '../test/support/engine';
import { spawnHerald, type HeraldProcess } from '../test/support/processes';
import { seedDelivery, seedEvent, seedSubscription } from '../test/support/seed';
import { createTimeSkippingEnv } from '../test/support/temporal';
import { startBenchReceiver, type BenchReceiver } from './receiver';
import { pool, round, summary } from './stats';
import { historyCost, latencyBreakdown } from './cost';
import { cpuPer, cpuSnapshot, postmasterPid } from './cpu';
import * as floorActivities from './floor/floor.activities';

const QUICK = process.argv.includes('--quick');
const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
// The full run's sizes fit its 15-minute budget on 2 cores (about 10 deliveries/s end to end);
// `--events 5000 --parked 10000` on a bigger machine.
const N = Number(flag('--events') ?? (QUICK ? 150 : 1500));
const PARKED = Number(flag('--parked') ?? (QUICK ? 150 : 1500));
const TIMER_SAMPLE = 100;
const IDLE_SAMPLE = QUICK ? 10 : 50;
/** A previous run's latest.json to show side by side ("before"), e.g. the engine before a change. */
const BASELINE = flag('--baseline');
const LABEL = flag('--label') ?? 'after';
/** `--only e2e,floor`: run some sections (profiling); the default is all of them. */
const ONLY = flag('--only')?.split(',');
const want = (section: string): boolean => !ONLY || ONLY.includes(section);
/** `--profile DIR`: the worker writes a V8 CPU profile there when it stops. */
const PROFILE = flag('--profile');
const CONCURRENCY = 32;
const ADMIN = 'bench-admin-token-0123456789';
const log = (m: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

interface Results { [section: string]: Record<string, unknown> }

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  chmodSync(dir, 0o755); // as root, embedded Postgres runs as the `postgres` user and must reach its data dir
  const [pg, temporal] = await Promise.all([
    (async () => startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort(), persistent: false }))(),
    (async () => startTemporalDevServer({ port: await freePort(), dbFile: join(dir, 'temporal.db') }))(),
  ]);
  const admin = new PgClient({ connectionString: pg.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE herald');
  await admin.end();
  const databaseUrl = pg.urlFor('herald');
  const ds = await createDataSource(databaseUrl).initialize();
  await ds.runMigrations();

  const apiPort = await freePort();
  const env = {
    PATH: process.env.PATH, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporal.address, HERALD_API_PORT: String(apiPort), HERALD_API_HOST: '127.0.0.1',
    HERALD_ADMIN_TOKEN: ADMIN, HERALD_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'), HERALD_ALLOWED_TARGETS: '127.0.0.1', HERALD_ALLOW_HTTP: 'true',
    HERALD_LOG_LEVEL: 'warn', HERALD_WORKER_METRICS_PORT: String(await freePort()),
    // Worker tuning under test, e.g. HERALD_MAX_CACHED_WORKFLOWS=100 npm run bench
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('HERALD_MAX_'))),
  };
  // The worker runs the prebuilt workflow bundle, as in production (Dockerfile): no webpack in its heap.
  const bundle = join(dir, 'workflow-bundle.js');
  writeFileSync(bundle, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger })).code);
  const api = spawnHerald('api', env);
  const worker = spawnHerald('worker', { ...env, HERALD_WORKFLOW_BUNDLE: bundle }, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []);
  stopOnSignal([api, worker], [temporal.process.pid], async () => { await pg.stop(); rmSync(dir, { recursive: true, force: true }); });
  const base = `http://127.0.0.1:${apiPort}`;
  const http = new Agent({ connections: CONCURRENCY * 2 });
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await request(base + path, { method, dispatcher: http, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
  };
  for (let i = 0; ; i++) {
    try { if ((await call('GET', '/ready')).status === 200) break; } catch { /* starting */ }
    if (i > 600) throw new Error(`API not ready:\n${api.output()}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const rssAtStart = workerRss(worker.child.pid!);
  const postmaster = postmasterPid(join(dir, 'pg'));
  const cpu = (): Record<string, number> => cpuSnapshot({ temporal: temporal.process.pid, worker: worker.child.pid, api: api.child.pid, bench: process.pid }, postmaster);
  log(`stack up in ${Date.now() - started} ms (N=${N}${QUICK ? ', quick' : ''})`);
  const client = new TemporalClient({ connection: await Connection.connect({ address: temporal.address }) });
  const results: Results = { meta: { label: LABEL, quick: QUICK, events: N, concurrency: CONCURRENCY, cores: (await import('node:os')).cpus().length, node: process.version, date: new Date().toISOString() } };

  const subscribe = async (receiver: BenchReceiver, tag: string, templateIds: string[] = []): Promise<string> => {
    const res = await call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: ['image.created'], templateIds, payloadFormat: 'envelope', headers: { 'x-bench-sub': tag } });
    if (res.status !== 201) throw new Error(`subscription: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.id;
  };
  const unsubscribe = async (ids: string[]): Promise<void> => { for (const id of ids) await call('PATCH', `/v1/subscriptions/${id}`, { enabled: false }); };

  /** Posts n events; returns per-event 202 times and ingest latencies. */
  const ingest = async (n: number, prefix: string, concurrency = CONCURRENCY, templateId?: string): Promise<{ accepted: Map<string, number>; latencies: number[]; seconds: number }> => {
    const accepted = new Map<string, number>();
    const latencies: number[] = [];
    const t0 = performance.now();
    await pool(n, concurrency, async (i) => {
      const id = `${prefix}_${i}`;
      const s = performance.now();
      const res = await call('POST', '/v1/events', { id, type: 'image.created', templateId, data: SAMPLE_IMAGE_CREATED });
      if (res.status !== 202) throw new Error(`event ${id}: ${res.status} ${JSON.stringify(res.json)}`);
      const e = performance.now();
      latencies.push(e - s);
      accepted.set(id, performance.timeOrigin + e);
    });
    return { accepted, latencies, seconds: (performance.now() - t0) / 1000 };
  };

  // Idle latency: single events, one at a time, on a quiet stack: 202 → arrival without queueing.
  if (want('timer')) {
    const receiver = await startBenchReceiver(200);
    const idleSub = await subscribe(receiver, 'idle', ['bench-idle']);
    const lat: number[] = [];
    const times: { accepted: number; arrived: number }[] = [];
    for (let i = 0; i < IDLE_SAMPLE; i++) {
      const { accepted } = await ingest(1, `evt_idle${i}`, 1, 'bench-idle');
      const key = `evt_idle${i}_0|idle`;
      await eventually(async () => receiver.arrivals.has(key), 30_000, 'idle delivery');
      times.push({ accepted: accepted.get(`evt_idle${i}_0`)!, arrived: receiver.arrivals.get(key)! });
      lat.push(times[i].arrived - times[i].accepted);
    }
    results.idle_latency_202_to_arrival_ms = mapRound(summary(lat));
    // The median of each step over the idle deliveries: which hop the latency is spent in.
    const steps = await Promise.all(Array.from({ length: IDLE_SAMPLE }, async (_, i) => {
      const [d] = await ds.query(`SELECT subscription_id FROM deliveries WHERE event_id = $1`, [`evt_idle${i}_0`]);
      return latencyBreakdown(client, `event:evt_idle${i}_0`, `delivery:evt_idle${i}_0:${d.subscription_id}`, times[i]);
    }));
    results.idle_latency_steps_ms = Object.fromEntries(Object.keys(steps[0]).map((k) => [k, round(summary(steps.map((s) => s[k])).p50)]));
    log(`idle: ${JSON.stringify(results.idle_latency_202_to_arrival_ms)} steps ${JSON.stringify(results.idle_latency_steps_ms)}`);
    await unsubscribe([idleSub]);
    await receiver.close();
  }

  // 6. Timer accuracy: 100 deliveries to a failing receiver fail twice, then wait on the 1-minute
  // timer. The full run waits for them on a quiet stack; --quick lets the other phases run
  // meanwhile (its lateness is measured under load), to stay within its 2 minutes.
  let timerPhase: Promise<void> = Promise.resolve();
  if (want('timer')) {
    const failing = await startBenchReceiver(500);
    // Scoped to its own template: the other phases' events never reach this subscription.
    const sub = await subscribe(failing, 'timer', ['bench-timer']);
    // Posted one at a time, 2 per second (--quick: at once), so their retries come due spread
    // out like real traffic: a burst of 100 would queue behind itself and measure that, not the timer.
    for (let i = 0; i < TIMER_SAMPLE; i++) {
      await ingest(1, `evt_timer${i}`, 1, 'bench-timer');
      if (!QUICK) await new Promise((r) => setTimeout(r, 500));
    }
    const timerRequests = (): number => failing.requestsBy.get('timer') ?? 0;
    await eventually(async () => timerRequests() >= TIMER_SAMPLE * 2, 120_000, 'two attempts each');

    timerPhase = (async () => {
      await eventually(async () => timerRequests() >= TIMER_SAMPLE * 3, 300_000, 'third attempts');
      await eventually(async () => Number((await ds.query(`SELECT count(*) AS n FROM attempts WHERE subscription_id = $1 AND number = 3`, [sub]))[0].n) >= TIMER_SAMPLE, 30_000, 'third attempts recorded');
      const lateness: { ms: number }[] = await ds.query(
        `SELECT extract(epoch FROM a3.started_at - (a2.finished_at + interval '60 seconds')) * 1000 AS ms
           FROM attempts a2 JOIN attempts a3 ON a3.delivery_id = a2.delivery_id AND a3.number = 3
          WHERE a2.number = 2 AND a2.subscription_id = $1`, [sub]);
      results.timer_lateness_ms = { ...mapRound(summary(lateness.map((r) => Number(r.ms)))), under_load: QUICK ? 1 : 0 };
      log(`1-minute timer lateness: ${JSON.stringify(results.timer_lateness_ms)}`);
      await unsubscribe([sub]); // their next attempt, 5 minutes on, finds the subscription disabled
      await failing.close();
    })();
    timerPhase.catch(() => undefined); // awaited (and its failure reported) at the end
    if (!QUICK) await timerPhase;
  }

  // 1. End-to-end throughput and latency, × 1 and × 5 subscriptions.
  for (const fanout of want('e2e') ? [1, 5] : []) {
    const receiver = await startBenchReceiver(200);
    const subs = await Promise.all(Array.from({ length: fanout }, (_, i) => subscribe(receiver, `s${i}`)));
    const t0 = performance.timeOrigin + performance.now();
    const cpu0 = cpu();
    const events = fanout === 1 ? N : Math.floor(N / 5);
    const { accepted, latencies, seconds } = await ingest(events, `evt_e2e${fanout}`);
    await eventually(async () => receiver.arrivals.size >= events * fanout, 600_000, `${events * fanout} deliveries`);
    const last = Math.max(...receiver.arrivals.values());
    const lat = [...receiver.arrivals.entries()].map(([k, t]) => t - accepted.get(k.split('|')[0])!);
    results[`e2e_x${fanout}`] = {
      events, deliveries: events * fanout, deliveries_per_s: round((events * fanout) / ((last - t0) / 1000)),
      latency_202_to_arrival_ms: mapRound(summary(lat)), ingest_per_s: round(events / seconds), ingest_ms: mapRound(summary(latencies)),
      cpu_ms_per_delivery: cpuPer(cpu0, cpu(), events * fanout),
    };
    log(`e2e ×${fanout}: ${JSON.stringify(results[`e2e_x${fanout}`])}`);
    await unsubscribe(subs);
    await receiver.close();
  }

  // 2a. Raw HTTP limit: undici POST loop, same concurrency, same receiver.
  if (want('raw')) {
    const receiver = await startBenchReceiver(200);
    const body = JSON.stringify(SAMPLE_IMAGE_CREATED);
    const t0 = performance.now();
    await pool(N, CONCURRENCY, async (i) => {
      const res = await request(receiver.url, { method: 'POST', dispatcher: http, body: JSON.stringify({ bench_key: `raw${i}`, ...JSON.parse(body) }), headers: { 'content-type': 'application/json' } });
      await res.body.dump();
    });
    results.raw_http = { requests: N, requests_per_s: round(N / ((performance.now() - t0) / 1000)) };
    log(`raw: ${JSON.stringify(results.raw_http)}`);
    await receiver.close();
  }

  // 2b. Bare Temporal floor: one workflow per event, one activity POSTing, same dev server.
  if (want('floor')) {
    const receiver = await startBenchReceiver(200);
    const connection = await NativeConnection.connect({ address: temporal.address });
    const floor = await Worker.create({ connection, taskQueue: 'bench-floor', workflowsPath: require.resolve('./floor/floor.workflow'), activities: floorActivities, maxCachedWorkflows: 500 });
    const floorN = QUICK ? N : Math.floor(N / 2);
    await floor.runUntil(async () => {
      const t0 = performance.now();
      const cpu0 = cpu();
      await pool(floorN, CONCURRENCY, async (i) => {
        await client.workflow.start('floorWebhook', { taskQueue: 'bench-floor', workflowId: `floor-${i}`, args: [receiver.url, JSON.stringify({ bench_key: `floor${i}` })] });
      });
      await eventually(async () => receiver.arrivals.size >= floorN, 600_000, 'floor deliveries');
      // The floor's worker runs inside the bench process: its CPU shows under `bench`.
      results.temporal_floor = { deliveries: floorN, deliveries_per_s: round(floorN / ((performance.now() - t0) / 1000)), cpu_ms_per_delivery: cpuPer(cpu0, cpu(), floorN) };
    });
    await connection.close();
    log(`floor: ${JSON.stringify(results.temporal_floor)}`);
    await receiver.close();
  }
  if (results.e2e_x1 && results.temporal_floor && results.raw_http) {
    const herald1 = results.e2e_x1.deliveries_per_s as number;
    results.ratios = {
      herald_x1_over_floor: round(herald1 / (results.temporal_floor.deliveries_per_s as number), 2),
      herald_x1_over_raw: round(herald1 / (results.raw_http.requests_per_s as number), 3),
    };
  }

  // 4. Cost per successful event and per dead-lettered delivery, from real histories.
  if (want('cost')) {
    const [evt] = await ds.query(`SELECT event_id, subscription_id FROM deliveries WHERE status = 'succeeded' AND event_id LIKE 'evt_e2e1_%' LIMIT 1`);
    results.cost_success = await historyCost(client, [`event:${evt.event_id}`, `delivery:${evt.event_id}:${evt.subscription_id}`]);
    const rows = await ds.query(`SELECT (SELECT count(*) FROM deliveries) AS deliveries, (SELECT count(*) FROM attempts) AS attempts, (SELECT count(*) FROM events) AS events,
      pg_total_relation_size('deliveries') + pg_total_relation_size('attempts') + pg_total_relation_size('events') AS bytes`);
    const d = Number(rows[0].deliveries);
    results.postgres_per_delivery = { rows: round((Number(rows[0].deliveries) + Number(rows[0].attempts) + Number(rows[0].events)) / d, 2), bytes: Math.round(Number(rows[0].bytes) / d) };
    log(`cost: ${JSON.stringify(results.cost_success)} pg ${JSON.stringify(results.postgres_per_delivery)}`);
  }

  // 4b. Cost of a fully dead-lettered delivery: the whole 81-minute schedule on the time-skipping
  // server, same workflow code and activities, a receiver that always answers 500.
  if (want('dead-letter')) {
    const failing = await startBenchReceiver(500);
    const env = await createTimeSkippingEnv();
    try {
      // Its own event type and disabled afterwards: the API's events must never match it (its
      // secret is sealed with the test key, which the bench's worker does not hold).
      const sub = await seedSubscription(ds, testSecretBox(), { url: failing.url, eventTypes: ['bench.dead_letter'] });
      const event = await seedEvent(ds);
      const delivery = await seedDelivery(ds, event, sub);
      const w = await createEngineWorker({ connection: env.nativeConnection, taskQueue: 'bench-dead-letter', dataSource: ds });
      const workflowId = deliveryWorkflowId(event.id, sub.id);
      await w.runUntil(async () => {
        const handle = await env.client.workflow.start('deliveryWorkflow', { taskQueue: 'bench-dead-letter', workflowId, args: [{ deliveryId: delivery.id, eventId: event.id, subscriptionId: sub.id }] });
        await handle.result().catch(() => undefined); // fails with DeliveryExhausted, as designed
      });
      const cost = await historyCost(env.client, [workflowId]);
      // Started directly here (1 action); as the event workflow's child it bills 2.
      results.cost_dead_letter = { attempts: failing.requests, history_events: cost.history_events, billable_actions: cost.billable_actions + 1 };
      log(`dead-letter cost: ${JSON.stringify(results.cost_dead_letter)}`);
      await ds.getRepository(Subscription).update({ id: sub.id }, { enabled: false });
    } finally {
      await env.teardown();
      await failing.close();
    }
  }

  // 5. Deliveries parked in retry timers; then recovery and drain.
  if (want('parked')) {
    const failing = await startBenchReceiver(500);
    const sub = await subscribe(failing, 'parked');
    const t0 = Date.now();
    await ingest(PARKED, 'evt_park');
    // Two immediate failures each, then a 1-minute timer.
    await eventually(async () => (failing.requestsBy.get('parked') ?? 0) >= PARKED * 2, 900_000, 'parked deliveries');
    const parkedAfter = (Date.now() - t0) / 1000;
    const rss = workerRss(worker.child.pid!);
    const apiLat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      await call('GET', `/v1/deliveries?subscriptionId=${sub}&limit=50`);
      apiLat.push(performance.now() - s);
    }
    const [{ size }] = await ds.query(`SELECT pg_database_size('herald') AS size`);
    results.parked = {
      deliveries: PARKED, seconds_to_park: round(parkedAfter), worker_rss_mib: rss, worker_rss_at_start_mib: rssAtStart, temporal_db_mib: round(fileMiB(join(dir, 'temporal.db'))),
      postgres_db_mib: round(Number(size) / 2 ** 20), api_list_ms: mapRound(summary(apiLat)),
    };
    log(`parked: ${JSON.stringify(results.parked)}`);
    failing.status = 200;
    // The receiver recovers; an operator sends retryNow (through the API) to every delivery.
    const d0 = performance.now();
    const deadline = Date.now() + 900_000;
    // One retryNow each is enough (one that lands mid-attempt skips the next wait). Only if
    // arrivals stall for 15 s are the stragglers signalled again: signalling everything in a
    // loop would flood the queue with redundant signals and measure that instead.
    let signalled = 0;
    while (failing.arrivals.size < PARKED) {
      if (Date.now() > deadline) throw new Error('timed out waiting for drain');
      const ids: { id: string }[] = await ds.query(`SELECT id FROM deliveries WHERE subscription_id = $1 AND status <> 'succeeded'`, [sub]);
      signalled += ids.length;
      await pool(ids.length, CONCURRENCY, async (i) => { await call('POST', `/v1/deliveries/${ids[i].id}/retry`); });
      let seen = failing.arrivals.size;
      let lastProgress = Date.now();
      while (failing.arrivals.size < PARKED && Date.now() - lastProgress < 15_000) {
        await new Promise((r) => setTimeout(r, 250));
        if (failing.arrivals.size > seen) [seen, lastProgress] = [failing.arrivals.size, Date.now()];
      }
    }
    results.parked.retry_requests = signalled;
    results.parked.drain_seconds = round((performance.now() - d0) / 1000);
    log(`drained in ${results.parked.drain_seconds} s`);
    await failing.close();
  }

  await timerPhase;
  results.meta.total_seconds = round((Date.now() - started) / 1000);
  await client.connection.close();
  await http.close();
  await worker.stop();
  await api.stop();
  await ds.destroy();
  await temporal.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
  const out = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  const baseline = BASELINE ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as Results) : undefined;
  writeFileSync(join(out, 'latest.md'), markdown(results, baseline));
  log(`done in ${results.meta.total_seconds} s → bench/results/latest.{json,md}`);
}

function mapRound(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)]));
}

function workerRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function fileMiB(path: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try { total += statSync(path + suffix).size; } catch { /* absent */ }
  }
  return total / 2 ** 20;
}

/** One row per figure; with a baseline, its value sits beside this run's. */
function markdown(r: Results, baseline?: Results): string {
  const show = (v: unknown): string => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const head = baseline ? `| section | figure | ${baseline.meta.label ?? 'before'} | ${r.meta.label} |\n|---|---|---|---|` : '| section | figure | value |\n|---|---|---|';
  const rows = Object.entries(r).flatMap(([section, values]) => Object.entries(values).map(([k, v]) =>
    baseline ? `| ${section} | ${k} | ${show(baseline[section]?.[k])} | ${show(v)} |` : `| ${section} | ${k} | ${show(v)} |`));
  return `# Herald benchmark (${r.meta.date})\n\n${head}\n${rows.join('\n')}\n`;
}

const quietLogger = new DefaultLogger('WARN');

/** What to kill when the run ends early: set once the stack is up. */
let emergencyStop: (() => Promise<void>) | undefined;

/**
 * Ctrl-C, a CI timeout or a failed phase must not leave the API, worker, Temporal server or
 * Postgres running: kill what we started, then exit.
 */
function stopOnSignal(children: HeraldProcess[], pids: (number | undefined)[], stopPostgres: () => Promise<void>): void {
  emergencyStop = async () => {
    for (const c of children) c.child.kill('SIGKILL');
    for (const pid of pids) if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await Promise.race([stopPostgres(), new Promise((r) => setTimeout(r, 5000))]);
  };
  const stop = (): void => void emergencyStop?.().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  await emergencyStop?.();
  process.exit(1);
});
