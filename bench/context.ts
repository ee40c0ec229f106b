/**
 * What every measurement gets: the stack (one bring-up, libs/devstack/stack.ts), the real API
 * and worker processes on it, an HTTP client for the admin API, and the run's sizes. Each
 * measurement in bench/measurements/ writes its figures into `results`.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { createDataSource } from '../libs/db/data-source';
import { SAMPLE_IMAGE_CREATED } from '../libs/delivery/payload';
import { freePort } from '../libs/devstack/ports';
import { startStack, type RunningStack } from '../libs/devstack/stack';
import { spawnHerald, type HeraldProcess } from '../test/support/processes';
import { cpuSnapshot, type CpuComponents } from './cpu';
import type { BenchReceiver } from './receiver';
import { pool, round } from './stats';
import { DEV_SERVER_TASK_QUEUE_PARTITIONS } from '../libs/temporal/fairness';

export interface Results {
  [section: string]: Record<string, unknown>;
}

export interface BenchOptions {
  quick: boolean;
  /** Events of the end-to-end run. */
  events: number;
  /** Deliveries parked on retry timers: each size in turn, increasing (memory is read at each). */
  parked: number[];
  /** Then the receiver recovers and every parked delivery is retried now (off: `--no-drain`, memory only). */
  parkedDrain: boolean;
  /** Events of the ingest burst. */
  burst: number;
  /** Events of the noisy tenant's burst in the noisy-neighbour run. */
  noisy: number;
  /** Events of each tenant in the weights run (three tenants, weights 1, 1 and 4). */
  weights: number;
  /** `--partitions N`: task-queue partitions of the dev server (libs/temporal/fairness.ts). */
  partitions?: number;
  label: string;
  /** `--profile DIR`: the worker writes a V8 CPU profile there when it stops. */
  profile?: string;
}

export interface Bench {
  opts: BenchOptions;
  stack: RunningStack;
  /** The Herald database, for the figures only Postgres knows. */
  ds: DataSource;
  client: TemporalClient;
  api: HeraldProcess;
  worker: HeraldProcess;
  results: Results;
  /** Worker RSS when the stack came up, MiB. */
  rssAtStart: number;
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** A subscription to `receiver`, tagged with the `x-bench-sub` header the receiver counts by. */
  subscribe(receiver: BenchReceiver, tag: string, templateIds?: string[], tenantId?: string): Promise<string>;
  unsubscribe(ids: string[]): Promise<void>;
  /** Posts n events; returns per-event 202 times and ingest latencies. */
  ingest(
    n: number,
    prefix: string,
    concurrency?: number,
    templateId?: string,
  ): Promise<{ accepted: Map<string, number>; latencies: number[]; seconds: number }>;
  /** CPU time so far of each process of the stack. */
  cpu(): CpuComponents;
  /** Stops the API and the worker and starts them again with `extraEnv` added (the OTEL_* variables of the tracing run). */
  restartHerald(extraEnv: Record<string, string>): Promise<void>;
  workerRss(): number;
  /**
   * Where the worker's memory is, MiB: RSS and its anonymous / file-backed parts and peak (from
   * /proc), the main thread's V8 heap (used, reserved, the young generation's share) and external
   * buffers (from its /metrics), and the heap pages of all its V8 isolates (from /proc). Anonymous RSS beyond the main heap and external buffers is the
   * workflow thread's V8 heap, the native core's (its cache of runs, gRPC) and the allocator's.
   */
  workerMemory(): Promise<Record<string, number>>;
  log(m: string): void;
  stop(): Promise<void>;
}

export const CONCURRENCY = 32;
export const ADMIN = 'bench-admin-token-0123456789';

export const log = (m: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

export function mapRound(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)]));
}

/** What to kill when the run ends early: set once the stack is up. */
let emergencyStop: (() => Promise<void>) | undefined;
export const stopEverything = async (): Promise<void> => emergencyStop?.();

/**
 * The stack with a migrated `herald` database and a persistent Temporal SQLite file (its size
 * is a figure), the API and the worker as real processes, ready to take events.
 */
