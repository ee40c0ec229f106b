/**
 * `herald`: the operator's command line over the admin API — find dead letters, inspect a
 * delivery's attempts, retry one or many. Run as `npm run herald -- <command>` or `npx herald`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

const USAGE = `herald — operate Herald's deliveries and dead letters through the admin API

Usage:
  herald dead-letters list [--subscription sub_…] [--since ISO] [--until ISO] [--limit N] [--json]
  herald dead-letters retry <dlq_id>
  herald dead-letters retry --subscription sub_… [--since ISO] [--until ISO]
  herald deliveries show <dlv_id> [--json]
  herald deliveries retry <dlv_id>
  herald help

Environment:
  HERALD_API_URL       the API's base URL (default http://localhost:3000)
  HERALD_ADMIN_TOKEN   admin bearer token; when unset, read from .herald/dev.env (written by npm start)
  HERALD_STATE_DIR     where npm start keeps .herald (default: the repository's .herald)

Exit codes: 0 done, 1 the API refused or could not be reached, 2 bad usage.
`;

export interface Io {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

class UsageError extends Error {}

/** An error answer of the admin API: `{ error: { code, message, details } }`. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** What the CLI reads of the admin API's answers (docs/architecture.md, "Admin API"); everything else is passed through. */
interface DeadLetterView {
  id: string;
  deliveryId?: string;
  subscriptionId?: string;
  eventType?: string;
  attemptCount?: number;
  lastStatusCode?: number | null;
  reason?: string;
  createdAt?: string;
}
interface AttemptView {
  number?: number;
  trigger?: string;
  startedAt?: string;
  ok?: boolean;
  statusCode?: number | null;
  errorKind?: string | null;
  error?: string | null;
  errorMessage?: string | null;
  durationMs?: number | null;
}
interface DeliveryView {
  id: string;
  status?: string;
  eventId?: string;
  eventType?: string;
  subscriptionId?: string;
  nextAttemptAt?: string | null;
  workflowId?: string;
  temporalUiUrl?: string;
  attempts?: AttemptView[];
}
interface Page<T> {
  data?: T[];
  nextCursor?: string | null;
}
/** Retry routes answer how the retry was done: a running delivery is signalled, a finished one restarted. */
interface RetryView {
  id?: string;
  deliveryId?: string;
  mode?: 'signalled' | 'restarted';
}
interface BulkRetryView {
  restarted?: number;
  remaining?: number;
}

interface Parsed {
  positional: string[];
  flags: Record<string, string | true>;
}

const VALUE_FLAGS = new Set(['subscription', 'since', 'until', 'limit']);
const BOOLEAN_FLAGS = new Set(['json', 'help']);

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s);
    if (BOOLEAN_FLAGS.has(name)) flags[name] = true;
    else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { positional, flags };
}

function readDevEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const file = join(env.HERALD_STATE_DIR ?? join(ROOT, '.herald'), 'dev.env');
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

/** The admin API with its bearer token, which is looked up on the first call (after usage checks). */
class AdminApi {
  readonly baseUrl: string;
  private token?: string;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.baseUrl = (env.HERALD_API_URL || 'http://localhost:3000').replace(/\/+$/, '');
  }

  private bearer(): string {
    this.token ??= this.env.HERALD_ADMIN_TOKEN || readDevEnv(this.env).HERALD_ADMIN_TOKEN;
    if (!this.token) throw new ApiError(0, 'no_token', 'no admin token: set HERALD_ADMIN_TOKEN (npm start writes one to .herald/dev.env)', {});
    return this.token;
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const token = this.bearer();
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(0, 'unreachable', `cannot reach the Herald API at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running? HERALD_API_URL sets where it is`, {});
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } } | undefined)?.error;
      if (e && typeof e.code === 'string') throw new ApiError(res.status, e.code, String(e.message ?? ''), e.details ?? {});
      throw new ApiError(res.status, `http_${res.status}`, text.slice(0, 200) || res.statusText, {});
    }
    return json as T;
  }
}

