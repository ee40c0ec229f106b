import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withMallocTuning } from '../config/config';
import { REPO_ROOT } from './dev-env';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { StackError } from './errors';
import { freePort, waitForPort } from './ports';
import { ensureDatabase } from './stack';
import { processDefinitions, type HeraldProcessName, type ProcessDefinitions } from './processes';
import { startTemporalCluster, type RunningTemporalCluster } from './temporal-cluster';

/**
 * Herald's production topology on one machine, without a container engine (`npm run cluster`,
 * `npm run soak`, `npm run bench -- --cluster`): Herald's Postgres and Temporal's Postgres as two
 * embedded instances (as docker-compose.yml has them), the Temporal cluster of
 * temporal-cluster.ts, Herald's migration job, then API replicas and workers — each Herald process
 * started with the command and variables of deploy/processes.json, from a release directory (this
 * clone, or a build of another commit for a rolling upgrade).
 */
export interface ClusterOptions {
  /** Data (both Postgres instances), configs and logs. */
  dir: string;
  /** Keep the data on stop (`npm run cluster`); else `dir` is removed. */
  persistent?: boolean;
  /** The values of deploy/processes.json's variables (tokens, key, log level…); DATABASE_URL and TEMPORAL_ADDRESS are the cluster's. */
  env: Record<string, string>;
  /** Fixed ports (`npm run cluster`); free ones when absent. API replica i listens on `apiPort + i`, worker i's metrics on `workerMetricsPort + i`. */
  ports?: { heraldPostgres?: number; temporalPostgres?: number; temporal?: number; api?: number; workerMetrics?: number };
  replicas?: { api?: number; worker?: number };
  /** The release Herald processes run from at start: a directory holding a built dist/ (default: this clone). */
  release?: string;
  retentionDays?: number;
  /** A Herald process's output line by line (default: into `<dir>/<name>.log`). */
  onOutput?: (name: string, chunk: string) => void;
}

export interface HeraldReplica {
  /** `api-1`, `worker-3`. */
  name: string;
  kind: 'api' | 'worker';
  /** The API's port, or the worker's metrics port. */
  port: number;
  /** The release directory it runs from. */
  release: string;
  child: ChildProcess;
  pid(): number | undefined;
  /** Started (again) from `release` (default: the one it ran); resolves once it is ready. */
  start(release?: string): Promise<void>;
  /** SIGTERM and the worker's grace period (deploy/processes.json), then SIGKILL. */
  stop(): Promise<void>;
  /** SIGKILL: no cleanup of any kind, like a lost host. */
  kill9(): Promise<void>;
}

export interface RunningCluster {
  dir: string;
  heraldPostgres: RunningPostgres;
  temporalPostgres: RunningPostgres;
  temporal: RunningTemporalCluster;
  databaseUrl: string;
  apis: HeraldReplica[];
  workers: HeraldReplica[];
  /** Runs the migration job of `release` (default this clone) to completion. */
  migrate(release?: string): Promise<void>;
  /** Stops Herald's Postgres (fast shutdown); `startHeraldPostgres` brings it back on the same data and port. */
  stopHeraldPostgres(): Promise<void>;
  startHeraldPostgres(): Promise<void>;
  /** Every process's pid by name, for CPU accounting (`postgres-herald`, `postgres-temporal` are postmasters). */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const defs = processDefinitions();
  const replicas = { api: opts.replicas?.api ?? defs.cluster.replicas.api, worker: opts.replicas?.worker ?? defs.cluster.replicas.worker };
  mkdirSync(opts.dir, { recursive: true });
  // A throwaway directory: let the postgres user (as root) keep its data inside it, so removing it removes all.
  if (!opts.persistent) chmodSync(opts.dir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
    if (!opts.persistent) rmSync(opts.dir, { recursive: true, force: true });
  };
  const pgPorts = { herald: opts.ports?.heraldPostgres ?? (await freePort()), temporal: opts.ports?.temporalPostgres ?? (await freePort()) };
  const startPg = (which: 'herald' | 'temporal'): Promise<RunningPostgres> =>
    startEmbeddedPostgres({
      dataDir: join(opts.dir, `postgres-${which}`),
      port: pgPorts[which],
      // Data kept across a stop of Herald's Postgres mid-run; removed with the directory at the end.
      persistent: true,
      portVariable: which === 'herald' ? 'HERALD_CLUSTER_PG_PORT' : 'HERALD_CLUSTER_TEMPORAL_PG_PORT',
    });

