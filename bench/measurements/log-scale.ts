import { Client } from 'pg';
import type { DataSource, EntityManager, Logger, MigrationInterface } from 'typeorm';
import * as lifecycle from '../../activities/lifecycle';
import { join, resolve } from 'node:path';
import type { ActivityDeps } from '../../activities/deps';
import * as dataSource from '../../libs/db/data-source';
import { createDataSource, MIGRATIONS } from '../../libs/db/data-source';
import { SubscriptionRareStatusIndex1796401200000 } from '../../libs/db/migrations/1796401200000-SubscriptionRareStatusIndex';
import * as repositories from '../../libs/db/repositories';
import type { Stores } from '../../libs/db/repositories';
import { seriesBucketSeconds } from '../../libs/domain/delivery-stats';
import { DEFAULT_RETENTION_DAYS } from '../../libs/domain/retention';
import { startStack } from '../../libs/devstack/stack';
import type { Results } from '../context';
import { round, summary } from '../stats';
import { figures, rollUpLog, seedLog, SEED_TENANTS, tenantId, type SeedFigures } from '../log-scale-seed';

export interface LogScaleOptions {
  deliveries: number;
  /** Keeps the seeded cluster there and reuses it on the next run (a 5 M seed takes minutes). */
  dir?: string;
  /** Seeds `dir` (or finds it seeded) and stops: the seed runs outside the bench lock, the timing inside it. */
  seedOnly?: boolean;
  /**
   * The "before" column's code: the compiled tree (`dist`) of another checkout, e.g. main's, whose
   * repositories and purge activity then run the before phase on its own schema (every migration
   * but UNDER_TEST). Absent: this tree's code on main's schema.
   */
  baseDist?: string;
  log: (m: string) => void;
}

/**
 * The migrations the "after" column adds to main's schema ("before": every other migration).
 * 2026-12-02 measured LogAtScaleIndexes1796400300000 this way; it has shipped since. With
 * `baseDist` the before phase also runs the base checkout's queries.
 */
const UNDER_TEST: (new () => MigrationInterface)[] = [SubscriptionRareStatusIndex1796401200000];

/** What each page or figure may take at p99 (issue #22). */
const TARGET_MS = { list: 100, stats: 500, purge: undefined } as const;
/** Each case runs over these tenants (`tenant_001` is the largest), twice: 20 timings, the largest tenant's among them. */
const TENANTS = [1, 2, 3, 5, 10, 20, 50, 100, 150, SEED_TENANTS];
const ROUNDS = 2;
const PAGE = { limit: 50 };

/** The code a phase runs: this tree's, or the base checkout's (`baseDist`). */
interface Code {
  createDataSource: typeof dataSource.createDataSource;
  createStores: typeof repositories.createStores;
  DeliveryRepository: typeof repositories.DeliveryRepository;
  AttemptRepository: typeof repositories.AttemptRepository;
  EventRepository: typeof repositories.EventRepository;
  DeadLetterRepository: typeof repositories.DeadLetterRepository;
  purgeExpiredHistory: typeof lifecycle.purgeExpiredHistory;
}

const OURS: Code = { ...dataSource, ...repositories, ...lifecycle };

async function baseCode(dist: string): Promise<Code> {
  const load = (path: string): Promise<Record<string, unknown>> => import(resolve(join(dist, path))) as Promise<Record<string, unknown>>;
  const parts = await Promise.all([load('libs/db/data-source'), load('libs/db/repositories'), load('activities/lifecycle')]);
  return Object.assign({}, ...parts) as unknown as Code;
}

interface Ctx {
  code: Code;
  stores: Stores;
  ds: DataSource;
  now: Date;
  /** Per tenant: a subscription of it, an event of it, a cursor halfway through its log. */
  sample: Map<string, { subscriptionId: string; eventId: string; deliveryId: string; midCursor: string }>;
}