const q = (params: Record<string, string | undefined>): string => {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
};

const str = (flags: Parsed['flags'], name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);

function isoFlag(flags: Parsed['flags'], name: string): string | undefined {
  const v = str(flags, name);
  if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UsageError(`--${name} must be an ISO 8601 time, e.g. 2025-01-31T12:00:00Z`);
  return v;
}

function requireId(id: string | undefined, prefix: string, what: string): string {
  if (!id) throw new UsageError(`which ${what}? give its id (${prefix}…)`);
  if (!id.startsWith(prefix)) throw new UsageError(`${JSON.stringify(id)} is not a ${what} id (they start with ${prefix})`);
  return id;
}

/** A plain text table: a header row, then rows, columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const cell = (v: unknown): string => (v === null || v === undefined || v === '' ? '-' : String(v));
const oneLine = (v: unknown, max = 60): string => {
  const s = cell(v).replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

async function deadLettersList(api: AdminApi, p: Parsed, io: Io): Promise<void> {
  const limit = str(p.flags, 'limit') === undefined ? 100 : Number(str(p.flags, 'limit'));
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const subscriptionId = str(p.flags, 'subscription');
  if (subscriptionId) requireId(subscriptionId, 'sub_', 'subscription');
  const rows: DeadLetterView[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call<Page<DeadLetterView> | undefined>('GET', `/v1/dead-letters${q({ subscriptionId, since: isoFlag(p.flags, 'since'), until: isoFlag(p.flags, 'until'), cursor, limit: String(Math.min(100, limit - rows.length)) })}`);
    rows.push(...(page?.data ?? []));
    cursor = page?.nextCursor ?? undefined;
  } while (cursor && rows.length < limit);
  if (p.flags.json) return io.out(`${JSON.stringify(rows, null, 2)}\n`);
  if (rows.length === 0) return io.out('no dead letters\n');
  io.out(table(
    ['ID', 'DELIVERY', 'SUBSCRIPTION', 'EVENT TYPE', 'ATTEMPTS', 'LAST STATUS', 'DEAD SINCE', 'REASON'],
    rows.map((d) => [cell(d.id), cell(d.deliveryId), cell(d.subscriptionId), cell(d.eventType), cell(d.attemptCount), cell(d.lastStatusCode), cell(d.createdAt), oneLine(d.reason, 50)]),
  ));
  io.out(`${rows.length} dead letter(s)${cursor ? ' (more: raise --limit)' : ''}\n`);
}

async function deadLettersRetry(api: AdminApi, p: Parsed, io: Io): Promise<void> {
  const id = p.positional[2];
  const subscriptionId = str(p.flags, 'subscription');
  if (id && subscriptionId) throw new UsageError('give either a dead letter id or --subscription, not both');
  if (id) {
    const result = await api.call<RetryView | undefined>('POST', `/v1/dead-letters/${encodeURIComponent(requireId(id, 'dlq_', 'dead letter'))}/retry`);
    io.out(`retry started for dead letter ${id}${describeRetry(result)}\n`);
    return;
  }
  if (!subscriptionId) throw new UsageError('dead-letters retry needs a dead letter id (dlq_…) or --subscription sub_… for a bulk retry');
  requireId(subscriptionId, 'sub_', 'subscription');
  const result = await api.call<BulkRetryView | undefined>('POST', '/v1/dead-letters/retry', { subscriptionId, since: isoFlag(p.flags, 'since'), until: isoFlag(p.flags, 'until') });
  const restarted = Number(result?.restarted ?? 0);
  const remaining = Number(result?.remaining ?? 0);
  io.out(`restarted ${restarted} dead-lettered deliver${restarted === 1 ? 'y' : 'ies'} of ${subscriptionId}; ${remaining} remaining${remaining > 0 ? ' (run the command again to continue)' : ''}\n`);
}

const MODES: Record<string, string> = {
  signalled: 'signalled: the running delivery skips its wait',
  restarted: 'restarted: a new run makes one manual attempt',
};

/** ` (delivery dlv_…; restarted: …)` from the retry route's answer. */
function describeRetry(result: RetryView | undefined): string {
  if (!result || typeof result !== 'object') return '';
  const deliveryId = result.deliveryId ?? (typeof result.id === 'string' && result.id.startsWith('dlv_') ? result.id : undefined);
  const parts = [deliveryId && `delivery ${deliveryId}`, result.mode && (MODES[result.mode] ?? result.mode)].filter(Boolean);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

async function deliveriesShow(api: AdminApi, p: Parsed, io: Io): Promise<void> {
  const id = requireId(p.positional[2], 'dlv_', 'delivery');
  const d = await api.call<DeliveryView>('GET', `/v1/deliveries/${encodeURIComponent(id)}`);
  if (p.flags.json) return io.out(`${JSON.stringify(d, null, 2)}\n`);
  const fields: [string, unknown][] = [
    ['Delivery', d.id],
    ['Status', d.status],
    ['Event', d.eventType ? `${d.eventId} (${d.eventType})` : d.eventId],
    ['Subscription', d.subscriptionId],
    ['Next attempt', d.nextAttemptAt],
    ['Workflow', d.workflowId],
    ['Temporal UI', d.temporalUiUrl],
  ];
  io.out(fields.map(([k, v]) => `${`${k}:`.padEnd(14)}${cell(v)}`).join('\n') + '\n\n');
  const attempts = d.attempts ?? [];
  if (attempts.length === 0) return io.out('no attempts yet\n');
  io.out(table(
    ['#', 'TRIGGER', 'STARTED', 'RESULT', 'DURATION', 'ERROR'],
    attempts.map((a) => [
      cell(a.number),
      cell(a.trigger),
      cell(a.startedAt),
      a.statusCode !== null && a.statusCode !== undefined ? `HTTP ${a.statusCode}` : cell(a.errorKind ?? (a.ok ? 'ok' : 'error')),
      a.durationMs !== null && a.durationMs !== undefined ? `${a.durationMs} ms` : '-',
      oneLine(a.ok ? '' : a.error ?? a.errorMessage ?? a.errorKind, 70),
    ]),
  ));
}

async function deliveriesRetry(api: AdminApi, p: Parsed, io: Io): Promise<void> {
  const id = requireId(p.positional[2], 'dlv_', 'delivery');
  const result = await api.call<RetryView | undefined>('POST', `/v1/deliveries/${encodeURIComponent(id)}/retry`);
  io.out(`retry requested for delivery ${id}${describeRetry(result)}\n`);
}

const COMMANDS: Record<string, (api: AdminApi, p: Parsed, io: Io) => Promise<void>> = {
  'dead-letters list': deadLettersList,
  'dead-letters retry': deadLettersRetry,
  'deliveries show': deliveriesShow,
  'deliveries retry': deliveriesRetry,
};

/** Runs one command; returns the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const parsed = parseArgs(argv);
    const [group, verb] = parsed.positional;
    if (!group || group === 'help' || parsed.flags.help) {
      io.out(USAGE);
      return 0;
    }
    const command = COMMANDS[`${group} ${verb ?? ''}`];
    if (!command) throw new UsageError(`unknown command "${[group, verb].filter(Boolean).join(' ')}"`);
    await command(new AdminApi(io.env), parsed, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`herald: ${err.message}\nRun "herald help" for usage.\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      const status = err.status ? ` (HTTP ${err.status})` : '';
      const details = Object.entries(err.details ?? {}).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      const hint = err.status === 401 ? ['  hint: check HERALD_ADMIN_TOKEN'] : [];
      io.err([`herald: ${err.code}${status}: ${err.message}`, ...details, ...hint].join('\n') + '\n');
      return 1;
    }
    io.err(`herald: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The process entry point (scripts/herald.js calls it): exit code 0, 1 or 2. */
export function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  return run(argv, { env: process.env, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`herald: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) void main();
