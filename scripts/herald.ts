/**
 * `herald`: the operator's command line over the admin API — find dead letters, inspect a
 * delivery's attempts, retry one or many, look after tenants, load the event-type catalog from a file. Run as `npm run herald -- <command>` or `npx herald`.
 * Arguments are parsed by commander; the API is called through libs/api-client, whose types are
 * generated from the API's OpenAPI document.
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Help, InvalidArgumentError, Option } from 'commander';
import { readDevEnv, stateDir } from '../libs/devstack/dev-env';
import { createHeraldClient, dataOf, HeraldApiError, type HeraldClient, type Schemas } from '../libs/api-client/client';
import { MAX_TENANT_WEIGHT, MIN_TENANT_WEIGHT } from '../libs/domain/tenants';
import { ORDERINGS, type Ordering } from '../libs/domain/types';

const ENVIRONMENT = `Environment:
  HERALD_API_URL       the API's base URL; when unset, where npm start serves it (.herald/dev.env), else http://localhost:3000
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

/** The admin API; the client (and so the token) is made on the first call, after the usage checks. */
class AdminApi {
  readonly baseUrl: string;
  private client?: HeraldClient;

  /** What `npm start` wrote to .herald/dev.env: the fallback for the URL and the token. */
  private readonly devEnv: Record<string, string>;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.devEnv = readDevEnv(stateDir(env));
    this.baseUrl = (env.HERALD_API_URL || this.devEnv.HERALD_API_URL || 'http://localhost:3000').replace(/\/+$/, '');
  }

  private connect(): HeraldClient {
    if (this.client) return this.client;
    const token = this.env.HERALD_ADMIN_TOKEN || this.devEnv.HERALD_ADMIN_TOKEN;
    if (!token) throw new HeraldApiError(0, 'no_token', 'no admin token: set HERALD_ADMIN_TOKEN (npm start writes one to .herald/dev.env)');
    return (this.client = createHeraldClient({ baseUrl: this.baseUrl, token }));
  }

  /** One call's data; an error answer or an unreachable API becomes a HeraldApiError. */
  async call<D>(request: (client: HeraldClient) => Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
    const client = this.connect();
    let result: Awaited<ReturnType<typeof request>>;
    try {
      result = await request(client);
    } catch (err) {
      // fetch rejects with a TypeError only when no response came; anything else is not ours to explain.
      if (!(err instanceof TypeError)) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HeraldApiError(
        0,
        'unreachable',
        `cannot reach the Herald API at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running? HERALD_API_URL sets where it is`,
      );
    }
    return dataOf(result);
  }
}

