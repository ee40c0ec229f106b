import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { withMallocTuning, type Config } from '../../libs/config/config';
import { processDefinitions } from '../../libs/devstack/processes';

const ROOT = join(__dirname, '..', '..', '..'); // from dist/test/support

/** The environment that reproduces `config` in a child process. */
export function envFor(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: config.databaseUrl,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    HERALD_TASK_QUEUE: config.temporal.taskQueue,
    HERALD_ADMIN_TOKEN: config.api.adminToken,
    HERALD_INGEST_TOKEN: config.api.ingestToken ?? '',
    HERALD_SECRET_KEY: config.secretKeys.current.toString('base64'),
    HERALD_ALLOWED_TARGETS: config.delivery.allowedTargets.join(','),
    HERALD_ALLOW_HTTP: String(config.delivery.allowHttp),
    HERALD_LOG_LEVEL: 'warn',
    // Each worker's /metrics on a free port of its own: several workers may run side by side.
    HERALD_WORKER_METRICS_PORT: '0',
    ...extra,
  };
}

export interface HeraldProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no cleanup of any kind, like a crashed host. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the real worker or API entry point (from dist/) as a separate process, with the Node flags
 * of its production command (deploy/processes.json: the worker runs without source maps).
 */
export function spawnHerald(kind: 'worker' | 'api', env: NodeJS.ProcessEnv, nodeArgs: string[] = []): HeraldProcess {
  const entry = join(ROOT, 'dist', 'apps', kind, 'src', 'main.js');
  const command = processDefinitions().herald.processes[kind].command;
  const at = command.indexOf(`dist/apps/${kind}/src/main.js`);
  if (at < 0) throw new Error(`deploy/processes.json: the ${kind} command does not run dist/apps/${kind}/src/main.js`);
  const flags = command.slice(1, at);
  const child = spawn(process.execPath, [...flags, ...nodeArgs, entry], { env: withMallocTuning(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    await exited;
  };
  return { child, output: () => out, kill9: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}