interface Case {
  name: string;
  kind: keyof typeof TARGET_MS;
  /** Runs the query the API or the console runs, through the repositories. */
  run(c: Ctx, tenant: string): Promise<unknown>;
  /** Once per case, not per tenant (admin views, the purge). */
  once?: boolean;
}

const DAY = 24 * 60 * 60 * 1000;
const ago = (c: Ctx, ms: number): Date => new Date(c.now.getTime() - ms);
const s = (c: Ctx, t: string) => c.sample.get(t)!;

/** Every list and figure the API and the console read from the delivery log (apps/api/src/*.service.ts). */
const CASES: Case[] = [
  { name: 'deliveries: newest page (admin, all tenants)', kind: 'list', once: true, run: (c) => c.stores.deliveries.listPage({}, PAGE) },
  { name: 'deliveries: tenant, newest page', kind: 'list', run: (c, t) => c.stores.deliveries.listPage({ tenantId: t }, PAGE) },
  {
    name: 'deliveries: tenant, a page 15 days back (cursor)',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t }, { ...PAGE, cursor: s(c, t).midCursor }),
  },
  {
    name: 'deliveries: tenant + subscription',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, subscriptionId: s(c, t).subscriptionId }, PAGE),
  },
  {
    name: 'deliveries: tenant + status dead_lettered',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, status: 'dead_lettered' }, PAGE),
  },
  { name: 'deliveries: tenant + status retrying', kind: 'list', run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, status: 'retrying' }, PAGE) },
  {
    name: 'deliveries: tenant + subscription + status dead_lettered',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, subscriptionId: s(c, t).subscriptionId, status: 'dead_lettered' }, PAGE),
  },
  { name: 'deliveries: status dead_lettered (admin)', kind: 'list', once: true, run: (c) => c.stores.deliveries.listPage({ status: 'dead_lettered' }, PAGE) },
  {
    name: 'deliveries: tenant + event type (15 %)',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, eventType: 'image.updated' }, PAGE),
  },
  {
    name: 'deliveries: tenant + event type (0.5 %)',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, eventType: 'herald.subscription.failing' }, PAGE),
  },
  {
    name: 'deliveries: event type (0.5 %, admin)',
    kind: 'list',
    once: true,
    run: (c) => c.stores.deliveries.listPage({ eventType: 'herald.subscription.failing' }, PAGE),
  },
  { name: 'deliveries: tenant + event', kind: 'list', run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, eventId: s(c, t).eventId }, PAGE) },
  {
    name: 'deliveries: tenant + one day, 10 days back (since/until)',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, since: ago(c, 11 * DAY), until: ago(c, 10 * DAY) }, PAGE),
  },
  {
    name: 'deliveries: tenant + subscription + last hour (since)',
    kind: 'list',
    run: (c, t) => c.stores.deliveries.listPage({ tenantId: t, subscriptionId: s(c, t).subscriptionId, since: ago(c, DAY / 24) }, PAGE),
  },
  {
    name: 'delivery detail (row + attempts)',
    kind: 'list',
    run: async (c, t) => Promise.all([c.stores.deliveries.find(s(c, t).deliveryId, { tenantId: t }), c.stores.attempts.listForDelivery(s(c, t).deliveryId)]),
  },
  {
    name: 'event detail (row + deliveries)',
    kind: 'list',
    run: async (c, t) => Promise.all([c.stores.events.find(s(c, t).eventId), c.stores.deliveries.listForEvent(s(c, t).eventId)]),
  },
  { name: 'dead letters: newest page (admin)', kind: 'list', once: true, run: (c) => c.stores.deadLetters.listPage({}, PAGE) },
  { name: 'dead letters: tenant', kind: 'list', run: (c, t) => c.stores.deadLetters.listPage({ tenantId: t }, PAGE) },
  {
    name: 'dead letters: tenant + subscription',
    kind: 'list',
    run: (c, t) => c.stores.deadLetters.listPage({ tenantId: t, subscriptionId: s(c, t).subscriptionId }, PAGE),
  },
  { name: 'dead letters: tenant + event type', kind: 'list', run: (c, t) => c.stores.deadLetters.listPage({ tenantId: t, eventType: 'image.updated' }, PAGE) },
  {
    name: 'dead letters: bulk retry count (tenant)',
    kind: 'list',
    run: (c, t) => c.stores.deadLetters.countRetryable({ tenantId: t }),
  },
  {
    name: 'subscriptions: tenant page with successRate24h',
    kind: 'list',
    run: async (c, t) => {
      const subs = await c.stores.subscriptions.listPage({ tenantId: t }, PAGE);
      return c.stores.deliveries.summarizeBySubscription(
        subs.map((x) => x.id),
        ago(c, DAY),
      );
    },
  },
  { name: 'tenant stats, 24 h (default)', kind: 'stats', run: (c, t) => tenantStats(c, t, ago(c, DAY)) },
  { name: 'tenant stats, 7 days', kind: 'stats', run: (c, t) => tenantStats(c, t, ago(c, 7 * DAY)) },
  {
    name: 'metrics gauges (waiting, dead letters)',
    kind: 'stats',
    once: true,
    run: (c) => Promise.all([c.stores.deliveries.countWaiting(), c.stores.deadLetters.countRetained()]),
  },
  {
    name: 'retention purge: the hourly round (rolled back)',
    kind: 'purge',
    once: true,
    run: (c) => rolledBack(c.ds, (tx) => purgeRound(c.code, tx, c.now)),
  },
  {
    name: 'dead-letter purge: the hourly run (rolled back)',
    kind: 'purge',
    once: true,
    run: (c) => rolledBack(c.ds, (tx) => new c.code.DeadLetterRepository(tx).purgeExpired(c.now)),
  },
];