/** A plain text table: a header row, then rows, columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const cell = (v: unknown): string => (v === null || v === undefined || v === '' ? '-' : String(v));
/** `Label:` then the value, one field a line, the values aligned at `width`. */
const fieldList = (fields: [string, unknown][], width = 15): string => fields.map(([k, v]) => `${`${k}:`.padEnd(width)}${cell(v)}`).join('\n') + '\n';
const oneLine = (v: unknown, max = 60): string => {
  const s = cell(v).replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

// Argument parsers: commander turns an InvalidArgumentError into a usage error naming the argument.
const idOf =
  (prefix: string, what: string) =>
  (id: string): string => {
    if (!id.startsWith(prefix)) throw new InvalidArgumentError(`${JSON.stringify(id)} is not a ${what} id (they start with ${prefix})`);
    return id;
  };
const isoTime = (v: string): string => {
  if (Number.isNaN(Date.parse(v))) throw new InvalidArgumentError('must be an ISO 8601 time, e.g. 2025-01-31T12:00:00Z');
  return v;
};
const TENANT_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const tenantId = (v: string): string => {
  if (!TENANT_ID.test(v)) throw new InvalidArgumentError('must be a tenant id: 1 to 64 characters of A-Za-z0-9 . _ : -');
  return v;
};
const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const subscriptionOption = (description: string): Option => new Option('--subscription <sub_id>', description).argParser(idOf('sub_', 'subscription'));
const sinceOption = (): Option => new Option('--since <ISO>', 'dead-lettered at or after this time (ISO 8601)').argParser(isoTime);
const untilOption = (): Option => new Option('--until <ISO>', 'dead-lettered at or before this time (ISO 8601)').argParser(isoTime);
const jsonOption = (): Option => new Option('--json', "print the API's answer as JSON");
const weightArg = (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < MIN_TENANT_WEIGHT || n > MAX_TENANT_WEIGHT)
    throw new InvalidArgumentError(`must be an integer from ${MIN_TENANT_WEIGHT} to ${MAX_TENANT_WEIGHT}`);
  return n;
};
const orderingArg = (v: string): Ordering => {
  if (!(ORDERINGS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${ORDERINGS.join(', ')}`);
  return v as Ordering;
};
const tenantOption = (description: string): Option => new Option('--tenant <tenant_id>', description).argParser(tenantId);
const limitOption = (): Option => new Option('--limit <N>', 'list at most N').argParser(positiveInt).default(100);

/** Every page of a list, up to `limit` rows; `more` when the API had more. */
async function pages<T>(
  limit: number,
  fetchPage: (cursor: string | undefined, pageSize: number) => Promise<{ data?: T[]; nextCursor?: string | null } | undefined>,
): Promise<{ rows: T[]; more: boolean }> {
  const rows: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor, Math.min(100, limit - rows.length));
    rows.push(...(page?.data ?? []));
    cursor = page?.nextCursor ?? undefined;
  } while (cursor && rows.length < limit);
  return { rows, more: Boolean(cursor) };
}

type Attempt = Schemas['AttemptView'];
type DeliveryStatus = Schemas['DeliveryView']['status'];
const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'delivering', 'succeeded', 'retrying', 'paused', 'dead_lettered', 'cancelled'];

async function deadLettersList(
  api: AdminApi,
  io: Io,
  opts: { tenant?: string; subscription?: string; since?: string; until?: string; limit: number; json?: boolean },
): Promise<void> {
  const { rows, more } = await pages(opts.limit, (cursor, limit) =>
    api.call((c) =>
      c.GET('/v1/dead-letters', {
        params: { query: { tenantId: opts.tenant, subscriptionId: opts.subscription, since: opts.since, until: opts.until, cursor, limit } },
      }),
    ),
  );
  if (opts.json) return io.out(`${JSON.stringify(rows, null, 2)}\n`);
  if (rows.length === 0) return io.out('no dead letters\n');
  io.out(
    table(
      ['ID', 'DELIVERY', 'TENANT', 'SUBSCRIPTION', 'EVENT TYPE', 'ATTEMPTS', 'LAST STATUS', 'DEAD SINCE', 'REASON'],
      rows.map((d) => [
        cell(d.id),
        cell(d.deliveryId),
        cell(d.tenantId),
        cell(d.subscriptionId),
        cell(d.eventType),
        cell(d.attemptCount),
        cell(d.lastStatusCode),
        cell(d.createdAt),
        oneLine(d.reason, 50),
      ]),
    ),
  );
  io.out(`${rows.length} dead letter(s)${more ? ' (more: raise --limit)' : ''}\n`);
}

async function deadLettersRetry(
  api: AdminApi,
  io: Io,
  id: string | undefined,
  opts: { tenant?: string; subscription?: string; since?: string; until?: string },
): Promise<void> {
  if (id && (opts.subscription || opts.tenant)) throw new UsageError('give either a dead letter id or --subscription/--tenant, not both');
  if (id) {
    const result = await api.call((c) => c.POST('/v1/dead-letters/{id}/retry', { params: { path: { id } } }));
    io.out(`retry started for dead letter ${id}${describeRetry(result)}\n`);
    return;
  }
  if (!opts.subscription && !opts.tenant)
    throw new UsageError('dead-letters retry needs a dead letter id (dlq_…), or --subscription sub_… or --tenant <tenant_id> for a bulk retry');
  const result = await api.call((c) =>
    c.POST('/v1/dead-letters/retry', { body: { tenantId: opts.tenant, subscriptionId: opts.subscription, since: opts.since, until: opts.until } }),
  );
  const restarted = Number(result?.restarted ?? 0);
  const remaining = Number(result?.remaining ?? 0);
  const of = [opts.subscription, opts.tenant && `tenant ${opts.tenant}`].filter(Boolean).join(' in ');
  io.out(
    `restarted ${restarted} dead-lettered deliver${restarted === 1 ? 'y' : 'ies'} of ${of}; ${remaining} remaining${remaining > 0 ? ' (run the command again to continue)' : ''}\n`,
  );
}

async function deliveriesList(
  api: AdminApi,
  io: Io,
  opts: { tenant?: string; subscription?: string; status?: DeliveryStatus; limit: number; json?: boolean },
): Promise<void> {
  const { rows, more } = await pages(opts.limit, (cursor, limit) =>
    api.call((c) =>
      c.GET('/v1/deliveries', { params: { query: { tenantId: opts.tenant, subscriptionId: opts.subscription, status: opts.status, cursor, limit } } }),
    ),
  );
  if (opts.json) return io.out(`${JSON.stringify(rows, null, 2)}\n`);
  if (rows.length === 0) return io.out('no deliveries\n');
  io.out(
    table(
      ['ID', 'STATUS', 'TENANT', 'SUBSCRIPTION', 'EVENT TYPE', 'ATTEMPTS', 'LAST STATUS', 'CREATED'],
      rows.map((d) => [
        cell(d.id),
        cell(d.status),
        cell(d.tenantId),
        cell(d.subscriptionId),
        cell(d.eventType),
        cell(d.attemptCount),
        cell(d.lastStatusCode),
        cell(d.createdAt),
      ]),
    ),
  );
  io.out(`${rows.length} deliver${rows.length === 1 ? 'y' : 'ies'}${more ? ' (more: raise --limit)' : ''}\n`);
}

async function tenantsList(api: AdminApi, io: Io, opts: { namePrefix?: string; limit: number; json?: boolean }): Promise<void> {
  const { rows, more } = await pages(opts.limit, (cursor, limit) =>
    api.call((c) => c.GET('/v1/tenants', { params: { query: { namePrefix: opts.namePrefix, cursor, limit } } })),
  );
  if (opts.json) return io.out(`${JSON.stringify(rows, null, 2)}\n`);
  if (rows.length === 0) return io.out('no tenants\n');
  io.out(
    table(
      ['ID', 'NAME', 'WEIGHT', 'CREATED', 'METADATA'],
      rows.map((t) => [cell(t.id), cell(t.name), cell(t.weight), cell(t.createdAt), oneLine(JSON.stringify(t.metadata), 50)]),
    ),
  );
  io.out(`${rows.length} tenant(s)${more ? ' (more: raise --limit)' : ''}\n`);
}

/** A subscription's state in one word: disabled (and why) beats paused beats enabled. */
const subscriptionState = (s: Schemas['SubscriptionView']): string =>
  !s.enabled ? `disabled${s.disabledReason ? ` (${s.disabledReason})` : ''}` : s.paused ? 'paused' : 'enabled';

async function subscriptionsList(api: AdminApi, io: Io, opts: { tenant?: string; limit: number; json?: boolean }): Promise<void> {
  const { rows, more } = await pages(opts.limit, (cursor, limit) =>
    api.call((c) => c.GET('/v1/subscriptions', { params: { query: { tenantId: opts.tenant, cursor, limit } } })),
  );
  if (opts.json) return io.out(`${JSON.stringify(rows, null, 2)}\n`);
  if (rows.length === 0) return io.out('no subscriptions\n');
  io.out(
    table(
      ['ID', 'TENANT', 'STATE', 'ORDERING', 'URL'],
      rows.map((s) => [cell(s.id), cell(s.tenantId), subscriptionState(s), cell(s.ordering), oneLine(s.url, 60)]),
    ),
  );
  io.out(`${rows.length} subscription(s)${more ? ' (more: raise --limit)' : ''}\n`);
}

async function subscriptionsShow(api: AdminApi, io: Io, id: string, opts: { json?: boolean }): Promise<void> {
  const s = await api.call((c) => c.GET('/v1/subscriptions/{id}', { params: { path: { id } } }));
  if (opts.json) return io.out(`${JSON.stringify(s, null, 2)}\n`);
  const fields: [string, unknown][] = [
    ['Subscription', s.id],
    ['Tenant', s.tenantId],
    ['URL', s.url],
    ['State', subscriptionState(s)],
    ['Ordering', s.ordering === 'fifo' ? 'fifo (one delivery at a time per ordering key, in acceptance order)' : 'none'],
    ['Event types', s.eventTypes.join(', ')],
    ['Rate limit', s.rateLimitPerSecond === null ? 'none' : `${s.rateLimitPerSecond}/s`],
    ['Created', s.createdAt],
  ];
  io.out(fieldList(fields));
}

async function subscriptionsSetOrdering(api: AdminApi, io: Io, id: string, ordering: Ordering, opts: { json?: boolean }): Promise<void> {
  const s = await api.call((c) => c.PATCH('/v1/subscriptions/{id}', { params: { path: { id } }, body: { ordering } }));
  if (opts.json) return io.out(`${JSON.stringify(s, null, 2)}\n`);
  io.out(
    ordering === 'fifo'
      ? `subscription ${s.id} now delivers fifo: deliveries created from now on go one at a time per ordering key\n`
      : `subscription ${s.id} now delivers unordered: deliveries created from now on go at once (those already waiting their turn keep their order)\n`,
  );
}

async function tenantsShow(api: AdminApi, io: Io, id: string, opts: { json?: boolean }): Promise<void> {
  const t = await api.call((c) => c.GET('/v1/tenants/{id}', { params: { path: { id } } }));
  if (opts.json) return io.out(`${JSON.stringify(t, null, 2)}\n`);
  const subscriptions = await api.call((c) => c.GET('/v1/subscriptions', { params: { query: { tenantId: id, limit: 100 } } }));
  const { backlog } = await api.call((c) => c.GET('/v1/tenants/{id}/stats', { params: { path: { id } } }));
  const fields: [string, unknown][] = [
    ['Tenant', t.id],
    ['Name', t.name],
    ['Weight', t.weight],
    [
      'Backlog',
      `${backlog.eventsNotDispatched} events not dispatched, ${backlog.eventsWaitingForWorker} waiting for a worker, ${backlog.deliveriesWaitingForWorker} deliveries waiting for a worker`,
    ],
    ['Created', t.createdAt],
    ['Updated', t.updatedAt],
    ['Metadata', JSON.stringify(t.metadata)],
    ['Subscriptions', `${subscriptions.data.length}${subscriptions.nextCursor ? '+' : ''}`],
  ];
  io.out(fieldList(fields));
}

async function tenantsSetWeight(api: AdminApi, io: Io, id: string, weight: number, opts: { json?: boolean }): Promise<void> {
  const t = await api.call((c) => c.PATCH('/v1/tenants/{id}', { params: { path: { id } }, body: { weight } }));
  if (opts.json) return io.out(`${JSON.stringify(t, null, 2)}\n`);
  io.out(`tenant ${t.id} now has weight ${t.weight}: its share under contention\n`);
}

async function tenantsDelete(api: AdminApi, io: Io, id: string, opts: { yes?: boolean }): Promise<void> {
  if (!opts.yes)
    throw new UsageError(
      `deleting tenant ${id} deletes its subscriptions with their delivery logs and dead letters and stops their running deliveries; add --yes to do it`,
    );
  await api.call((c) => c.DELETE('/v1/tenants/{id}', { params: { path: { id } } }));
  io.out(`tenant ${id} deleted with its subscriptions; their running deliveries were told to stop\n`);
}

const MODES: Record<Schemas['RetryAccepted']['mode'], string> = {
  signalled: 'signalled: the running delivery skips its wait',
  restarted: 'restarted: a new run makes one manual attempt',
};

/** ` (delivery dlv_…; restarted: …)` from a retry route's answer. */
function describeRetry(result: Schemas['RetryAccepted'] | Schemas['DeadLetterRetryAccepted'] | undefined): string {
  if (!result || typeof result !== 'object') return '';
  const deliveryId = 'deliveryId' in result ? result.deliveryId : result.id;
  const parts = [deliveryId && `delivery ${deliveryId}`, result.mode && (MODES[result.mode] ?? result.mode)].filter(Boolean);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

const attemptResult = (a: Attempt): string => (a.statusCode !== null ? `HTTP ${a.statusCode}` : cell(a.errorKind ?? (a.ok ? 'ok' : 'error')));

async function deliveriesShow(api: AdminApi, io: Io, id: string, opts: { json?: boolean }): Promise<void> {
  const d = await api.call((c) => c.GET('/v1/deliveries/{id}', { params: { path: { id } } }));
  if (opts.json) return io.out(`${JSON.stringify(d, null, 2)}\n`);
  const fields: [string, unknown][] = [
    ['Delivery', d.id],
    ['Status', d.status],
    ['Event', d.eventType ? `${d.eventId} (${d.eventType})` : d.eventId],
    ['Subscription', d.subscriptionId],
    // A `fifo` delivery's place in its stream, and while it is open, who holds the stream.
    ...(d.sequence !== null && d.sequence !== undefined
      ? ([
          ['Ordering key', d.orderingKey === '' ? '(the single stream)' : d.orderingKey],
          ['Sequence', d.sequence],
        ] as [string, unknown][])
      : []),
    ...(d.stream
      ? ([
          [
            'Stream',
            `head ${d.stream.headId} (#${d.stream.headSequence}, ${d.stream.headStatus}${d.stream.blocked ? ', blocked' : ''}) since ${cell(d.stream.since)}, ${d.stream.behind} behind`,
          ],
        ] as [string, unknown][])
      : []),
    ['Next attempt', d.nextAttemptAt],
    ['Workflow', d.workflowId],
    ['Temporal UI', d.temporalUiUrl],
  ];
  io.out(`${fieldList(fields, 14)}\n`);
  const attempts = d.attempts ?? [];
  if (attempts.length === 0) return io.out('no attempts yet\n');
  io.out(
    table(
      ['#', 'TRIGGER', 'STARTED', 'RESULT', 'DURATION', 'ERROR'],
      attempts.map((a) => [
        cell(a.number),
        cell(a.trigger),
        cell(a.startedAt),
        attemptResult(a),
        `${a.durationMs} ms`,
        oneLine(a.ok ? '' : (a.error ?? a.errorKind), 70),
      ]),
    ),
  );
}

