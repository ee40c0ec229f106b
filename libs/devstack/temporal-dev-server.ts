import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { devServerDynamicConfig } from '../temporal/fairness';
import { SEARCH_ATTRIBUTES } from '../temporal/names';
import { StackError } from './errors';
import { temporalCliPath } from './toolchain';
import { waitForPort } from './ports';

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` on a SQLite file with Herald's search attributes registered and
 * task-queue fairness on.
 * Without `dbFile` the server keeps its state in memory (tests). `retentionDays` sets the
 * namespace's retention of closed workflow histories (start-dev has no flag for it: it is
 * updated once the server is up), so Temporal keeps histories as long as Postgres keeps the
 * delivery log (HERALD_RETENTION_DAYS).
 */
export async function startTemporalDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  namespace?: string;
  log?: (chunk: string) => void;
  portVariable?: string;
  retentionDays?: number;
  /** Task-queue partitions (libs/temporal/fairness.ts); the bench compares counts. */
  partitions?: number;
}): Promise<RunningTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace ?? 'default', '--log-level', 'warn'];
  // WAL with synchronous=NORMAL survives a kill -9 of the server (only an OS crash can lose the
  // last transactions) and is an order of magnitude faster than SQLite's default full sync.
  if (opts.dbFile) args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Task-queue fairness on: each tenant's tasks take their turn (docs/architecture.md, *Fairness*).
  args.push(...devServerDynamicConfig(opts.partitions));
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = opts.log ?? ((): void => undefined);
  let output = '';
  const keep = (d: Buffer): void => {
    if (output.length < 64_000) output += d.toString();
    log(d.toString());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StackError(`could not run the Temporal CLI (${err.code ?? err.message}): run \`npm run bootstrap\` (or set HERALD_TEMPORAL_CLI)`)),
    ),
  );
  await Promise.race([
    waitForPort(opts.port, 60_000),
    spawnFailed,
    exited.then(() => {
      if (/address already in use|bind:/i.test(output))
        throw new StackError(
          `a port of the Temporal dev server (${opts.port}${opts.uiPort ? ` or UI ${opts.uiPort}` : ''}) is taken: set ${opts.portVariable ?? 'its port setting'} to a free port, or stop what listens there`,
        );
      const last = output.trim().split('\n').filter(Boolean).pop() ?? 'no output';
      throw new StackError(`temporal server start-dev exited at start (code ${child.exitCode}): ${last}`);
    }),
  ]);
  if (opts.retentionDays !== undefined) {
    try {
      await setNamespaceRetention(`127.0.0.1:${opts.port}`, opts.namespace ?? 'default', opts.retentionDays);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : '',
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `temporal operator namespace update --retention`; retried while the new server registers the namespace. */
export async function setNamespaceRetention(address: string, namespace: string, days: number): Promise<void> {
  const run = promisify(execFile);
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      await run(temporalCliPath(), ['operator', 'namespace', 'update', '--address', address, '--namespace', namespace, '--retention', `${days * 24}h`]);
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new StackError(`could not set the retention of namespace ${namespace} on ${address} to ${days} days: ${(last as Error).message}`);
}

/** The namespace's retention of closed workflow histories, in days. */
export async function namespaceRetentionDays(address: string, namespace: string): Promise<number> {
  const { stdout } = await promisify(execFile)(temporalCliPath(), [
    'operator',
    'namespace',
    'describe',
    '--address',
    address,
    '--namespace',
    namespace,
    '-o',
    'json',
  ]);
  const ttl = String((JSON.parse(stdout) as { config?: { workflowExecutionRetentionTtl?: string } }).config?.workflowExecutionRetentionTtl ?? '0s');
  return Number(ttl.replace(/s$/, '')) / 86_400;
}