/** What TenantStatsService.stats reads, as it reads it (in parallel): its attempts figures are the latency block's. */
function tenantStats(c: Ctx, tenantId: string, since: Date): Promise<unknown> {
  const window = { tenantId, since };
  const bucketSeconds = seriesBucketSeconds(c.now.getTime() - since.getTime());
  // At the seed's "now", as the service passes its own: a reused seed is hours old.
  return Promise.all([
    c.stores.deliveries.stats(window),
    c.stores.attempts.latency({ ...window, bucketSeconds }, c.now),
    c.stores.deadLetters.countSince(window),
  ]);
}

/** The retention activity itself (activities/lifecycle.ts) on one transaction's repositories, at the seed's "now". */
async function purgeRound(code: Code, tx: EntityManager, now: Date): Promise<unknown> {
  const deps = {
    deliveries: new code.DeliveryRepository(tx),
    attempts: new code.AttemptRepository(tx),
    events: new code.EventRepository(tx),
    retention: { days: DEFAULT_RETENTION_DAYS, pauseMs: 0 },
    clock: () => now,
  } as unknown as ActivityDeps;
  return code.purgeExpiredHistory(deps)();
}

const ROLLBACK = new Error('rolled back on purpose');
/** Runs `work` in a transaction and rolls it back: the purge is timed without consuming the data. */
async function rolledBack<T>(ds: DataSource, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  let out: T | undefined;
  await ds
    .transaction(async (tx) => {
      out = await work(tx);
      throw ROLLBACK;
    })
    .catch((err: unknown) => {
      if (err !== ROLLBACK) throw err;
    });
  return out as T;
}