async function deliveriesRetry(api: AdminApi, io: Io, id: string): Promise<void> {
  const result = await api.call((c) => c.POST('/v1/deliveries/{id}/retry', { params: { path: { id } } }));
  io.out(`retry requested for delivery ${id}${describeRetry(result)}\n`);
}

type EventTypeEntry = Schemas['CreateEventTypeDto'];

/** The entries of a catalog file: `{ "eventTypes": [...] }` or a bare list. */
export function readCatalogFile(path: string): EventTypeEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { eventTypes?: unknown } | null)?.eventTypes;
  if (!Array.isArray(list)) throw new UsageError(`${path}: expected { "eventTypes": [ … ] } or a list of event types`);
  for (const [i, t] of list.entries()) {
    if (typeof t !== 'object' || t === null || typeof (t as { name?: unknown }).name !== 'string') throw new UsageError(`${path}: entry ${i} has no "name"`);
  }
  return list as EventTypeEntry[];
}

/**
 * `herald event-types apply <file>`: creates the types that are missing and PATCHes the others
 * with the file's description, group, schema and example. The API changes nothing (no version
 * bump) when they are already so: running it again reports every type unchanged.
 */
async function eventTypesApply(api: AdminApi, io: Io, file: string, opts: { json?: boolean }): Promise<void> {
  const entries = readCatalogFile(file);
  const results: { name: string; outcome: 'created' | 'updated' | 'unchanged'; version: number }[] = [];
  for (const t of entries) {
    const existing = await api
      .call((c) => c.GET('/v1/event-types/{name}', { params: { path: { name: t.name } } }))
      .catch((err: unknown) => {
        if (err instanceof HeraldApiError && err.status === 404) return undefined;
        throw err;
      });
    if (!existing) {
      const created = await api.call((c) => c.POST('/v1/event-types', { body: t }));
      results.push({ name: t.name, outcome: 'created', version: created.version });
      continue;
    }
    const body = { description: t.description, schema: t.schema, example: t.example, group: t.group ?? null };
    const updated = await api.call((c) => c.PATCH('/v1/event-types/{name}', { params: { path: { name: t.name } }, body }));
    results.push({ name: t.name, outcome: updated.updatedAt === existing.updatedAt ? 'unchanged' : 'updated', version: updated.version });
  }
  if (opts.json)
    return io.out(`${JSON.stringify(results, null, 2)}
`);
  io.out(
    table(
      ['EVENT TYPE', 'RESULT', 'VERSION'],
      results.map((r) => [r.name, r.outcome, String(r.version)]),
    ),
  );
  const count = (o: string): number => results.filter((r) => r.outcome === o).length;
  io.out(`${results.length} event type(s): ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged
`);
}

