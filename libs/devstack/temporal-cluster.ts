import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { SEARCH_ATTRIBUTES } from '../temporal/names';
import type { RunningPostgres } from './embedded-postgres';
import { StackError } from './errors';
import { freePort, waitForPort } from './ports';
import { processDefinitions, temporalServerVersion, type TemporalService } from './processes';
import { temporalCliPath, temporalServerPath, temporalSqlToolPath } from './toolchain';

const run = promisify(execFile);

export interface TemporalServiceProcess {
  service: TemporalService;
  /** The current process (a new one after `restart`). */
  child: ChildProcess;
  pid(): number | undefined;
}

export interface RunningTemporalCluster {
  address: string;
  /** Per service: its process, restarted in place by `restart`. */
  services: Record<TemporalService, TemporalServiceProcess>;
  /** Where each service's output goes: `<dir>/temporal-<service>.log`. */
  logDir: string;
  /** SIGTERM, then the same command again on the same ports (a rolling restart of one service). */
  restart(service: TemporalService): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Temporal cluster as production runs it, on this machine: the server built from its Go module
 * (scripts/cluster-tools.sh), its frontend, history, matching and worker services as separate
 * processes of one config file, on Postgres persistence and SQL (Postgres 12+) visibility in
 * `postgres` (Temporal's own instance, apart from Herald's). The schemas are set up and upgraded by
 * the server's own SQL tool; the namespace, its retention and Herald's search attributes are
 * registered through the frontend; the dynamic config of deploy/processes.json (task-queue
 * fairness) is applied.
 */
export async function startTemporalCluster(opts: {
  dir: string;
  postgres: RunningPostgres;
  /** The frontend's gRPC port (a free one when absent). */
  port?: number;
  namespace?: string;
  retentionDays?: number;
  /** History shards: fixed for the life of the database. */
  historyShards?: number;
}): Promise<RunningTemporalCluster> {
  const defs = processDefinitions();
  const version = temporalServerVersion(defs);
  const server = temporalServerPath(version);
  const namespace = opts.namespace ?? 'default';
  mkdirSync(opts.dir, { recursive: true });

  await setUpSchemas(temporalSqlToolPath(version), opts.postgres);

  const ports = {
    frontend: { grpc: opts.port ?? (await freePort()), membership: await membershipPort(), http: await freePort() },
    history: { grpc: await freePort(), membership: await membershipPort() },
    matching: { grpc: await freePort(), membership: await membershipPort() },
    worker: { grpc: await freePort(), membership: await membershipPort() },
  };
  const configFile = join(opts.dir, 'temporal.yaml');
  const dynamicConfigFile = join(opts.dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, dynamicConfigYaml(defs.temporal.dynamicConfig));
  writeFileSync(configFile, serverConfigYaml({ postgres: opts.postgres, ports, dynamicConfigFile, historyShards: opts.historyShards ?? 8 }));

  const logs: WriteStream[] = [];
  const launch = (service: TemporalService): ChildProcess => {
    const out = createWriteStream(join(opts.dir, `temporal-${service}.log`), { flags: 'a' });
    logs.push(out);
    const child = spawn(server, ['--config-file', configFile, '--allow-no-auth', 'start', '--service', service], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    return child;
  };
  const start = (service: TemporalService): TemporalServiceProcess => {
    const entry: TemporalServiceProcess = { service, child: launch(service), pid: () => entry.child.pid };
    return entry;
  };
  // Every service writes the cluster's metadata record as it starts; on a fresh database four at
  // once race for it and the losers exit. The history service goes first, alone, until it listens.
  const history = start('history');
  const historyExited = new Promise<never>((_, reject) =>
    history.child.once('exit', (code) =>
      reject(new StackError(`the Temporal history service exited at start (code ${code}): see ${join(opts.dir, 'temporal-history.log')}`)),
    ),
  );
  historyExited.catch(() => undefined); // an exit after start-up is not this wait's concern
  try {
    await Promise.race([waitForPort(ports.history.grpc, 120_000), historyExited]);
  } catch (err) {
    history.child.kill('SIGKILL');
    throw err;
  }
  const services = Object.fromEntries(defs.temporal.services.map((service) => [service, service === 'history' ? history : start(service)])) as Record<
    TemporalService,
    TemporalServiceProcess
  >;

  const stopService = async (s: TemporalServiceProcess): Promise<void> => {
    const c = s.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const stop = async (): Promise<void> => {
    // The frontend first (no new calls), the history service last (it owns the shards).
    for (const name of ['frontend', 'worker', 'matching', 'history'] as const) await stopService(services[name]);
    for (const l of logs) l.end();
  };

  const address = `127.0.0.1:${ports.frontend.grpc}`;
  try {
    const exitedEarly = Promise.race(
      Object.values(services).map(
        (s) =>
          new Promise<never>((_, reject) =>
            s.child.once('exit', (code) =>
              reject(new StackError(`the Temporal ${s.service} service exited at start (code ${code}): see ${join(opts.dir, `temporal-${s.service}.log`)}`)),
            ),
          ),
      ),
    );
    exitedEarly.catch(() => undefined);
    await Promise.race([waitForPort(ports.frontend.grpc, 120_000), exitedEarly]);
    await Promise.race([registerNamespace(address, namespace, opts.retentionDays ?? 30), exitedEarly]);
    await Promise.race([registerSearchAttributes(address, namespace), exitedEarly]);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    address,
    services,
    logDir: opts.dir,
    async restart(name) {
      await stopService(services[name]);
      services[name].child = launch(name);
      if (name === 'frontend') await waitForPort(ports.frontend.grpc, 60_000);
    },
    stop,
  };
}

/**
 * A free port below 32768: Temporal's SQL schema keeps membership ports in a smallint column, and
 * the OS hands out ephemeral ports above it.
 */
async function membershipPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new StackError('no free port between 20000 and 32000 for a Temporal service');
}

/** Both databases created when missing, versioned from 0.0 once, then upgraded to the tool's embedded schema (idempotent). */
async function setUpSchemas(sqlTool: string, pg: RunningPostgres): Promise<void> {
  const admin = new Client({ connectionString: pg.adminUrl });
  await admin.connect();
  const fresh: string[] = [];
  try {
    for (const db of ['temporal', 'temporal_visibility']) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (!rowCount) {
        await admin.query(`CREATE DATABASE ${db}`);
        fresh.push(db);
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(pg.adminUrl);
  const base = [
    '--plugin',
    'postgres12',
    '--ep',
    url.hostname,
    '-p',
    url.port,
    '-u',
    decodeURIComponent(url.username),
    '--pw',
    decodeURIComponent(url.password),
  ];
  for (const [db, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    try {
      if (fresh.includes(db)) await run(sqlTool, [...base, '--db', db, 'setup-schema', '-v', '0.0']);
      await run(sqlTool, [...base, '--db', db, 'update-schema', '--schema-name', schema]);
    } catch (err) {
      throw new StackError(
        `temporal-sql-tool could not set up the ${db} schema: ${(err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? String(err)}`,
      );
    }
  }
}

async function retry<T>(what: string, attempt: () => Promise<T>, times = 120): Promise<T> {
  let last: unknown;
  for (let i = 0; i < times; i++) {
    try {
      return await attempt();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new StackError(`${what}: ${(last as { stderr?: string }).stderr?.trim() || (last as Error).message}`);
}

/** Created once (its retention set to HERALD_RETENTION_DAYS); retried while the services join their ring. */
async function registerNamespace(address: string, namespace: string, retentionDays: number): Promise<void> {
  const cli = temporalCliPath();
  await retry(`could not register namespace ${namespace} on ${address}`, async () => {
    try {
      await run(cli, ['operator', 'namespace', 'describe', '--address', address, '--namespace', namespace]);
      await run(cli, ['operator', 'namespace', 'update', '--address', address, '--namespace', namespace, '--retention', `${retentionDays * 24}h`]);
    } catch (err) {
      if (!/not found/i.test(String((err as { stderr?: string }).stderr))) throw err;
      await run(cli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace, '--retention', `${retentionDays * 24}h`]);
    }
  });
}

/** Herald's search attributes, those missing only (an existing one is kept, as the compose job does). */
async function registerSearchAttributes(address: string, namespace: string): Promise<void> {
  const cli = temporalCliPath();
  await retry(`could not register Herald's search attributes on ${address}`, async () => {
    const { stdout } = await run(cli, ['operator', 'search-attribute', 'list', '--address', address, '--namespace', namespace, '-o', 'json']);
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !stdout.includes(`"${name}"`));
    // One call per attribute: the CLI takes one --type per call.
    for (const [name, type] of missing)
      await run(cli, ['operator', 'search-attribute', 'create', '--address', address, '--namespace', namespace, '--name', name, '--type', type]);
  });
}

function dynamicConfigYaml(settings: Record<string, unknown>): string {
  return (
    '# Written by libs/devstack/temporal-cluster.ts from deploy/processes.json.\n' +
    Object.entries(settings)
      .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`)
      .join('')
  );
}

/** Temporal's server config (the shape of its config/development-postgres12.yaml), one file for all four services. */
function serverConfigYaml(o: {
  postgres: RunningPostgres;
  ports: Record<TemporalService, { grpc: number; membership: number; http?: number }>;
  dynamicConfigFile: string;
  historyShards: number;
}): string {
  const url = new URL(o.postgres.adminUrl);
  const store = (db: string, maxConns: number): string => `      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "127.0.0.1:${url.port}"
        connectProtocol: tcp
        user: ${JSON.stringify(decodeURIComponent(url.username))}
        password: ${JSON.stringify(decodeURIComponent(url.password))}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h
`;
  const service = (name: TemporalService): string => {
    const p = o.ports[name];
    return `  ${name}:
    rpc:
      grpcPort: ${p.grpc}
      membershipPort: ${p.membership}
      bindOnLocalHost: true
${p.http ? `      httpPort: ${p.http}\n` : ''}`;
  };
  return `# Written by libs/devstack/temporal-cluster.ts. Each service runs as its own process:
#   temporal-server --config-file <this file> --allow-no-auth start --service <name>
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${o.historyShards}
  datastores:
    default:
${store('temporal', 20)}    visibility:
${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
services:
${(['frontend', 'history', 'matching', 'worker'] as const).map(service).join('')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${o.ports.frontend.grpc}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${JSON.stringify(o.dynamicConfigFile)}
  pollInterval: 10s
`;
}