  try {
    const [heraldPg, temporalPg] = await Promise.all([startPg('herald'), startPg('temporal')]);
    let herald = heraldPg;
    stops.push(() => temporalPg.stop());
    stops.push(() => herald.stop());
    const temporal = await startTemporalCluster({
      dir: join(opts.dir, 'temporal'),
      postgres: temporalPg,
      port: opts.ports?.temporal,
      retentionDays: opts.retentionDays,
    });
    stops.push(() => temporal.stop());

    const databaseUrl = await ensureDatabase(herald, 'herald');
    const env: Record<string, string> = { ...opts.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporal.address };
    const logs: WriteStream[] = [];
    stops.push(async () => logs.forEach((l) => l.end()));
    const sink = (name: string): ((chunk: string) => void) => {
      if (opts.onOutput) return (chunk) => opts.onOutput!(name, chunk);
      const file = createWriteStream(join(opts.dir, `${name}.log`), { flags: 'a' });
      logs.push(file);
      return (chunk) => void file.write(chunk);
    };
    // Each release's worker loads its own prebuilt bundle (dist/workflow-bundle.js), as the image's does.

    const migrate = async (release = opts.release ?? REPO_ROOT): Promise<void> => {
      const child = spawnProcess(defs, 'migrate', release, heraldEnv(defs, env, {}), sink('migrate'));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      if (code !== 0) throw new StackError(`the migration job of ${release} failed (exit ${code}): see ${join(opts.dir, 'migrate.log')}`);
    };
    await migrate();

    const apiBase = opts.ports?.api ?? 0;
    const metricsBase = opts.ports?.workerMetrics ?? 0;
    const make = async (kind: 'api' | 'worker', i: number): Promise<HeraldReplica> => {
      const port = kind === 'api' ? (apiBase ? apiBase + i : await freePort()) : metricsBase ? metricsBase + i : await freePort();
      const name = `${kind}-${i + 1}`;
      const local: Record<string, string> =
        kind === 'api' ? { HERALD_API_PORT: String(port), HERALD_API_HOST: '127.0.0.1' } : { HERALD_WORKER_METRICS_PORT: String(port) };
      const write = sink(name);
      const replica: HeraldReplica = {
        name,
        kind,
        port,
        release: opts.release ?? REPO_ROOT,
        child: undefined as unknown as ChildProcess,
        pid: () => replica.child?.pid,
        async start(release = replica.release) {
          replica.release = release;
          replica.child = spawnProcess(defs, kind, release, heraldEnv(defs, env, local), write);
          await (kind === 'api' ? waitForHttp(`http://127.0.0.1:${port}${defs.herald.processes.api.readiness}`, 180_000) : waitForPort(port, 180_000));
        },
        stop: () => signal(replica.child, 'SIGTERM', kind === 'worker' ? defs.herald.processes.worker.stopGracePeriodSeconds * 1000 : 15_000),
        kill9: () => signal(replica.child, 'SIGKILL', 0),
      };
      stops.push(() => replica.stop());
      return replica;
    };
    const apis = await Promise.all(Array.from({ length: replicas.api }, (_, i) => make('api', i)));
    const workers = await Promise.all(Array.from({ length: replicas.worker }, (_, i) => make('worker', i)));
    // Workers one after another: each bundles or loads its workflow code, and on two cores three at once starve the APIs.
    await Promise.all(apis.map((a) => a.start()));
    for (const w of workers) await w.start();

    return {
      dir: opts.dir,
      get heraldPostgres() {
        return herald;
      },
      temporalPostgres: temporalPg,
      temporal,
      databaseUrl,
      apis,
      workers,
      migrate,
      stopHeraldPostgres: () => herald.stop(),
      async startHeraldPostgres() {
        herald = await startPg('herald');
      },
      pids: () => ({
        ...Object.fromEntries(Object.values(temporal.services).map((s) => [`temporal-${s.service}`, s.pid()])),
        ...Object.fromEntries([...apis, ...workers].map((r) => [r.name, r.pid()])),
        'postgres-herald': herald.pid,
        'postgres-temporal': temporalPg.pid,
      }),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** deploy/processes.json's variables from `values` (empty ones left out, as compose's `${X:-}`), plus this process's local ones. */
function heraldEnv(defs: ProcessDefinitions, values: Record<string, string>, local: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const name of defs.herald.environment) if (values[name]) env[name] = values[name];
  // Variables beyond the contract (loopback receivers, log format, tuning) pass through as given.
  for (const [k, v] of Object.entries(values)) if (!(k in env) && k.startsWith('HERALD_')) env[k] = v;
  return withMallocTuning({ ...env, ...local });
}

/** A Herald process from deploy/processes.json, run from `release` (its command's `node` is this Node). */
function spawnProcess(defs: ProcessDefinitions, name: HeraldProcessName, release: string, env: NodeJS.ProcessEnv, out: (c: string) => void): ChildProcess {
  const [bin, ...args] = defs.herald.processes[name].command;
  const child = spawn(bin === 'node' ? process.execPath : bin, args, { cwd: release, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => out(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out(d.toString()));
  return child;
}

async function signal(child: ChildProcess | undefined, sig: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(sig);
  const timer = graceMs ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
  await exited;
  if (timer) clearTimeout(timer);
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new StackError(`${url} not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A checkout of `commit` under `dir` (`git archive`, so the repository's worktree list is left
 * alone), installed and built like the image: its own node_modules, dist/ and workflow bundle.
 * Reused once built.
 */
export async function buildRelease(commit: string, dir: string, log: (m: string) => void = () => undefined): Promise<string> {
  const run = promisify(execFile);
  const done = join(dir, '.herald-built');
  if (existsSync(done)) return dir;
  log(`checking out ${commit} into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run('sh', ['-c', `git -C "$0" archive --format=tar "$1" | tar -x -C "$2"`, REPO_ROOT, commit, dir]);
  log(`installing and building ${commit} (npm install, tsc, workflow bundle)`);
  const opts = { cwd: dir, maxBuffer: 64 * 2 ** 20 };
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], opts);
  await run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], opts);
  await run(process.execPath, [join(dir, 'dist', 'scripts', 'bundle-workflows.js'), join(dir, 'dist', 'workflow-bundle.js')], opts);
  writeFileSync(done, `${commit}\n`);
  return dir;
}
