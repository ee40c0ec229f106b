/**
 * `npm start`: the whole Herald stack on embedded defaults, for a laptop or a demo.
 *   - Postgres: embedded (data in .herald/postgres) unless DATABASE_URL is set
 *   - Temporal: `temporal server start-dev` (SQLite .herald/temporal.db, UI :8233) unless TEMPORAL_ADDRESS is set
 *   - migrations, then the API and the worker as child processes
 *   - HERALD_DEV_TRACING=1: Jaeger v2 (built into the cache on first use), and the API and the
 *     worker export their traces to it (unless OTEL_EXPORTER_OTLP_ENDPOINT points elsewhere)
 * Ctrl-C / SIGTERM stops everything; a second start reuses the data and the generated tokens.
 * Ports: HERALD_DEV_PG_PORT, HERALD_DEV_TEMPORAL_PORT, HERALD_DEV_TEMPORAL_UI_PORT,
 * HERALD_API_PORT, HERALD_WORKER_METRICS_PORT, HERALD_DEV_JAEGER_PORT (query API, 16686) and
 * HERALD_DEV_OTLP_PORT (OTLP over HTTP, 4318); state: HERALD_STATE_DIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadRetentionDays, withMallocTuning } from '../libs/config/config';
import { ensureDevEnv, recordDevApiUrl, REPO_ROOT, stateDir } from '../libs/devstack/dev-env';
import { describeFailure, StackError } from '../libs/devstack/errors';
import { startJaeger, type RunningJaeger } from '../libs/devstack/jaeger';
import { freePort } from '../libs/devstack/ports';
import { startStack, type RunningStack } from '../libs/devstack/stack';
import { createLogger } from '../libs/observability/logger';

const STATE = stateDir();
/** The banner and progress lines are for the person at the terminal; faults go to the log. */
const say = (m: string): void => void process.stdout.write(`${m}\n`);
const log = createLogger('dev-stack', 'info');

/** One line naming the variable to change, rather than a child dying on EADDRINUSE later. */
async function assertPortFree(port: number, variable: string): Promise<void> {
  if (port === 0) return;
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
  if (!free) throw new StackError(`port ${port} is taken: set ${variable} to a free port, or stop what listens there (another \`npm start\`?)`);
}

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops whatever has started and exits 1; set once main() can stop things. */
let failStack = (): void => process.exit(1);
// Whoever started us may be gone (its pipe closed); stopping must still complete.
process.stdout.on('error', () => undefined);

