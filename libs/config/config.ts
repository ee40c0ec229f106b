import { z } from 'zod';

/**
 * Herald's one configuration module. Every process (API, worker, migration CLI, dev stack)
 * reads its settings here, validated at start-up so a bad variable stops the process with a
 * message that names it instead of failing later in the middle of a delivery.
 */

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(1).max(65535);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const secretKey = z.string().refine((v) => decodeKey(v) !== undefined, 'must be 32 bytes, base64 or hex encoded (e.g. `openssl rand -base64 32`)');

// Events, deliveries and attempts older than this are purged hourly (dead letters keep their 7 days);
// the dev server's namespace retention follows it.
const retentionDaysField = z.coerce.number().int().min(1).max(3650).default(30);

const otlpEndpoint = z.string().url({ message: 'must be a URL (http://collector:4318, or http://collector:4317 for grpc)' });
const otlpProtocol = z.enum(['http/protobuf', 'http/json', 'grpc'], { message: 'must be http/protobuf, http/json or grpc' });

const schema = z
  .object({
    DATABASE_URL: z
      .string()
      .url({ message: 'must be a postgres:// URL' })
      .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL'),
    TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
    TEMPORAL_TLS: bool.optional(),
    TEMPORAL_TLS_CERT: z.string().optional(),
    TEMPORAL_TLS_KEY: z.string().optional(),
    TEMPORAL_TLS_CA: z.string().optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
    TEMPORAL_API_KEY: z.string().optional(),
    HERALD_TASK_QUEUE: z.string().min(1).default('herald-deliveries'),
    HERALD_API_PORT: port.default(3000),
    HERALD_API_HOST: z.string().default('0.0.0.0'),
    // Where users reach this API (and its console) from outside; portal-session links start with it.
    HERALD_PUBLIC_URL: z
      .string()
      .url({ message: 'must be an http(s) URL' })
      .refine((v) => /^https?:\/\//.test(v), 'must be an http(s) URL')
      .optional(),
    HERALD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    HERALD_INGEST_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    // Failed authentications one client address may make within the window before it gets 429s.
    HERALD_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
    HERALD_AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
    HERALD_ALLOWED_TARGETS: list.default(''),
    HERALD_ALLOW_HTTP: bool.default('false'),
    HERALD_EGRESS_PROXY: z.string().url().optional(),
    HERALD_SECRET_KEY: secretKey,
    HERALD_SECRET_KEY_PREVIOUS: secretKey.optional(),
    // 0: any free port (logged at start), so several workers can share a host.
    HERALD_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    // Runs kept in the worker's memory. Each costs about 0.2–0.35 MiB of RSS, mostly native (bench
    // parked, 700 parked: cache 20 → 323–381 MiB, 500 → 486–495 MiB). Waiting deliveries need no
    // cache (a timer that fires replays a short history), so the cache only has to hold the runs in
    // progress; 100 keeps its share of the 300 MiB budget near 30 MiB however many deliveries are
    // parked. Small caches no longer stall: see workflowTaskSlots and bench/results/2026-12-02-cache.md.
    // At least 2: the SDK needs two workflow-task slots with a cache, and slots must not exceed it
    // (workflowTaskSlots). No cache at all (0) evicts each run after every task, and this SDK
    // then loses a local activity that completes after its run's eviction: the task times out and
    // the attempt is recorded interrupted (seen in test/e2e/tracing; Temporal core's zero-cache fixes).
    HERALD_MAX_CACHED_WORKFLOWS: z.coerce
      .number()
      .int()
      .min(2, { message: 'must be at least 2 (the worker keeps runs between tasks; with no cache, local activities are lost)' })
      .default(100),
    HERALD_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(200),
    // false: workflow code on the worker's main thread, ~65 MiB less, throttle slots less precise (workflowRuntime).
    HERALD_WORKFLOW_THREAD: bool.default('true'),
    // The prebuilt workflow bundle the worker loads (unset: dist/workflow-bundle.js); checked against the sources at start.
    HERALD_WORKFLOW_BUNDLE: z.string().min(1).optional(),
    HERALD_RETENTION_DAYS: retentionDaysField,
    // Endpoint health: a subscription whose every attempt failed this long is disabled (0: never).
    HERALD_AUTO_DISABLE_AFTER_HOURS: z.coerce.number().min(0).max(87_600).default(120),
    // The API dispatcher's catch-up sweep (0: none, woken by its own commits only).
    HERALD_DISPATCH_SWEEP_SECONDS: z.coerce.number().min(0).default(5),
    // Each dispatcher's admission window: a tenant's events it started whose first attempts have not
    // gone out yet, at most this × its weight; the rest of a burst waits in the outbox, where tenants
    // take turns (0: none). 8 from the sweep in bench/results/2026-12-03-fairness.md: 4 and 2 cost
    // the burst's drain rate, 20 the quiet tenant's latency.
    HERALD_DISPATCH_WINDOW: z.coerce.number().int().min(0).default(8),
    // Origins allowed to frame the console (space or comma separated); unset: it may not be framed.
    HERALD_CONSOLE_FRAME_ANCESTORS: z
      .string()
      .transform((v) => v.split(/[\s,]+/).filter(Boolean))
      .refine((v) => v.every(isFrameAncestor), "must be origins like https://app.example.com (or 'self'), space or comma separated")
      .default(''),
    HERALD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // auto: human-readable lines when stdout is a terminal, JSON lines otherwise.
    HERALD_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
    // OpenTelemetry, by the standard OTEL_* names (docs/architecture.md, *Tracing*). No endpoint: no SDK starts.
    OTEL_SDK_DISABLED: bool.default('false'),
    OTEL_SERVICE_NAME: z.string().min(1).optional(),
    OTEL_RESOURCE_ATTRIBUTES: z
      .string()
      .transform((v, ctx) => {
        const attrs = parseKeyValues(v);
        if (!attrs) ctx.addIssue({ code: 'custom', message: 'must be key=value pairs, comma separated' });
        return attrs ?? {};
      })
      .default(''),
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint.optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint.optional(),
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: otlpEndpoint.optional(),
    OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.default('http/protobuf'),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: otlpProtocol.optional(),
    OTEL_EXPORTER_OTLP_HEADERS: z
      .string()
      .transform((v, ctx) => {
        const headers = parseKeyValues(v);
        if (!headers) ctx.addIssue({ code: 'custom', message: 'must be key=value pairs, comma separated' });
        return headers ?? {};
      })
      .default(''),
    OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { message: 'must be otlp or none' }).default('otlp'),
    // prometheus: the /metrics endpoints only (they are always served).
    OTEL_METRICS_EXPORTER: z.enum(['otlp', 'prometheus', 'none'], { message: 'must be otlp, prometheus or none' }).default('otlp'),
    OTEL_TRACES_SAMPLER: z
      .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], {
        message: 'must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio',
      })
      .default('parentbased_always_on'),
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1, 'must be a ratio between 0 and 1').optional(),
    OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().min(100).default(60_000),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.TEMPORAL_TLS_CERT) !== Boolean(c.TEMPORAL_TLS_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_KEY'], message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together' });
    }
  });