export async function startBench(opts: BenchOptions): Promise<Bench> {
  // A variable, not a literal: a --baseline checkout's stack (before partitions were an option) still compiles.
  const temporal = { persist: true, partitions: opts.partitions };
  const stack = await startStack({ postgres: {}, temporal, database: 'herald' });
  emergencyStop = () => stack.stop();
  const ds = await createDataSource(stack.databaseUrl!).initialize();
  const apiPort = await freePort();
  const workerMetricsPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporal!.address,
    HERALD_API_PORT: String(apiPort),
    HERALD_API_HOST: '127.0.0.1',
    HERALD_ADMIN_TOKEN: ADMIN,
    HERALD_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
    HERALD_ALLOWED_TARGETS: '127.0.0.1',
    HERALD_ALLOW_HTTP: 'true',
    HERALD_LOG_LEVEL: 'warn',
    HERALD_WORKER_METRICS_PORT: String(workerMetricsPort),
    // Worker and dispatcher tuning under test, e.g. HERALD_MAX_CACHED_WORKFLOWS=100, HERALD_DISPATCH_WINDOW=0 or HERALD_WORKFLOW_THREAD=false npm run bench (or glibc's MALLOC_* tunables)
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => k.startsWith('HERALD_MAX_') || k.startsWith('HERALD_DISPATCH_') || k === 'HERALD_WORKFLOW_THREAD' || k.startsWith('MALLOC_'),
      ),
    ),
  };
  // The worker loads the workflow bundle bootstrap built (dist/workflow-bundle.js), as in production.
  const spawnBoth = (extraEnv: Record<string, string> = {}): [HeraldProcess, HeraldProcess] => [
    // Node flags for the API, e.g. BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/api-profile" (the ingest profile).
    spawnHerald('api', { ...env, ...extraEnv }, process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    spawnHerald('worker', { ...env, ...extraEnv }, [
      ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`] : []),
      // Node flags under test, e.g. BENCH_WORKER_NODE_ARGS="--heapsnapshot-signal=SIGUSR2" (the memory investigation).
      ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ]),
  ];
  let [api, worker] = spawnBoth();
  const children = [api, worker];
  stopOnSignal(children, [stack.temporal!.process.pid], () => stack.stop());

  const http = heraldClient([`http://127.0.0.1:${apiPort}`]);
  const call = http.call;
  const ready = async (): Promise<void> => {
    for (let i = 0; ; i++) {
      try {
        if ((await call('GET', '/ready')).status === 200) break;
      } catch {
        /* starting */
      }
      if (i > 600) throw new Error(`API not ready:\n${api.output()}\n${worker.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await ready();
  const workerRss = (): number => {
    const status = readFileSync(`/proc/${worker.child.pid}/status`, 'utf8');
    return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  };
  const client = new TemporalClient({ connection: await Connection.connect({ address: stack.temporal!.address }) });
  const pids = { temporal: stack.temporal!.process.pid, worker: worker.child.pid, api: api.child.pid, bench: process.pid };

  const bench: Bench = {
    opts,
    stack,
    ds,
    client,
    api,
    worker,
    rssAtStart: workerRss(),
    workerRss,
    async workerMemory() {
      const res = await request(`http://127.0.0.1:${workerMetricsPort}/metrics`, { dispatcher: http.agent });
      const text = await res.body.text();
      const metric = (name: string): number => round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
      const status = readFileSync(`/proc/${worker.child.pid}/status`, 'utf8');
      const kib = (field: string): number => round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024);
      return {
        rss: kib('VmRSS'),
        rss_anon: kib('RssAnon'),
        rss_file: kib('RssFile'),
        rss_peak: kib('VmHWM'),
        v8_heap_used: metric('nodejs_heap_size_used_bytes'),
        v8_heap_total: metric('nodejs_heap_size_total_bytes'),
        v8_new_space_total: metric('nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
        external: metric('nodejs_external_memory_bytes'),
        v8_pages_all_threads: v8PagesMiB(worker.child.pid!),
      };
    },
    log,
    call,
    results: {
      meta: {
        label: opts.label,
        quick: opts.quick,
        events: opts.events,
        partitions: opts.partitions ?? DEV_SERVER_TASK_QUEUE_PARTITIONS,
        concurrency: CONCURRENCY,
        cores: cpus().length,
        node: process.version,
        date: new Date().toISOString(),
      },
    },
    subscribe: http.subscribe,
    unsubscribe: http.unsubscribe,
    ingest: http.ingest,
    // Postgres counts its postmaster and every backend.
    cpu: () => cpuSnapshot(pids, stack.postgres!.pid),
    async restartHerald(extraEnv) {
      await worker.stop();
      await api.stop();
      [api, worker] = spawnBoth(extraEnv);
      children.splice(0, children.length, api, worker);
      Object.assign(pids, { api: api.child.pid, worker: worker.child.pid });
      Object.assign(bench, { api, worker });
      await ready();
      // Start-up work (loading the bundle, connecting) must not count in what follows: wait until the worker idles.
      for (let i = 0; i < 30; i++) {
        const before = bench.cpu().worker;
        await new Promise((r) => setTimeout(r, 1000));
        if (bench.cpu().worker - before < 50) break;
      }
    },
    async stop() {
      await client.connection.close();
      await http.agent.close();
      await worker.stop();
      await api.stop();
      await ds.destroy();
      await stack.stop();
    },
  };
  return bench;
}

/**
 * Resident MiB of V8's heap pages in every isolate of a process (the main thread's and the
 * workflow thread's): anonymous mappings of exactly one V8 page, 256 KiB, aligned on it. The main
 * thread's /metrics see only its own heap; the difference is the workflow thread's. Large objects
 * (their own mappings) are not counted.
 */
function v8PagesMiB(pid: number): number {
  const PAGE = 256 * 1024;
  let kib = 0;
  let page = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ 0\s*$/.exec(line);
    if (range) {
      const [start, end] = [parseInt(range[1], 16), parseInt(range[2], 16)];
      page = end - start === PAGE && start % PAGE === 0;
    } else if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) page = false;
    else if (page && line.startsWith('Rss:')) kib += Number(line.split(/\s+/)[1]);
  }
  return round(kib / 1024);
}

export type HeraldClient = Pick<Bench, 'call' | 'subscribe' | 'unsubscribe' | 'ingest'> & { agent: Agent; retried503: () => number };

/**
 * The admin API's calls the measurements make, spread round-robin over `bases` (the API replicas
 * of a cluster, as a load balancer would; one base on the dev stack).
 */
export function heraldClient(bases: string[], opts: { retryUnavailable?: boolean } = {}): HeraldClient {
  const agent = new Agent({ connections: 128 }); // the ingest burst keeps 64 in flight
  let next = 0;
  let retried = 0;
  const call: Bench['call'] = async (method, path, body) => {
    const base = bases[next++ % bases.length];
    const res = await request(base + path, {
      method,
      dispatcher: agent,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
  };
  return {
    agent,
    retried503: () => retried,
    call,
    async subscribe(receiver, tag, templateIds = [], tenantId) {
      const res = await call('POST', '/v1/subscriptions', {
        tenantId,
        url: receiver.url,
        eventTypes: ['image.created'],
        templateIds,
        payloadFormat: 'envelope',
        headers: { 'x-bench-sub': tag },
      });
      if (res.status !== 201) throw new Error(`subscription: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json.id;
    },
    async unsubscribe(ids) {
      for (const id of ids) await call('PATCH', `/v1/subscriptions/${id}`, { enabled: false });
    },
    async ingest(n, prefix, concurrency = CONCURRENCY, templateId) {
      const accepted = new Map<string, number>();
      const latencies: number[] = [];
      const t0 = performance.now();
      await pool(n, concurrency, async (i) => {
        const id = `${prefix}_${i}`;
        const s = performance.now();
        let res = await call('POST', '/v1/events', { id, type: 'image.created', templateId, data: SAMPLE_IMAGE_CREATED });
        // `retryUnavailable` (the cluster): a 503 says "retry the request", and a client behind a balancer does (counted).
        for (let tries = 0; opts.retryUnavailable && res.status === 503 && tries < 10; tries++) {
          retried++;
          await new Promise((r) => setTimeout(r, 200 * 2 ** Math.min(tries, 4)));
          res = await call('POST', '/v1/events', { id, type: 'image.created', templateId, data: SAMPLE_IMAGE_CREATED });
        }
        if (res.status !== 202) throw new Error(`event ${id}: ${res.status} ${JSON.stringify(res.json)}`);
        const e = performance.now();
        latencies.push(e - s);
        accepted.set(id, performance.timeOrigin + e);
      });
      return { accepted, latencies, seconds: (performance.now() - t0) / 1000 };
    },
  };
}

/**
 * Ctrl-C, a CI timeout or a failed phase must not leave the API, worker, Temporal server or
 * Postgres running: kill what we started, then exit.
 */
function stopOnSignal(children: HeraldProcess[], pids: (number | undefined)[], stopStack: () => Promise<void>): void {
  emergencyStop = async () => {
    for (const c of children) c.child.kill('SIGKILL');
    for (const pid of pids)
      if (pid)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    await Promise.race([stopStack(), new Promise((r) => setTimeout(r, 5000))]);
  };
  const stop = (): void => void emergencyStop?.().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
