import { spawn, type ChildProcess } from 'node:child_process';
import { SEARCH_ATTRIBUTES } from '../temporal/names';
import { temporalCliPath } from './toolchain';
import { waitForPort } from './ports';

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` on a SQLite file with Herald's search attributes registered.
 * Without `dbFile` the server keeps its state in memory (tests).
 */
export async function startTemporalDevServer(opts: { port: number; uiPort?: number; dbFile?: string; namespace?: string; log?: (chunk: string) => void }): Promise<RunningTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace ?? 'default', '--log-level', 'warn'];
  // WAL with synchronous=NORMAL survives a kill -9 of the server (only an OS crash can lose the
  // last transactions) and is an order of magnitude faster than SQLite's default full sync.
  if (opts.dbFile) args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = opts.log ?? ((): void => undefined);
  child.stdout?.on('data', (d: Buffer) => log(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForPort(opts.port, 60_000),
    exited.then(() => { throw new Error(`temporal server start-dev exited early (code ${child.exitCode})`); }),
  ]);
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