async function main(): Promise<void> {
  const started = Date.now();
  const tty = process.stdout.isTTY === true;
  const env: Record<string, string> = {
    ...ensureDevEnv(STATE),
    HERALD_ALLOWED_TARGETS: '127.0.0.1,localhost,::1',
    HERALD_ALLOW_HTTP: 'true',
    // The children's stdout is a pipe through this process: tell them what the terminal is.
    HERALD_LOG_FORMAT: tty ? 'pretty' : 'json',
    ...(tty && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}),
    ...(process.env as Record<string, string>),
  };
  const ports = {
    postgres: Number(env.HERALD_DEV_PG_PORT ?? 54320),
    temporal: Number(env.HERALD_DEV_TEMPORAL_PORT ?? 7233),
    temporalUi: Number(env.HERALD_DEV_TEMPORAL_UI_PORT ?? 8233),
    api: Number(env.HERALD_API_PORT ?? 3000),
    workerMetrics: Number(env.HERALD_WORKER_METRICS_PORT ?? 9464),
    jaeger: Number(env.HERALD_DEV_JAEGER_PORT ?? 16686),
    otlp: Number(env.HERALD_DEV_OTLP_PORT ?? 4318),
  };
  const tracing = ['1', 'true', 'yes'].includes(env.HERALD_DEV_TRACING ?? '');
  const children: ChildProcess[] = [];
  let stack: RunningStack | undefined = undefined;
  let jaeger: RunningJaeger | undefined = undefined;
  let stopping = false;

  // A second signal while stopping (Ctrl-C twice, or a supervisor repeating SIGTERM) must not
  // exit early: that would leave the Temporal server or Postgres running.
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const started = stack !== undefined || children.length > 0;
    if (started) say('\nherald: stopping…');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
          }),
      ),
    );
    await stack?.stop();
    await jaeger?.stop();
    if (started) say('herald: stopped');
    process.exit(code);
  };
  failStack = () => void shutdown(1);
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const embeddedPg = !process.env.DATABASE_URL;
  const devTemporal = !process.env.TEMPORAL_ADDRESS;
  if (embeddedPg) await assertPortFree(ports.postgres, 'HERALD_DEV_PG_PORT');
  if (devTemporal) {
    await assertPortFree(ports.temporal, 'HERALD_DEV_TEMPORAL_PORT');
    await assertPortFree(ports.temporalUi, 'HERALD_DEV_TEMPORAL_UI_PORT');
  }
  await assertPortFree(ports.api, 'HERALD_API_PORT');
  await assertPortFree(ports.workerMetrics, 'HERALD_WORKER_METRICS_PORT');
  if (tracing) {
    await assertPortFree(ports.jaeger, 'HERALD_DEV_JAEGER_PORT');
    await assertPortFree(ports.otlp, 'HERALD_DEV_OTLP_PORT');
    say('herald: starting Jaeger (the first time, it is built from its Go module: minutes)…');
    jaeger = await startJaeger({ queryPort: ports.jaeger, otlpHttpPort: ports.otlp, otlpGrpcPort: await freePort() });
    env.OTEL_EXPORTER_OTLP_ENDPOINT ??= jaeger.otlpHttpUrl;
  }

  say(
    `herald: starting ${[embeddedPg && 'Postgres', devTemporal && 'the Temporal dev server'].filter(Boolean).join(' and ') || 'against DATABASE_URL and TEMPORAL_ADDRESS'}…`,
  );
  stack = await startStack({
    stateDir: STATE,
    postgres: embeddedPg ? { port: ports.postgres, portVariable: 'HERALD_DEV_PG_PORT' } : false,
    temporal: devTemporal
      ? {
          port: ports.temporal,
          uiPort: ports.temporalUi,
          persist: true,
          portVariable: 'HERALD_DEV_TEMPORAL_PORT / HERALD_DEV_TEMPORAL_UI_PORT',
          retentionDays: loadRetentionDays(env),
        }
      : false,
    database: embeddedPg ? 'herald' : { url: process.env.DATABASE_URL! },
  });
  env.DATABASE_URL = stack.databaseUrl!;
  if (stack.temporal) {
    env.TEMPORAL_ADDRESS = stack.temporal.address;
    env.TEMPORAL_UI_URL ??= `http://localhost:${ports.temporalUi}`;
  }
  say('herald: migrations applied; starting the API and the worker…');

  // The worker's output passes through here: its "worker polling" line is the last sign of
  // start-up, and the summary is printed after it, where it stays findable.
  let workerPolling: () => void = () => undefined;
  let workerSpoke = Date.now();
  const polling = new Promise<void>((resolve) => (workerPolling = resolve));
  for (const [name, entry] of [
    ['api', 'apps/api/src/main.js'],
    ['worker', 'apps/worker/src/main.js'],
  ] as const) {
    const child = spawn(process.execPath, ['--enable-source-maps', join(REPO_ROOT, 'dist', entry)], {
      env: withMallocTuning(env),
      stdio: ['ignore', name === 'worker' ? 'pipe' : 'inherit', 'inherit'],
    });
    if (name === 'worker') {
      let tail = '';
      child.stdout?.on('data', (d: Buffer) => {
        process.stdout.write(d);
        workerSpoke = Date.now();
        tail = (tail + d.toString()).slice(-4096);
        if (tail.includes('worker polling')) workerPolling();
      });
    }
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ process: name, exitCode: code, signal }, 'a Herald process exited; stopping the stack');
      void shutdown(1);
    });
    children.push(child);
  }

  const api = `http://localhost:${ports.api}`;
  await Promise.all([
    waitForReady(`${api}/ready`, 120_000),
    Promise.race([polling, new Promise((_, reject) => setTimeout(() => reject(new Error('the worker did not start polling within 120 s')), 120_000).unref())]),
  ]);
  recordDevApiUrl(api, STATE);
  // The SDK logs a line or two more as the worker settles: let them pass first (at most 3 s).
  for (const until = Date.now() + 3_000; Date.now() - workerSpoke < 500 && Date.now() < until;) await new Promise((r) => setTimeout(r, 100));
  const pg = stack.postgres;
  say(`
Herald is up (${((Date.now() - started) / 1000).toFixed(1)} s)
  API            ${api}/v1
  OpenAPI        ${api}/docs  (JSON: ${api}/docs-json)
  Console        ${api}/console
  Health         ${api}/health   Ready ${api}/ready   Metrics ${api}/metrics (admin token)
  Worker metrics http://localhost:${ports.workerMetrics}/metrics
  Temporal UI    ${env.TEMPORAL_UI_URL ?? 'http://localhost:8233'}  (namespace ${env.TEMPORAL_NAMESPACE ?? 'default'})
  Temporal       ${env.TEMPORAL_ADDRESS}${
    jaeger
      ? `
  Jaeger         ${jaeger.queryUrl}/api/traces?service=herald-api  (query API; traces exported to ${env.OTEL_EXPORTER_OTLP_ENDPOINT})`
      : ''
  }
  Postgres       ${pg ? `embedded, ${pg.urlFor('herald')} (data in ${pg.dataDir})` : 'DATABASE_URL'}
  Admin token    ${env.HERALD_ADMIN_TOKEN}
  Ingest token   ${env.HERALD_INGEST_TOKEN}
  State          ${STATE} (tokens in dev.env)
Try:
  curl -H "Authorization: Bearer ${env.HERALD_ADMIN_TOKEN}" ${api}/v1/event-types
  npm run herald -- help
Ctrl-C stops everything.`);
}

main().catch((err: unknown) => {
  if (err instanceof StackError) process.stderr.write(`herald: ${describeFailure(err)}\n`);
  else log.fatal({ err }, 'the dev stack failed to start');
  failStack();
});
