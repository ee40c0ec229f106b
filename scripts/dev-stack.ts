/**
 * `npm start`: the whole Herald stack on embedded defaults, for a laptop or a demo.
 *   - Postgres: embedded (data in .herald/postgres) unless DATABASE_URL is set
 *   - Temporal: `temporal server start-dev` (SQLite .herald/temporal.db, UI :8233) unless TEMPORAL_ADDRESS is set
 *   - migrations, then the API and the worker as child processes
 * Ctrl-C / SIGTERM stops everything; a second start reuses the data and the generated tokens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../libs/devstack/embedded-postgres';
import { startTemporalDevServer, type RunningTemporal } from '../libs/devstack/temporal-dev-server';
import { createDataSource } from '../libs/db/data-source';
import { createLogger } from '../libs/observability/logger';

const ROOT = join(__dirname, '..', '..');
const STATE = process.env.HERALD_STATE_DIR ?? join(ROOT, '.herald');
/** The banner and progress lines are for the person at the terminal; faults go to the JSON log. */
const say = (m: string): void => void process.stdout.write(`${m}\n`);
const log = createLogger('dev-stack', 'info');

/** Tokens and keys generated once and kept in .herald/dev.env so restarts keep working. */
function devSecrets(): Record<string, string> {
  const file = join(STATE, 'dev.env');
  if (existsSync(file)) return Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  const secrets = {
    HERALD_ADMIN_TOKEN: `hrld_admin_${randomBytes(18).toString('base64url')}`,
    HERALD_INGEST_TOKEN: `hrld_ingest_${randomBytes(18).toString('base64url')}`,
    HERALD_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  writeFileSync(file, Object.entries(secrets).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  return secrets;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

async function waitForReady(url: string, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (res.ok) return;
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
  mkdirSync(STATE, { recursive: true });
  const env: Record<string, string> = { ...devSecrets(), HERALD_ALLOWED_TARGETS: '127.0.0.1,localhost,::1', HERALD_ALLOW_HTTP: 'true', ...(process.env as Record<string, string>) };
  const stops: (() => Promise<void>)[] = [];
  const children: ChildProcess[] = [];
  let stopping = false;

  // A second signal while stopping (Ctrl-C twice, or a supervisor repeating SIGTERM) must not
  // exit early: that would leave the Temporal server or Postgres running.
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('\nherald: stopping…');
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
    })));
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    say('herald: stopped');
    process.exit(code);
  };
  failStack = () => void shutdown(1);
  // embedded-postgres installs SIGINT/SIGTERM hooks that stop Postgres and exit at once, which
  // would cut our ordered shutdown short (API and worker first, then Temporal, then Postgres).
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  let pg: RunningPostgres | undefined;
  if (!process.env.DATABASE_URL) {
    const port = Number(process.env.HERALD_DEV_PG_PORT ?? 54320);
    pg = await startEmbeddedPostgres({ dataDir: join(STATE, 'postgres'), port });
    stops.push(() => pg!.stop());
    await ensureDatabase(pg.adminUrl, 'herald');
    env.DATABASE_URL = pg.urlFor('herald');
  }
  let temporal: RunningTemporal | undefined;
  if (!process.env.TEMPORAL_ADDRESS) {
    temporal = await startTemporalDevServer({
      port: Number(process.env.HERALD_DEV_TEMPORAL_PORT ?? 7233),
      uiPort: Number(process.env.HERALD_DEV_TEMPORAL_UI_PORT ?? 8233),
      dbFile: join(STATE, 'temporal.db'),
    });
    stops.push(() => temporal!.stop());
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_UI_URL ??= `http://localhost:${process.env.HERALD_DEV_TEMPORAL_UI_PORT ?? 8233}`;
  }

  const ds = await createDataSource(env.DATABASE_URL, { applicationName: 'herald-migrate' }).initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();

  for (const [name, entry] of [['api', 'apps/api/src/main.js'], ['worker', 'apps/worker/src/main.js']] as const) {
    const child = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'dist', entry)], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ process: name, exitCode: code, signal }, 'a Herald process exited; stopping the stack');
      void shutdown(1);
    });
    children.push(child);
  }

  const port = env.HERALD_API_PORT ?? '3000';
  const api = `http://localhost:${port}`;
  await waitForReady(`${api}/ready`, env.HERALD_ADMIN_TOKEN, 120_000);
  say(`
Herald is up (${((Date.now() - started) / 1000).toFixed(1)} s)
  API            ${api}/v1
  OpenAPI        ${api}/docs  (JSON: ${api}/docs-json)
  Health         ${api}/health   Ready ${api}/ready   Metrics ${api}/metrics (admin token)
  Worker metrics http://localhost:${env.HERALD_WORKER_METRICS_PORT ?? '9464'}/metrics
  Temporal UI    ${env.TEMPORAL_UI_URL ?? 'http://localhost:8233'}  (namespace ${env.TEMPORAL_NAMESPACE ?? 'default'})
  Temporal       ${env.TEMPORAL_ADDRESS}
  Postgres       ${pg ? `embedded, ${pg.urlFor('herald')} (data in .herald/postgres)` : 'DATABASE_URL'}
  Admin token    ${env.HERALD_ADMIN_TOKEN}
  Ingest token   ${env.HERALD_INGEST_TOKEN}
Try:
  curl -H "Authorization: Bearer ${env.HERALD_ADMIN_TOKEN}" ${api}/v1/event-types
  npm run herald -- help
Ctrl-C stops everything.`);
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'the dev stack failed to start');
  failStack();
});