type Env = z.infer<typeof schema>;

/** Every variable Herald reads (deployments check theirs against it: a misspelled one would be ignored). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.innerType().shape);

export type OtlpProtocol = z.infer<typeof otlpProtocol>;
export type TraceSampler = Env['OTEL_TRACES_SAMPLER'];

/** Where one OTLP signal goes. */
export interface OtlpExport {
  /** The full URL (http: …/v1/traces or …/v1/metrics; grpc: the collector's address). */
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
}

/**
 * OpenTelemetry export, from the standard OTEL_* variables. `traces` and `metrics` are absent
 * when no endpoint is set (or OTEL_SDK_DISABLED, or the signal's exporter is `none`): then no
 * SDK is started at all.
 */
export interface TelemetryConfig {
  /** OTEL_SERVICE_NAME; else each process names itself (herald-api, herald-worker). */
  serviceName?: string;
  resourceAttributes: Record<string, string>;
  traces?: OtlpExport & { sampler: TraceSampler; samplerRatio: number };
  metrics?: OtlpExport & { intervalMs: number };
}

export interface Config {
  databaseUrl: string;
  temporal: {
    address: string;
    namespace: string;
    uiUrl: string;
    taskQueue: string;
    tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
    apiKey?: string;
  };
  api: { port: number; host: string; publicUrl: string; adminToken: string; ingestToken?: string; authFailures: { limit: number; windowMs: number } };
  delivery: { allowedTargets: string[]; allowHttp: boolean; egressProxy?: string };
  secretKeys: { current: Buffer; previous?: Buffer };
  worker: {
    metricsPort: number;
    maxCachedWorkflows: number;
    maxConcurrentWorkflowTasks: number;
    maxConcurrentActivities: number;
    /** The prebuilt workflow bundle; absent: dist/workflow-bundle.js (libs/temporal/workflow-bundle.ts). */
    workflowBundle?: string;
    /** Workflow code on a thread of its own (the SDK's default) instead of the main thread (workflowRuntime). */
    workflowThread: boolean;
  };
  /** How long the delivery log (events, deliveries, attempts) is kept. */
  retention: { days: number };
  /** Endpoint health: the auto-disable window in ms (0: never). */
  health: { autoDisableAfterMs: number };
  dispatch: { sweepMs: number; window?: number };
  console: { frameAncestors: string[] };
  logLevel: Env['HERALD_LOG_LEVEL'];
  logFormat: Env['HERALD_LOG_FORMAT'];
  telemetry: TelemetryConfig;
}

