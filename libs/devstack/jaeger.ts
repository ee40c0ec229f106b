import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackError } from './errors';
import { freePort, waitForPort } from './ports';
import { jaegerPath } from './toolchain';

export interface RunningJaeger {
  /** OTLP over HTTP (http/protobuf, http/json): OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpHttpUrl: string;
  /** OTLP over gRPC. */
  otlpGrpcUrl: string;
  /** Jaeger's query service: its HTTP API (/api/traces, /api/services). */
  queryUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Builds Jaeger into the cache unless it is there (scripts/install-jaeger.sh; minutes when cold). */
export async function ensureJaeger(): Promise<string> {
  const path = jaegerPath();
  if (existsSync(path)) return path;
  if (process.env.HERALD_JAEGER) throw new StackError(`HERALD_JAEGER names ${path}, which does not exist`);
  try {
    await promisify(execFile)('bash', [join(__dirname, '../../../scripts/install-jaeger.sh')], { maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw new StackError(
      `could not build Jaeger (scripts/install-jaeger.sh): ${(err as { stderr?: string }).stderr?.trim().split('\n').pop() ?? (err as Error).message}`,
    );
  }
  return path;
}

/**
 * Jaeger v2 all-in-one with in-memory storage: OTLP receivers (gRPC and HTTP) and the query
 * service, all on 127.0.0.1 and on the given (else free) ports, so tests can run several.
 */
export async function startJaeger(
  opts: { queryPort?: number; otlpHttpPort?: number; otlpGrpcPort?: number; log?: (chunk: string) => void } = {},
): Promise<RunningJaeger> {
  const bin = await ensureJaeger();
  const [queryPort, queryGrpcPort, otlpHttpPort, otlpGrpcPort] = [
    opts.queryPort ?? (await freePort()),
    await freePort(),
    opts.otlpHttpPort ?? (await freePort()),
    opts.otlpGrpcPort ?? (await freePort()),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'herald-jaeger-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${queryPort}
    grpc:
      endpoint: 127.0.0.1:${queryGrpcPort}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${otlpGrpcPort}
      http:
        endpoint: 127.0.0.1:${otlpHttpPort}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`,
  );
  const child = spawn(bin, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer): void => {
    if (output.length < 64_000) output += d.toString();
    opts.log?.(d.toString());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      Promise.all([waitForPort(queryPort, 60_000), waitForPort(otlpHttpPort, 60_000), waitForPort(otlpGrpcPort, 60_000)]),
      exited.then(() => {
        throw new StackError(`jaeger exited at start (code ${child.exitCode}): ${output.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    otlpHttpUrl: `http://127.0.0.1:${otlpHttpPort}`,
    otlpGrpcUrl: `http://127.0.0.1:${otlpGrpcPort}`,
    queryUrl: `http://127.0.0.1:${queryPort}`,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