/** Records the SQL the repositories send, for EXPLAIN. */
function captureQueries(ds: DataSource): { take(): { sql: string; params: unknown[] }[] } {
  let seen: { sql: string; params: unknown[] }[] = [];
  const logger: Logger = {
    logQuery: (sql, params) => void (/^\s*(SELECT|DELETE|WITH)/i.test(sql) && seen.push({ sql, params: params ?? [] })),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  ds.logger = logger;
  return {
    take() {
      const out = seen;
      seen = [];
      return out;
    },
  };
}

interface Timed {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  n: number;
  target_ms?: number;
  ok?: boolean;
}

interface Phase {
  figures: Record<string, Timed>;
  /** EXPLAIN (ANALYZE, BUFFERS) of each query of each case, on the largest tenant. */
  plans: Record<string, string[]>;
}

async function measurePhase(c: Ctx, capture: ReturnType<typeof captureQueries>, log: (m: string) => void): Promise<Phase> {
  const phase: Phase = { figures: {}, plans: {} };
  for (const k of CASES) {
    const tenants = k.once ? [tenantId(1)] : TENANTS.map(tenantId);
    const times: number[] = [];
    let slowest = { tenant: tenantId(1), ms: 0 };
    for (let r = 0; r < (k.once ? ROUNDS * 5 : ROUNDS); r++)
      for (const t of tenants) {
        const t0 = performance.now();
        await k.run(c, t);
        const ms = performance.now() - t0;
        times.push(ms);
        if (ms > slowest.ms) slowest = { tenant: t, ms };
      }
    const sum = summary(times);
    const target = TARGET_MS[k.kind];
    phase.figures[k.name] = {
      p50_ms: round(sum.p50),
      p99_ms: round(sum.p99),
      max_ms: round(sum.max),
      n: sum.n,
      ...(target === undefined ? {} : { target_ms: target, ok: sum.p99 <= target }),
    };
    // The plans, from one more run on the largest tenant.
    capture.take();
    if (k.kind === 'purge') {
      phase.plans[k.name] = [];
      await rolledBack(c.ds, async (tx) => {
        await (k.name.startsWith('retention') ? purgeRound(c.code, tx, c.now) : new c.code.DeadLetterRepository(tx).purgeExpired(c.now));
        return undefined;
      });
      const queries = capture.take();
      // Each distinct statement once (a round repeats its batches), explained in a rolled-back transaction.
      const distinct = [...new Map(queries.map((q) => [q.sql, q])).values()];
      for (const q of distinct) phase.plans[k.name].push(await explain(c.ds, q.sql, q.params, true));
    } else {
      // The largest tenant's plan, a mid-sized one's (the planner's estimates go wrong in between:
      // 2026-12-02), and the slowest run's tenant's when that was another.
      phase.plans[k.name] = [];
      for (const t of [...new Set(k.once ? [tenantId(1), slowest.tenant] : [tenantId(1), tenantId(10), slowest.tenant])]) {
        await k.run(c, t);
        for (const q of capture.take())
          phase.plans[k.name].push(
            `-- ${t}${t === slowest.tenant ? ` (slowest run: ${round(slowest.ms)} ms)` : ''}\n${await explain(c.ds, q.sql, q.params, false)}`,
          );
      }
    }
    log(`log-scale: ${k.name}: p50 ${round(sum.p50)} ms, p99 ${round(sum.p99)} ms`);
  }
  return phase;
}

async function explain(ds: DataSource, sql: string, params: unknown[], write: boolean): Promise<string> {
  const run = async (db: Pick<EntityManager, 'query'>): Promise<string> => {
    const rows: { 'QUERY PLAN': string }[] = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    return `${sql.replace(/\s+/g, ' ').trim()}\n  -- parameters: ${JSON.stringify(params)}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`;
  };
  return write ? rolledBack(ds, (tx) => run(tx)) : run(ds);
}

/**
 * The log at scale (issue #22): a delivery log of `deliveries` rows over 200 tenants and 30
 * days, seeded in SQL on its own Postgres; every list page and figure the API and the console
 * read timed at p50/p99 through the repositories, and each query's plan, before and after the
 * indexes of UNDER_TEST (whose build on the full tables is timed too).
 */
export async function measureLogAtScale(results: Results, opts: LogScaleOptions): Promise<{ markdown: string } | undefined> {
  const { log } = opts;
  const stack = await startStack({ stateDir: opts.dir, postgres: {}, temporal: false, database: 'herald_log' });
  const before = MIGRATIONS.filter((m) => !(UNDER_TEST as unknown[]).includes(m));
  const url = stack.databaseUrl!;
  try {
    const admin = new Client({ connectionString: url });
    await admin.connect();
    let seed: SeedFigures;
    try {
      // A reused cluster keeps its data; the indexes under test are taken off for the "before".
      await admin.query(`ALTER TABLE IF EXISTS log_scale_seed ADD COLUMN IF NOT EXISTS seconds int, ADD COLUMN IF NOT EXISTS rollup jsonb`);
      const seeded = (await admin.query(`SELECT now, deliveries, seconds, rollup FROM log_scale_seed ORDER BY now DESC LIMIT 1`).catch(() => ({ rows: [] })))
        .rows[0] as { now: Date; deliveries: number; seconds: number | null; rollup: SeedFigures['rollup'] | null } | undefined;
      await revert(url, before);
      if (seeded && seeded.deliveries === opts.deliveries) {
        // The seed's own duration, as it was measured when it ran (0: not recorded).
        seed = { ...(await figures(admin)), seconds: seeded.seconds ?? 0, now: seeded.now.toISOString(), ...(seeded.rollup ? { rollup: seeded.rollup } : {}) };
        log(`log-scale: reusing the seeded log in ${opts.dir} (${JSON.stringify(seed)})`);
      } else {
        if (seeded) throw new Error(`${opts.dir} holds a log of ${seeded.deliveries} deliveries; remove it or pass --deliveries ${seeded.deliveries}`);
        log(`log-scale: seeding ${opts.deliveries} deliveries`);
        seed = await seedLog(admin, opts.deliveries, log);
        log(`log-scale: seeded in ${seed.seconds} s: ${JSON.stringify(seed)}`);
      }
      // The stats rollup the worker's hourly schedule keeps (a seed of before 2026-12-03 has none).
      if (!seed.rollup) {
        seed.rollup = await rollUpLog(url, new Date(seed.now), log);
        await admin.query(`UPDATE log_scale_seed SET rollup = $1 WHERE now = $2`, [JSON.stringify(seed.rollup), new Date(seed.now)]);
      }
    } finally {
      await admin.end();
    }
    if (opts.seedOnly) {
      results.log_scale = { seed };
      return undefined;
    }

    const ctxFor = async (ds: DataSource, code: Code): Promise<Ctx> => {
      const stores = code.createStores(ds);
      const now = new Date(seed.now);
      const sample: Ctx['sample'] = new Map();
      for (const t of TENANTS.map(tenantId)) {
        // A dead-lettered delivery where the tenant has one (its detail has six attempts), else its newest.
        const [row] = await ds.query(
          `SELECT d.subscription_id, d.event_id, d.id,
                  (SELECT id FROM deliveries WHERE tenant_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT 1) AS mid
             FROM deliveries d
            WHERE d.id = coalesce((SELECT id FROM deliveries WHERE tenant_id = $1 AND status = 'dead_lettered' ORDER BY id DESC LIMIT 1),
                                  (SELECT id FROM deliveries WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1))`,
          [t, new Date(now.getTime() - 15 * DAY)],
        );
        sample.set(t, { subscriptionId: row.subscription_id, eventId: row.event_id, deliveryId: row.id, midCursor: row.mid });
      }
      return { code, stores, ds, now, sample };
    };

    const figuresOut: Record<string, unknown> = { seed };
    const phases: Record<'before' | 'after', Phase> = {} as never;
    {
      // The base checkout's own DataSource: its entities and migrations (main's: all but UNDER_TEST).
      const base = opts.baseDist ? await baseCode(opts.baseDist) : OURS;
      const ds = await (
        opts.baseDist ? base.createDataSource(url, { poolSize: 10 }) : createDataSource(url, { migrations: before, poolSize: 10 })
      ).initialize();
      try {
        const capture = captureQueries(ds);
        phases.before = await measurePhase(await ctxFor(ds, base), capture, log);
      } finally {
        await ds.destroy();
      }
    }
    {
      const ds = await createDataSource(url, { poolSize: 10 }).initialize();
      try {
        const t0 = performance.now();
        const applied = await ds.runMigrations({ transaction: 'each' });
        figuresOut.migration = { applied: applied.map((m) => m.name), seconds: round((performance.now() - t0) / 1000) };
        log(`log-scale: ${JSON.stringify(figuresOut.migration)}`);
        await ds.query(`ANALYZE deliveries, attempts, dead_letters, events`);
        const capture = captureQueries(ds);
        phases.after = await measurePhase(await ctxFor(ds, OURS), capture, log);
      } finally {
        await ds.destroy();
      }
    }
    figuresOut.before = phases.before.figures;
    figuresOut.after = phases.after.figures;
    figuresOut.bytes_after = (await withClient(url, figures)).bytes;
    results.log_scale = figuresOut;
    return { markdown: markdown(seed, figuresOut, phases) };
  } finally {
    await stack.stop();
  }
}

async function withClient<T>(url: string, f: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** Takes the migrations under test off a database that has them (a reused cluster). */
async function revert(url: string, keep: typeof MIGRATIONS): Promise<void> {
  const ds = await createDataSource(url).initialize();
  try {
    const runner = ds.createQueryRunner();
    const applied: { name: string }[] = await ds.query(`SELECT name FROM herald_migrations`);
    for (const M of UNDER_TEST) {
      const m = new M();
      if ((keep as unknown[]).includes(M) || !applied.some((a) => a.name === m.name)) continue;
      await m.down(runner);
      await ds.query(`DELETE FROM herald_migrations WHERE name = $1`, [m.name]);
    }
    await runner.release();
  } finally {
    await ds.destroy();
  }
}

function markdown(seed: SeedFigures, f: Record<string, unknown>, phases: Record<'before' | 'after', Phase>): string {
  const b = phases.before.figures;
  const a = phases.after.figures;
  const cell = (t: Timed | undefined): string => (t ? `${t.p50_ms} / ${t.p99_ms}` : '');
  const rows = CASES.map((k) => {
    const target = TARGET_MS[k.kind];
    return `| ${k.name} | ${target === undefined ? '—' : `≤ ${target}`} | ${cell(b[k.name])} | ${cell(a[k.name])} | ${a[k.name]?.ok === false ? 'missed' : target === undefined ? '' : 'met'} |`;
  });
  const plans = CASES.map(
    (k) =>
      `### ${k.name}\n\nBefore:\n\n\`\`\`\n${(phases.before.plans[k.name] ?? []).join('\n\n')}\n\`\`\`\n\nAfter:\n\n\`\`\`\n${(phases.after.plans[k.name] ?? []).join('\n\n')}\n\`\`\`\n`,
  );
  return `# The log at scale (${new Date().toISOString().slice(0, 10)})

Seeded: ${seed.deliveries} deliveries, ${seed.attempts} attempts, ${seed.events} events, ${seed.dead_letters} dead letters, ${seed.subscriptions} subscriptions, ${seed.tenants} tenants, over 30 days and an hour (${(seed.bytes / 2 ** 30).toFixed(2)} GiB with indexes) in ${seed.seconds} s.
Migration ${JSON.stringify(f.migration)}.

Milliseconds, p50 / p99 over ${ROUNDS * TENANTS.length} runs (${ROUNDS} × ${TENANTS.length} tenants from the largest to the smallest; admin views and purges ${ROUNDS * 5} runs).

| query | target p99 | before p50 / p99 | after p50 / p99 | |
|---|---|---|---|---|
${rows.join('\n')}

## Plans (EXPLAIN ANALYZE, BUFFERS; the largest tenant's, tenant_010's (mid-sized), and the slowest run's tenant's)

${plans.join('\n')}`;
}