/**
 * How many workflow tasks the worker runs at once for a given cache size (at least 2, which the
 * SDK needs with a cache).
 *
 * A workflow task for a run that is not cached needs a cache slot, and the native core frees one
 * by evicting the least recently used run even when that run is in the middle of a task waiting
 * on its local activities (match, prepare, record). Such an eviction cancels the local activities
 * and drops the task's commands; the task times out on the server (10 s) and is replayed from the
 * start, and under load that replay evicts the next busy run: the stall seen with a 100-run cache
 * during a Postgres outage, when every local activity is slow. The SDK only keeps the task slots
 * within the cache when the option is set, and its default (40) is not. With at most a quarter of
 * the cache busy, a new task only arrives when a slot frees, so the cache turns over no faster
 * than tasks finish and the oldest entry is a run at rest, not one still waiting on Postgres
 * (test/faults/postgres-outage, 20-run cache: none evicted mid-task).
 */
export function workflowTaskSlots(maxCachedWorkflows: number): number {
  return Math.max(2, Math.min(40, Math.floor(maxCachedWorkflows / 4)));
}

/**
 * Where the worker runs workflow code, as Worker.create options. By default (`workflowThread`) the
 * SDK starts a worker thread for it: a second V8 isolate with its own Node environment, its own
 * copy of the workflow bundle and its own heap, which grows between its full collections (20–110
 * MiB seen with deliveries parked). On the main thread (the SDK's `debugMode`, which only chooses
 * the thread; the sandbox and its reused V8 context are the same) that isolate is gone: an idle
 * worker holds 112 MiB of RSS instead of 179 (bench/results/2026-12-03-memory.md). The SDK's debug
 * mode also lifts the 5 s limit on one call into the workflow sandbox (a workflow looping forever
 * is failed as a deadlock): it is set back here to the SDK's own default. Not the default because
 * activations then share the main event loop with the sends, and a throttled subscription's sends
 * keep their slots less precisely (docs/architecture.md, *Worker memory*).
 */
