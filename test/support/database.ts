import { Client } from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../libs/db/data-source';
import { startEmbeddedPostgres, type RunningPostgres } from '../../libs/devstack/embedded-postgres';
import { freePort } from '../../libs/devstack/ports';

export interface TestDatabase {
  url: string;
  /** Migrated and initialised. */
  dataSource: DataSource;
  drop(): Promise<void>;
}

let own: Promise<RunningPostgres> | undefined;
let ownDir: string | undefined;

/**
 * The run's shared Postgres (HERALD_TEST_PG_ADMIN_URL, started once by test/run.ts) or, when
 * a test file runs alone, an embedded one of its own that stops with the process.
 */
export async function testPostgres(): Promise<{ adminUrl: string; urlFor(db: string): string; server?: RunningPostgres }> {
  const shared = process.env.HERALD_TEST_PG_ADMIN_URL;
  if (shared) return { adminUrl: shared, urlFor: (db) => shared.replace(/\/[^/]*$/, `/${db}`) };
  own ??= (async () => {
    ownDir = mkdtempSync(join(tmpdir(), 'herald-pg-'));
    return startEmbeddedPostgres({ dataDir: ownDir, port: await freePort(), persistent: false });
  })();
  const server = await own;
  return { adminUrl: server.adminUrl, urlFor: server.urlFor, server };
}

/** Stops a Postgres this process started for itself (no-op with the shared one). */
export async function stopOwnPostgres(): Promise<void> {
  if (!own) return;
  const server = await own;
  own = undefined;
  await server.stop();
  if (ownDir) rmSync(ownDir, { recursive: true, force: true });
}

/** A Postgres server a test runs itself (to stop and restart it): its maintenance URL and database URLs. */
export interface PostgresServer {
  adminUrl: string;
  urlFor(database: string): string;
}

async function admin<T>(server: PostgresServer | undefined, fn: (c: Client) => Promise<T>): Promise<T> {
  const { adminUrl } = server ?? (await testPostgres());
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database; with `migrate` (default) the schema is applied. `postgres` puts it on
 * a server of the test's own instead of the run's shared one.
 */
export async function createTestDatabase(opts: { migrate?: boolean; postgres?: PostgresServer } = {}): Promise<TestDatabase> {
  const name = `herald_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  await admin(opts.postgres, (c) => c.query(`CREATE DATABASE ${name}`));
  const { urlFor } = opts.postgres ?? (await testPostgres());
  const url = urlFor(name);
  const dataSource = await createDataSource(url, { poolSize: 10, applicationName: 'herald-test' }).initialize();
  if (opts.migrate ?? true) await dataSource.runMigrations({ transaction: 'each' });
  return {
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await admin(opts.postgres, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
