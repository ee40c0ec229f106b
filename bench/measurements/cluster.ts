import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startCluster } from '../../libs/devstack/cluster';
import { ADMIN, heraldClient, type Bench, type Results } from '../context';
import { cpuSnapshot } from '../cpu';
import { measureEndToEnd } from './end-to-end';

/**
 * The end-to-end run (× 1 and × 5) on the production topology (libs/devstack/cluster.ts: Temporal's
 * four services as processes on Postgres with SQL visibility, 2 APIs, 3 workers), in the same run
 * as the dev-server figures beside it. CPU per delivery is split by process, so the report can say
 * where the cluster spends what the dev server's one process spent.
 */
export async function measureClusterEndToEnd(b: Bench): Promise<void> {
  b.log('cluster: starting (two Postgres, four Temporal services, migration, 2 APIs, 3 workers)');
  const started = Date.now();
  const cluster = await startCluster({
    dir: mkdtempSync(join(tmpdir(), 'herald-bench-cluster-')),
    env: {
      TEMPORAL_NAMESPACE: 'default',
      HERALD_ADMIN_TOKEN: ADMIN,
      HERALD_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
      HERALD_ALLOWED_TARGETS: '127.0.0.1',
      HERALD_ALLOW_HTTP: 'true',
      HERALD_LOG_LEVEL: 'warn',
    },
  });
  const upSeconds = (Date.now() - started) / 1000;
  const http = heraldClient(
    cluster.apis.map((a) => `http://127.0.0.1:${a.port}`),
    { retryUnavailable: true },
  );
  const scratch: Results = { meta: b.results.meta };
  const onCluster: Bench = {
    ...b,
    ...http,
    results: scratch,
    cpu: () => {
      const { 'postgres-herald': heraldPg, 'postgres-temporal': temporalPg, ...rest } = cluster.pids();
      return cpuSnapshot({ ...rest, bench: process.pid }, { 'postgres-herald': heraldPg!, 'postgres-temporal': temporalPg! });
    },
    log: (m) => b.log(`cluster ${m}`),
  };
  try {
    for (const fanout of [1, 5]) {
      const retriedBefore = http.retried503();
      await measureEndToEnd(onCluster, fanout);
      b.results[`cluster_e2e_x${fanout}`] = {
        ...scratch[`e2e_x${fanout}`],
        topology: '4 Temporal services on Postgres, 2 APIs, 3 workers',
        start_seconds: Math.round(upSeconds),
        ingest_503_retried: http.retried503() - retriedBefore,
      };
    }
    // Storage for the sizing notes: both runs' deliveries, in each database (histories are kept for the retention period).
    const deliveries = [1, 5].reduce((n, f) => n + Number((scratch[`e2e_x${f}`] as { deliveries: number }).deliveries), 0);
    const size = async (pg: { adminUrl: string }, db: string): Promise<number> => {
      const c = new Client({ connectionString: pg.adminUrl });
      await c.connect();
      try {
        return Number((await c.query('SELECT pg_database_size($1) AS n', [db])).rows[0].n);
      } finally {
        await c.end();
      }
    };
    b.results.cluster_storage = {
      deliveries,
      herald_db_mib: Math.round((await size(cluster.heraldPostgres, 'herald')) / 2 ** 20),
      temporal_db_mib: Math.round((await size(cluster.temporalPostgres, 'temporal')) / 2 ** 20),
      temporal_visibility_db_mib: Math.round((await size(cluster.temporalPostgres, 'temporal_visibility')) / 2 ** 20),
    };
    b.log(`cluster storage: ${JSON.stringify(b.results.cluster_storage)}`);
  } finally {
    await http.agent.close();
    await cluster.stop();
  }
}