async function eventTypesList(api: AdminApi, io: Io, opts: { json?: boolean; archived?: boolean }): Promise<void> {
  const list = await api.call((c) => c.GET('/v1/event-types', { params: { query: { includeArchived: opts.archived } } }));
  const rows = list?.data ?? [];
  if (opts.json)
    return io.out(`${JSON.stringify(rows, null, 2)}
`);
  io.out(
    table(
      ['EVENT TYPE', 'GROUP', 'VERSION', 'ARCHIVED', 'DESCRIPTION'],
      rows.map((t) => [t.name, cell(t.group), String(t.version), cell(t.archivedAt), oneLine(t.description, 60)]),
    ),
  );
}

/** `herald help`: every command with its usage line(s), from the command tree. */
function overview(program: Command): string {
  const lines = program.commands.flatMap((group) =>
    group.commands.flatMap((cmd) =>
      cmd
        .usage()
        .split(' | ')
        .map((form) => `  herald ${group.name()} ${cmd.name()} ${form}`),
    ),
  );
  return `herald — ${program.description()}

Usage:
${lines.join('\n')}
  herald <command> --help   a command's options
  herald help

${ENVIRONMENT}`;
}

/** The command tree; actions run against `api` and write to `io`. */
function cli(io: Io, api: AdminApi): Command {
  const program: Command = new Command('herald')
    .description("operate Herald's deliveries, dead letters and tenants through the admin API")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => undefined })
    .helpCommand('help [command]', 'show the usage of herald or of a command')
    .addHelpText('afterAll', (ctx): string => (ctx.command === program ? '' : `\n${ENVIRONMENT.trimEnd()}`))
    .showSuggestionAfterError();
  // The top-level help is the overview; a command's help is commander's, with its options.
  program.configureHelp({ formatHelp: (cmd, helper) => (cmd === program ? overview(program) : Help.prototype.formatHelp.call(helper, cmd, helper)) });

  const deadLetters = program.command('dead-letters').description('find and retry deliveries that exhausted their retry schedule');
  deadLetters
    .command('list')
    .description('list dead letters, newest first')
    .usage('[--tenant <tenant_id>] [--subscription sub_…] [--since ISO] [--until ISO] [--limit N] [--json]')
    .addOption(tenantOption("only this tenant's dead letters"))
    .addOption(subscriptionOption("only this subscription's dead letters"))
    .addOption(sinceOption())
    .addOption(untilOption())
    .addOption(limitOption())
    .addOption(jsonOption())
    .action((opts: Parameters<typeof deadLettersList>[2]) => deadLettersList(api, io, opts));
  deadLetters
    .command('retry')
    .description("retry one dead letter, or a subscription's or tenant's dead letters in bulk (each gets one manual attempt)")
    .usage('<dlq_id> | --subscription sub_… | --tenant <tenant_id> [--since ISO] [--until ISO]')
    .addArgument(new Argument('[dlq_id]', 'the dead letter to retry').argParser(idOf('dlq_', 'dead letter')))
    .addOption(subscriptionOption('retry every dead letter of this subscription (at most 1000 per call)'))
    .addOption(tenantOption('retry every dead letter of this tenant (at most 1000 per call)'))
    .addOption(sinceOption())
    .addOption(untilOption())
    .action((id: string | undefined, opts: Parameters<typeof deadLettersRetry>[3]) => deadLettersRetry(api, io, id, opts));

  const deliveries = program.command('deliveries').description('inspect and retry deliveries');
  deliveries
    .command('list')
    .description('list deliveries, newest first')
    .usage('[--tenant <tenant_id>] [--subscription sub_…] [--status S] [--limit N] [--json]')
    .addOption(tenantOption("only this tenant's deliveries"))
    .addOption(subscriptionOption("only this subscription's deliveries"))
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices(DELIVERY_STATUSES))
    .addOption(limitOption())
    .addOption(jsonOption())
    .action((opts: Parameters<typeof deliveriesList>[2]) => deliveriesList(api, io, opts));
  deliveries
    .command('show')
    .description('show a delivery, its attempts and its Temporal UI link')
    .usage('<dlv_id> [--json]')
    .addArgument(new Argument('<dlv_id>', 'the delivery').argParser(idOf('dlv_', 'delivery')))
    .addOption(jsonOption())
    .action((id: string, opts: { json?: boolean }) => deliveriesShow(api, io, id, opts));
  deliveries
    .command('retry')
    .description('retry a delivery now: a waiting one skips its wait, a finished one gets one manual attempt')
    .usage('<dlv_id>')
    .addArgument(new Argument('<dlv_id>', 'the delivery').argParser(idOf('dlv_', 'delivery')))
    .action((id: string) => deliveriesRetry(api, io, id));

  const subscriptions = program.command('subscriptions').description("webhook subscriptions: the customers' endpoints");
  subscriptions
    .command('list')
    .description('list subscriptions by id, with their state and ordering')
    .usage('[--tenant <tenant_id>] [--limit N] [--json]')
    .addOption(tenantOption("only this tenant's subscriptions"))
    .addOption(limitOption())
    .addOption(jsonOption())
    .action((opts: Parameters<typeof subscriptionsList>[2]) => subscriptionsList(api, io, opts));
  subscriptions
    .command('show')
    .description('show a subscription: its endpoint, state, ordering and event types')
    .usage('<sub_id> [--json]')
    .addArgument(new Argument('<sub_id>', 'the subscription').argParser(idOf('sub_', 'subscription')))
    .addOption(jsonOption())
    .action((id: string, opts: { json?: boolean }) => subscriptionsShow(api, io, id, opts));
  subscriptions
    .command('set-ordering')
    .description('deliver in order (fifo: one at a time per ordering key) or not (none); applies to deliveries created from then on')
    .usage('<sub_id> <none|fifo> [--json]')
    .addArgument(new Argument('<sub_id>', 'the subscription').argParser(idOf('sub_', 'subscription')))
    .addArgument(new Argument('<ordering>', 'none or fifo').argParser(orderingArg))
    .addOption(jsonOption())
    .action((id: string, ordering: Ordering, opts: { json?: boolean }) => subscriptionsSetOrdering(api, io, id, ordering, opts));

  const tenants = program.command('tenants').description("the platform's customers, each with its own subscriptions");
  tenants
    .command('list')
    .description('list tenants by id')
    .usage('[--name-prefix P] [--limit N] [--json]')
    .addOption(new Option('--name-prefix <prefix>', 'only tenants whose name starts with this'))
    .addOption(limitOption())
    .addOption(jsonOption())
    .action((opts: Parameters<typeof tenantsList>[2]) => tenantsList(api, io, opts));
  tenants
    .command('show')
    .description('show a tenant and how many subscriptions it has')
    .usage('<tenant_id> [--json]')
    .addArgument(new Argument('<tenant_id>', 'the tenant').argParser(tenantId))
    .addOption(jsonOption())
    .action((id: string, opts: { json?: boolean }) => tenantsShow(api, io, id, opts));
  tenants
    .command('set-weight')
    .description("set a tenant's weight (1–100, default 1): under contention, weight 4 gets about four times the deliveries per second of weight 1")
    .usage('<tenant_id> <weight> [--json]')
    .addArgument(new Argument('<tenant_id>', 'the tenant').argParser(tenantId))
    .addArgument(new Argument('<weight>', 'an integer from 1 to 100').argParser(weightArg))
    .addOption(jsonOption())
    .action((id: string, weight: number, opts: { json?: boolean }) => tenantsSetWeight(api, io, id, weight, opts));
  tenants
    .command('delete')
    .description('delete a tenant with its subscriptions, their delivery logs and dead letters; their running deliveries stop')
    .usage('<tenant_id> --yes')
    .addArgument(new Argument('<tenant_id>', 'the tenant').argParser(tenantId))
    .addOption(new Option('--yes', 'really delete it'))
    .action((id: string, opts: { yes?: boolean }) => tenantsDelete(api, io, id, opts));

  const eventTypes = program.command('event-types').description('the event-type catalog');
  eventTypes
    .command('apply')
    .description('create or update the event types of a JSON file (idempotent; see docs/catalog.example.json)')
    .usage('<catalog.json> [--json]')
    .addArgument(new Argument('<catalog.json>', '{ "eventTypes": [ { name, description, schema, example, group? } ] }'))
    .addOption(jsonOption())
    .action((file: string, opts: { json?: boolean }) => eventTypesApply(api, io, file, opts));
  eventTypes
    .command('list')
    .description('list the catalog by name')
    .usage('[--archived] [--json]')
    .addOption(new Option('--archived', 'archived types too'))
    .addOption(jsonOption())
    .action((opts: { json?: boolean; archived?: boolean }) => eventTypesList(api, io, opts));
  return program;
}

/** Runs one command; returns the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    await cli(io, new AdminApi(io.env)).parseAsync(argv.length === 0 ? ['help'] : argv, { from: 'user' });
    return 0;
  } catch (thrown) {
    // --help and `help` end here with exit code 0; a group without its command has printed its help.
    if (thrown instanceof CommanderError && (thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.help'))
      return thrown.exitCode === 0 ? 0 : 2;
    const err = thrown instanceof CommanderError ? new UsageError(thrown.message.replace(/^error: /, '')) : thrown;
    if (err instanceof UsageError) {
      io.err(`herald: ${err.message}\nRun "herald help" for usage.\n`);
      return 2;
    }
    if (err instanceof HeraldApiError) {
      const status = err.status ? ` (HTTP ${err.status})` : '';
      const details = Object.entries(err.details).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
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