export function workflowRuntime(workflowThread: boolean): { debugMode?: boolean; isolateExecutionTimeout?: string } {
  return workflowThread ? {} : { debugMode: true, isolateExecutionTimeout: WORKFLOW_SANDBOX_TIMEOUT };
}

/**
 * V8 flags the worker sets on itself at start (apps/worker/src/main.ts; a flag set at run time
 * reaches the workflow thread's isolate too). Between two full collections V8 lets the old
 * generation grow to its live size times a factor of up to 4: with workflow code on the main
 * thread and deliveries parked the live heap is ~75–100 MiB and the heap grew to 230–250 MiB before each collection (RSS swinging
 * 240–350 MiB within minutes, bench/results/2026-12-03-memory.md). A factor of 1.5 bounds that
 * swing at the cost of more frequent full collections (a synthetic 70-MiB live heap under churn:
 * 213 → 118 MiB, +2 % CPU). Read at each collection, so setting it at start is enough.
 */
export const WORKER_V8_FLAGS: readonly string[] = Object.freeze(['--heap-growing-percent=50']);

/** The SDK's limit on one call into the workflow sandbox (its default outside debug mode). */
export const WORKFLOW_SANDBOX_TIMEOUT = '5s';

/**
 * glibc malloc settings every Herald process is started with (the image's ENV, `npm start`,
 * `npm run cluster`, the tests' and the bench's processes): read by the C library when the process
 * starts, so they are environment variables set by whatever starts Node, not settings Herald
 * parses. Without them glibc raises its mmap and trim thresholds each time a large block is freed
 * (up to 32 and 64 MiB): the worker's native core and its workflow thread then keep the memory
 * freed after a burst of work inside malloc's arenas instead of returning it, and RSS grows with
 * the work done, not with what is held (bench parked, bench/results/2026-12-02-memory.md).
 * Set, they stay at 128 KiB (glibc's starting values) and are never raised. Other C libraries
 * ignore them.
 */
export const MALLOC_TUNING: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
});

/** The MALLOC_TUNING variables missing from `env` (empty: this process was started with them). */
export function missingMallocTuning(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(MALLOC_TUNING).filter((k) => !env[k]);
}

/**
 * `env` with MALLOC_TUNING added for a Node process to be spawned; a variable `env` sets wins,
 * and one set to '' is left out (`MALLOC_TRIM_THRESHOLD_= MALLOC_MMAP_THRESHOLD_= npm run bench`
 * measures the worker without them).
 */
export function withMallocTuning(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries({ ...MALLOC_TUNING, ...env }).filter(([k, v]) => v !== '' || !(k in MALLOC_TUNING)));
}

export class ConfigError extends Error {}

