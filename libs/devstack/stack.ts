import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../db/data-source';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { StackError } from './errors';
import { freePort } from './ports';
import { startTemporalDevServer, type RunningTemporal } from './temporal-dev-server';

/**
 * The one bring-up of Herald's infrastructure — embedded Postgres, the Temporal dev server,
 * the database and its migrations — shared by `npm start` (scripts/dev-stack.ts), `npm test`
 * (test/run.ts) and `npm run bench` (bench/run.ts).
 */
export interface StackOptions {
  /** Kept across runs (`npm start`): Postgres data in `<dir>/postgres`, Temporal in `<dir>/temporal.db`. Absent: a temporary directory, removed on stop. */
  stateDir?: string;
  /** An embedded Postgres (port: a free one when absent), or `false` to start none (DATABASE_URL). */
  postgres?: { port?: number; portVariable?: string } | false;
  /** A Temporal dev server, or `false` to start none (TEMPORAL_ADDRESS). `persist`: its SQLite file in the state dir (else in memory). */
  temporal?: { port?: number; uiPort?: number; persist?: boolean; portVariable?: string; retentionDays?: number; partitions?: number } | false;
  /**
   * The database to migrate: a name on the embedded Postgres (created when missing) or the URL
   * of an existing one. Absent: none (the test runner makes one per test file).
   */
  database?: string | { url: string };
  log?: (line: string) => void;
}

export interface RunningStack {
  /** The state directory (or the temporary one). */
  dir: string;
  postgres?: RunningPostgres;
  temporal?: RunningTemporal;
  /** The migrated database, when `database` was given. */
  databaseUrl?: string;
  /** Stops Temporal, then Postgres; removes the temporary directory. */
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<RunningStack> {
  const dir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'herald-stack-'));
  mkdirSync(dir, { recursive: true });
  // A throwaway directory of test data: let the postgres user (as root) in, no stand-in needed.
  if (!opts.stateDir) chmodSync(dir, 0o755);
  const persistent = opts.stateDir !== undefined;
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
    if (!persistent) rmSync(dir, { recursive: true, force: true });
  };

  const [pg, temporal] = await Promise.allSettled([
    opts.postgres === false
      ? undefined
      : (async () => {
          const port = opts.postgres ? (opts.postgres.port ?? (await freePort())) : await freePort();
          const server = await startEmbeddedPostgres({
            dataDir: join(dir, 'postgres'),
            port,
            persistent,
            portVariable: opts.postgres ? opts.postgres.portVariable : undefined,
            log: opts.log,
          });
          stops.push(() => server.stop());
          return server;
        })(),
    opts.temporal === false
      ? undefined
      : (async () => {
          const t = opts.temporal || {};
          const server = await startTemporalDevServer({
            port: t.port ?? (await freePort()),
            uiPort: t.uiPort,
            dbFile: t.persist ? join(dir, 'temporal.db') : undefined,
            portVariable: t.portVariable,
            retentionDays: t.retentionDays,
            partitions: t.partitions,
            log: opts.log,
          });
          // Temporal stops before Postgres whatever order they came up in.
          stops.unshift(() => server.stop());
          return server;
        })(),
  ]);
  if (pg.status === 'rejected' || temporal.status === 'rejected') {
    await stop();
    throw pg.status === 'rejected' ? pg.reason : (temporal as PromiseRejectedResult).reason;
  }

  const running: RunningStack = { dir, postgres: pg.value, temporal: temporal.value, stop };
  if (opts.database !== undefined) {
    try {
      running.databaseUrl = typeof opts.database === 'string' ? await ensureDatabase(pg.value, opts.database) : opts.database.url;
      await migrate(running.databaseUrl);
    } catch (err) {
      await stop();
      throw err;
    }
  }
  return running;
}

/** The database `name` on the embedded Postgres, created when missing; its URL. */
export async function ensureDatabase(pg: RunningPostgres | undefined, name: string): Promise<string> {
  if (!pg) throw new Error('a database name needs the embedded Postgres; give a URL instead');
  const client = new Client({ connectionString: pg.adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  return pg.urlFor(name);
}

async function migrate(url: string): Promise<void> {
  let ds;
  try {
    ds = await createDataSource(url, { applicationName: 'herald-migrate' }).initialize();
  } catch (err) {
    const where = url.replace(/\/\/[^@/]*@/, '//');
    throw new StackError(`cannot reach Postgres at ${where} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): start it, or fix DATABASE_URL`);
  }
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
