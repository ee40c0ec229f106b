/**
 * `npm run cluster`: Herald's production topology on this machine, without a container engine
 * (libs/devstack/cluster.ts): Herald's Postgres and Temporal's Postgres (embedded, apart), a
 * Temporal cluster of four service processes on Postgres with SQL visibility, the migration job,
 * 2 API replicas and 3 workers, each started as deploy/processes.json says.
 * Ctrl-C / SIGTERM stops everything; data and tokens are kept in HERALD_CLUSTER_DIR
 * (default .herald/cluster). Ports: HERALD_CLUSTER_PG_PORT (54330), HERALD_CLUSTER_TEMPORAL_PG_PORT
 * (54331), HERALD_CLUSTER_TEMPORAL_PORT (7333), HERALD_CLUSTER_API_PORT (3100: replicas on 3100,
 * 3101), HERALD_CLUSTER_WORKER_METRICS_PORT (9564: 9564-9566).
 */
import { join } from 'node:path';
import { loadRetentionDays } from '../libs/config/config';
import { startCluster, type RunningCluster } from '../libs/devstack/cluster';
import { ensureDevEnv, stateDir } from '../libs/devstack/dev-env';
import { describeFailure } from '../libs/devstack/errors';
import { processDefinitions } from '../libs/devstack/processes';

const say = (m: string): void => void process.stdout.write(`${m}\n`);
process.stdout.on('error', () => undefined);

async function main(): Promise<void> {
  const started = Date.now();
  const dir = process.env.HERALD_CLUSTER_DIR ?? join(stateDir(), 'cluster');
  const port = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
  const env: Record<string, string> = {
    ...ensureDevEnv(dir),
    TEMPORAL_NAMESPACE: 'default',
    HERALD_LOG_LEVEL: 'info',
    HERALD_LOG_FORMAT: 'json',
    // Loopback receivers, as `npm start` allows them.
    HERALD_ALLOWED_TARGETS: '127.0.0.1,localhost,::1',
    HERALD_ALLOW_HTTP: 'true',
    ...(process.env as Record<string, string>),
  };
  // Read by the signal handlers, which may run before the cluster is up.
  const running: { cluster?: RunningCluster } = {};
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('\nherald cluster: stopping…');
    await running.cluster?.stop();
    say('herald cluster: stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const defs = processDefinitions();
  say(
    `herald cluster: starting two Postgres instances, Temporal ${defs.temporal.server.split('@')[1]} (${defs.temporal.services.join(', ')}), the migration job, ${defs.cluster.replicas.api} APIs and ${defs.cluster.replicas.worker} workers…`,
  );
  const cluster = (running.cluster = await startCluster({
    dir,
    persistent: true,
    env,
    retentionDays: loadRetentionDays(env),
    ports: {
      heraldPostgres: port('HERALD_CLUSTER_PG_PORT', 54330),
      temporalPostgres: port('HERALD_CLUSTER_TEMPORAL_PG_PORT', 54331),
      temporal: port('HERALD_CLUSTER_TEMPORAL_PORT', 7333),
      api: port('HERALD_CLUSTER_API_PORT', 3100),
      workerMetrics: port('HERALD_CLUSTER_WORKER_METRICS_PORT', 9564),
    },
  }));
  if (stopping) return;
  // A process that dies on its own is reported, and the rest keeps running: that is what a cluster is for.
  for (const r of [...cluster.apis, ...cluster.workers])
    r.child.once(
      'exit',
      (code, signal) => stopping || say(`herald cluster: ${r.name} exited (${signal ?? `code ${code}`}); see ${join(dir, `${r.name}.log`)}`),
    );
  const t = cluster.temporal;
  say(`
Herald cluster is up (${((Date.now() - started) / 1000).toFixed(1)} s)
  APIs             ${cluster.apis.map((a) => `http://localhost:${a.port}/v1`).join('  ')}  (put a load balancer in front)
  Worker metrics   ${cluster.workers.map((w) => `http://localhost:${w.port}/metrics`).join('  ')}
  Temporal         ${t.address}  (namespace default; services ${Object.values(t.services)
    .map((s) => `${s.service} pid ${s.pid()}`)
    .join(', ')})
  Temporal's DB    ${cluster.temporalPostgres.urlFor('temporal')} (+ temporal_visibility)
  Herald's DB      ${cluster.databaseUrl}
  Admin token      ${env.HERALD_ADMIN_TOKEN}
  Ingest token     ${env.HERALD_INGEST_TOKEN}
  Logs and data    ${dir} (<process>.log, temporal/temporal-<service>.log)
Try:
  curl -H "Authorization: Bearer ${env.HERALD_ADMIN_TOKEN}" http://localhost:${cluster.apis[0].port}/v1/event-types
  temporal workflow list --address ${t.address}
Ctrl-C stops everything.`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`herald cluster: ${describeFailure(err)}\n`);
  process.exit(1);
});