/** Parses and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable is an unset one (docker-compose passes `${HERALD_INGEST_TOKEN:-}` as "").
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message === 'Required' ? 'is required' : i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const tlsWanted = e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_TLS_CERT || e.TEMPORAL_API_KEY || e.TEMPORAL_TLS_CA);
  return {
    databaseUrl: e.DATABASE_URL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      uiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''),
      taskQueue: e.HERALD_TASK_QUEUE,
      tls: tlsWanted
        ? { certPath: e.TEMPORAL_TLS_CERT, keyPath: e.TEMPORAL_TLS_KEY, caPath: e.TEMPORAL_TLS_CA, serverName: e.TEMPORAL_TLS_SERVER_NAME }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
    },
    api: {
      port: e.HERALD_API_PORT,
      host: e.HERALD_API_HOST,
      publicUrl: (e.HERALD_PUBLIC_URL ?? `http://localhost:${e.HERALD_API_PORT}`).replace(/\/+$/, ''),
      adminToken: e.HERALD_ADMIN_TOKEN,
      ingestToken: e.HERALD_INGEST_TOKEN,
      authFailures: { limit: e.HERALD_AUTH_FAILURE_LIMIT, windowMs: e.HERALD_AUTH_FAILURE_WINDOW_SECONDS * 1000 },
    },
    delivery: { allowedTargets: e.HERALD_ALLOWED_TARGETS, allowHttp: e.HERALD_ALLOW_HTTP, egressProxy: e.HERALD_EGRESS_PROXY },
    secretKeys: { current: decodeKey(e.HERALD_SECRET_KEY)!, previous: e.HERALD_SECRET_KEY_PREVIOUS ? decodeKey(e.HERALD_SECRET_KEY_PREVIOUS) : undefined },
    worker: {
      metricsPort: e.HERALD_WORKER_METRICS_PORT,
      maxCachedWorkflows: e.HERALD_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTasks: workflowTaskSlots(e.HERALD_MAX_CACHED_WORKFLOWS),
      maxConcurrentActivities: e.HERALD_MAX_CONCURRENT_ACTIVITIES,
      ...(e.HERALD_WORKFLOW_BUNDLE ? { workflowBundle: e.HERALD_WORKFLOW_BUNDLE } : {}),
      workflowThread: e.HERALD_WORKFLOW_THREAD,
    },
    retention: { days: e.HERALD_RETENTION_DAYS },
    health: { autoDisableAfterMs: Math.round(e.HERALD_AUTO_DISABLE_AFTER_HOURS * 3_600_000) },
    dispatch: { sweepMs: e.HERALD_DISPATCH_SWEEP_SECONDS * 1000, window: e.HERALD_DISPATCH_WINDOW || undefined },
    console: { frameAncestors: e.HERALD_CONSOLE_FRAME_ANCESTORS },
    logLevel: e.HERALD_LOG_LEVEL,
    logFormat: e.HERALD_LOG_FORMAT,
    telemetry: telemetryConfig(e),
  };
}

function telemetryConfig(e: Env): TelemetryConfig {
  const signal = (specific: string | undefined, protocol: OtlpProtocol, path: string): OtlpExport | undefined => {
    if (e.OTEL_SDK_DISABLED) return undefined;
    // A signal's own endpoint is used as given; the shared one gets the signal's path (OTLP exporter spec).
    const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
    const url = specific ?? (base === undefined ? undefined : protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/${path}`);
    return url === undefined ? undefined : { url, protocol, headers: e.OTEL_EXPORTER_OTLP_HEADERS };
  };
  const traces =
    e.OTEL_TRACES_EXPORTER === 'none'
      ? undefined
      : signal(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL, 'v1/traces');
  const metrics =
    e.OTEL_METRICS_EXPORTER === 'otlp'
      ? signal(e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, e.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL, 'v1/metrics')
      : undefined;
  return {
    serviceName: e.OTEL_SERVICE_NAME,
    resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES,
    traces: traces && { ...traces, sampler: e.OTEL_TRACES_SAMPLER, samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1 },
    metrics: metrics && { ...metrics, intervalMs: e.OTEL_METRIC_EXPORT_INTERVAL },
  };
}

/** `k1=v1,k2=v2` (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS; values percent-decoded), or undefined when malformed. */
function parseKeyValues(value: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    try {
      out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * HERALD_RETENTION_DAYS alone, for the dev stack, which starts Temporal before the rest of the
 * configuration exists; same rule and message as `loadConfig`.
 */
export function loadRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = retentionDaysField.safeParse(env.HERALD_RETENTION_DAYS === '' ? undefined : env.HERALD_RETENTION_DAYS);
  if (!parsed.success) throw new ConfigError(`Invalid configuration:\n  HERALD_RETENTION_DAYS: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** For process entry points: load the config or exit with the message. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`herald: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** A CSP frame-ancestors source: an http(s) origin (a `*.` host wildcard allowed) or 'self'. */
function isFrameAncestor(source: string): boolean {
  return source === "'self'" || /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/.test(source);
}

function decodeKey(value: string): Buffer | undefined {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  const b = Buffer.from(v, 'base64');
  return b.length === 32 ? b : undefined;
}
