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

export interface Results {
  [section: string]: Record<string, unknown>;
}

export interface BenchOptions {
  quick: boolean;
  /** Events of the end-to-end run. */
  events: number;
  /** Deliveries parked on retry timers. */
  parked: number;
  /** Events of the ingest burst. */
  burst: number;
  /** Events of the noisy tenant's burst in the noisy-neighbour run. */
  noisy: number;
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
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: any }>;
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
  workerRss(): number;
  /** Where the worker's memory is, MiB, from its /metrics: V8 heap (used, reserved), external buffers, and RSS. */
  workerMemory(): Promise<Record<string, number>>;
  log(m: string): void;
  stop(): Promise<void>;
}

export const CONCURRENCY = 32;
const ADMIN = 'bench-admin-token-0123456789';

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
  const stack = await startStack({ postgres: {}, temporal: { persist: true }, database: 'herald' });
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
    // Worker tuning under test, e.g. HERALD_MAX_CACHED_WORKFLOWS=100 npm run bench (or glibc's MALLOC_ARENA_MAX)
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('HERALD_MAX_') || k === 'MALLOC_ARENA_MAX')),
  };
  const api = spawnHerald('api', env);
  // The worker loads the workflow bundle bootstrap built (dist/workflow-bundle.js), as in production.
  const worker = spawnHerald('worker', env, opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`] : []);
  stopOnSignal([api, worker], [stack.temporal!.process.pid], () => stack.stop());

  const base = `http://127.0.0.1:${apiPort}`;
  const http = new Agent({ connections: 128 }); // the ingest burst keeps 64 in flight
  const call: Bench['call'] = async (method, path, body) => {
    const res = await request(base + path, {
      method,
      dispatcher: http,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
  };
  for (let i = 0; ; i++) {
    try {
      if ((await call('GET', '/ready')).status === 200) break;
    } catch {
      /* starting */
    }
    if (i > 600) throw new Error(`API not ready:\n${api.output()}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const workerRss = (): number => {
    const status = readFileSync(`/proc/${worker.child.pid}/status`, 'utf8');
    return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  };
  const client = new TemporalClient({ connection: await Connection.connect({ address: stack.temporal!.address }) });
  const pids = { temporal: stack.temporal!.process.pid, worker: worker.child.pid, api: api.child.pid, bench: process.pid };

  return {
    opts,
    stack,
    ds,
    client,
    api,
    worker,
    rssAtStart: workerRss(),
    workerRss,
    async workerMemory() {
      const res = await request(`http://127.0.0.1:${workerMetricsPort}/metrics`, { dispatcher: http });
      const text = await res.body.text();
      const metric = (name: string): number => round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
      return {
        rss: workerRss(),
        v8_heap_used: metric('nodejs_heap_size_used_bytes'),
        v8_heap_total: metric('nodejs_heap_size_total_bytes'),
        external: metric('nodejs_external_memory_bytes'),
      };
    },
    log,
    call,
    results: {
      meta: {
        label: opts.label,
        quick: opts.quick,
        events: opts.events,
        concurrency: CONCURRENCY,
        cores: cpus().length,
        node: process.version,
        date: new Date().toISOString(),
      },
    },
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
        const res = await call('POST', '/v1/events', { id, type: 'image.created', templateId, data: SAMPLE_IMAGE_CREATED });
        if (res.status !== 202) throw new Error(`event ${id}: ${res.status} ${JSON.stringify(res.json)}`);
        const e = performance.now();
        latencies.push(e - s);
        accepted.set(id, performance.timeOrigin + e);
      });
      return { accepted, latencies, seconds: (performance.now() - t0) / 1000 };
    },
    // Postgres counts its postmaster and every backend.
    cpu: () => cpuSnapshot(pids, stack.postgres!.pid),
    async stop() {
      await client.connection.close();
      await http.close();
      await worker.stop();
      await api.stop();
      await ds.destroy();
      await stack.stop();
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
