/**
 * The log at scale's data: `deliveries` deliveries (two per event) and their attempts over 200
 * tenants and 30 days and an hour (the oldest hour is past retention, as before an hourly purge),
 * generated in SQL by generate_series in one session. Tenants are Zipf-sized (the largest holds
 * about a sixth of the log, the smallest a few thousand deliveries), so a tenant-scoped query
 * is timed on a big tenant as well as a small one.
 *
 * The shape of the data follows the engine: ids are ULIDs of their row's creation time (lists
 * page by id), 1 % of deliveries dead-lettered after six attempts (those of the last 7 days
 * still have their DeadLetter), 0.5 % cancelled, 4.5 % succeeded on a retry, the rest on the
 * first attempt; deliveries of the last 81 minutes that will dead-letter are still `retrying`.
 */
import type { Client } from 'pg';
import { rollupAttemptStats } from '../activities/lifecycle';
import type { ActivityDeps } from '../activities/deps';
import { createDataSource } from '../libs/db/data-source';
import { AttemptRepository } from '../libs/db/repositories';
import { DEFAULT_RETENTION_DAYS } from '../libs/domain/retention';

export interface SeedFigures {
  tenants: number;
  subscriptions: number;
  events: number;
  deliveries: number;
  attempts: number;
  dead_letters: number;
  seconds: number;
  /** Heap, indexes and TOAST of the log's tables. */
  bytes: number;
  /** The instant the data is generated around ("now" for every window the queries use). */
  now: string;
  /** The stats rollup over the seeded month (rollUpLog), after `seconds`. */
  rollup?: RollupFigures;
}

export interface RollupFigures {
  steps: number;
  /** Subscription-hours written. */
  rows: number;
  seconds: number;
}

export const SEED_TENANTS = 200;
const SPAN_MS = (30 * 24 + 1) * 60 * 60 * 1000;
/** The schedule's cumulative delays (libs/domain/retry-schedule.ts): when attempt n starts after the first. */
const CUMULATIVE_S = [0, 0, 60, 360, 1260, 4860];

/** `tenant_001` is the largest. */
export const tenantId = (k: number): string => `tenant_${String(k).padStart(3, '0')}`;

export async function seedLog(db: Client, deliveries: number, log: (m: string) => void): Promise<SeedFigures> {
  const started = performance.now();
  const nowMs = Date.now();
  const events = Math.floor(deliveries / 2);
  const step = async (what: string, sql: string, params: unknown[] = []): Promise<void> => {
    const t0 = performance.now();
    await db.query(sql, params);
    log(`log-scale seed: ${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };

  // The function has no FROM, so the planner inlines it (a called SQL function costs ~50 µs a row).
  // Generated consistent with every foreign key, so their triggers are off for the load
  // (session_replication_role); secondary indexes are dropped and built once afterwards.
  await db.query(`SET session_replication_role = replica`);
  await db.query(`SET maintenance_work_mem = '512MB'`);
  await db.query(`SET work_mem = '256MB'`);
  await db.query(`SET temp_buffers = '512MB'`);
  const shifts = [45, 40, 35, 30, 25, 20, 15, 10, 5, 0].map((s) => `substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> ${s}) & 31)::int + 1, 1)`).join(' || ');
  await db.query(`CREATE FUNCTION pg_temp.ulid(prefix text, ms bigint, salt text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT prefix || '_' || ${shifts} || upper(substr(md5(salt), 1, 16)) $$`);
  const indexes: { indexname: string; indexdef: string }[] = (
    await db.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('events', 'deliveries', 'attempts', 'dead_letters')
          AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
    )
  ).rows;
  for (const i of indexes) await db.query(`DROP INDEX ${i.indexname}`);

  await step(
    'tenants and subscriptions',
    `
    INSERT INTO tenants (id, name) SELECT 'tenant_' || lpad(k::text, 3, '0'), 'Tenant ' || k FROM generate_series(1, ${SEED_TENANTS}) k;
    -- Zipf weights 1/k, drawn through 10,000 buckets.
    CREATE TEMP TABLE seed_buckets AS
      WITH w AS MATERIALIZED (SELECT k, sum(1.0 / k) OVER (ORDER BY k) / sum(1.0 / k) OVER () AS cum FROM generate_series(1, ${SEED_TENANTS}) k)
      SELECT b, (SELECT min(k) FROM w WHERE cum >= (b + 0.5) / 10000.0) AS k FROM generate_series(0, 9999) b;
    -- Bigger tenants have more endpoints: 2 + 20/k.
    CREATE TEMP TABLE seed_subs AS
      SELECT k, n, pg_temp.ulid('sub', ${nowMs - SPAN_MS} - 86400000::bigint + k * 1000 + n, 's' || k || '.' || n) AS id,
             'https://hooks.example.com/t' || k || '/' || n AS url
        FROM generate_series(1, ${SEED_TENANTS}) k, generate_series(0, 1 + 20 / k) n;
    CREATE TEMP TABLE seed_nsubs AS SELECT k, count(*)::int AS nsubs FROM seed_subs GROUP BY k;
    -- Temporary tables are never analyzed by autovacuum; the joins below need their sizes.
    ANALYZE seed_buckets, seed_subs, seed_nsubs;
    INSERT INTO subscriptions (id, tenant_id, url, event_types, secret_ciphertext, payload_format, created_at, updated_at)
      SELECT id, 'tenant_' || lpad(k::text, 3, '0'), url, '{*}', 'v1.seed', 'envelope', to_timestamp(${nowMs - SPAN_MS} / 1000.0 - 86400), to_timestamp(${nowMs - SPAN_MS} / 1000.0 - 86400)
        FROM seed_subs ORDER BY id;`,
  );
  await step(
    `${events} events`,
    `
    -- Each event with its tenant and the two subscriptions its deliveries go to (the next two of
    -- the tenant's, round robin), in id order: the tables below are read from it in its physical
    -- order, so they are written in id order as the engine writes them, without sorting them.
    CREATE TEMP TABLE seed_events AS
      SELECT j, b.k, e.ms, pg_temp.ulid('evt', e.ms, 'e' || j) AS id,
             CASE WHEN r < 800 THEN 'image.created' WHEN r < 950 THEN 'image.updated' WHEN r < 995 THEN 'video.created' ELSE 'herald.subscription.failing' END AS type,
             s0.id AS s0, s1.id AS s1
        FROM generate_series(0, ${events - 1}) j
        CROSS JOIN LATERAL (SELECT ${nowMs - SPAN_MS}::bigint + (j::bigint * ${SPAN_MS}) / ${events} AS ms, abs(hashint4(j + 1)) % 1000 AS r) e
        JOIN seed_buckets b ON b.b = abs(hashint4(j)) % 10000
        JOIN seed_nsubs ns ON ns.k = b.k
        JOIN seed_subs s0 ON s0.k = b.k AND s0.n = j % ns.nsubs
        JOIN seed_subs s1 ON s1.k = b.k AND s1.n = (j + 1) % ns.nsubs
       ORDER BY j;
    INSERT INTO events (id, tenant_id, type, data, received_at, workflow_started_at)
      SELECT id, 'tenant_' || lpad(k::text, 3, '0'), type,
             jsonb_build_object('image_url', 'https://cdn.example.com/i/' || j || '.png', 'status', 'done', 'metadata', jsonb_build_object('width', 1200, 'height', 800)),
             to_timestamp(ms / 1000.0), to_timestamp(ms / 1000.0)
        FROM seed_events;`,
  );
  const final = `('succeeded', 'dead_lettered', 'cancelled')`;
  await step(
    `${events * 2} deliveries`,
    `
    INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, attempt_count, next_attempt_at, last_status_code, last_error,
                            workflow_id, created_at, updated_at, completed_at)
    SELECT f.id, e.id, v.sub, 'tenant_' || lpad(e.k::text, 3, '0'), e.type, f.status, f.attempts,
           CASE WHEN f.status = 'retrying' THEN to_timestamp((f.ms + ${CUMULATIVE_S[5] * 1000}) / 1000.0) END,
           CASE WHEN f.status = 'succeeded' THEN 200 ELSE 500 END,
           CASE WHEN f.status = 'succeeded' THEN NULL ELSE 'HTTP 500' END,
           'delivery:' || e.id || ':' || v.sub,
           to_timestamp(f.ms / 1000.0), to_timestamp((f.ms + f.took) / 1000.0),
           CASE WHEN f.status IN ${final} THEN to_timestamp((f.ms + f.took) / 1000.0) END
      FROM seed_events e
      -- Lateral on the event: a nested loop over seed_events in its order, two rows each, no join.
      CROSS JOIN LATERAL (VALUES (0, e.s0), (1, e.s1)) v (m, sub)
      CROSS JOIN LATERAL (SELECT 2 * e.j + v.m AS i, e.ms + 5 + v.m AS ms, abs(hashint4(2 * e.j + v.m)) % 1000 AS r) x
      CROSS JOIN LATERAL (
        SELECT pg_temp.ulid('dlv', x.ms, 'd' || x.i) AS id, x.ms,
               CASE WHEN x.r < 10 AND x.ms > ${nowMs - CUMULATIVE_S[5] * 1000} THEN 'retrying'
                    WHEN x.r < 10 THEN 'dead_lettered' WHEN x.r < 15 THEN 'cancelled' ELSE 'succeeded' END AS status,
               CASE WHEN x.r < 10 AND x.ms > ${nowMs - CUMULATIVE_S[5] * 1000} THEN 3 WHEN x.r < 10 THEN 6 WHEN x.r < 15 THEN 1 WHEN x.r < 60 THEN 2 + x.r % 2 ELSE 1 END AS attempts,
               CASE WHEN x.r < 10 THEN ${CUMULATIVE_S[5] * 1000} WHEN x.r < 15 THEN 100 WHEN x.r < 60 THEN 60000 * (x.r % 2) + 200 ELSE 150 END AS took) f`,
  );
  // The attempts are generated from the deliveries just loaded: the planner needs their statistics (a sample: seconds).
  await step('analyze deliveries', `ANALYZE deliveries`);
  const cum = `(ARRAY[${CUMULATIVE_S.join(', ')}])[a] * 1000`;
  await step(
    'attempts',
    `
    INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, error_kind, error_message, response_excerpt, duration_ms, started_at, finished_at)
    SELECT pg_temp.ulid('atm', t.ms, d.id || '.' || a), d.id, d.subscription_id, a, 'scheduled', s.url, t.ok,
           CASE WHEN t.ok THEN 200 ELSE 500 END, CASE WHEN t.ok THEN NULL ELSE 'http_status' END, CASE WHEN t.ok THEN NULL ELSE 'HTTP 500' END,
           CASE WHEN t.ok THEN '{"received":true}' ELSE '{"error":"upstream unavailable","retry":true}' END,
           t.duration, to_timestamp(t.ms / 1000.0), to_timestamp((t.ms + t.duration) / 1000.0)
      -- No ORDER BY: deliveries are read in their physical (id) order, the subscriptions hashed. An
      -- ORDER BY d.id, a made the planner keep the primary key's order through a nested loop over
      -- every subscription (466 comparisons a delivery: most of the 1,830 s of 2026-12-02).
      FROM deliveries d
      JOIN seed_subs s ON s.id = d.subscription_id
      CROSS JOIN LATERAL generate_series(1, d.attempt_count) a
      CROSS JOIN LATERAL (
        SELECT (extract(epoch FROM d.created_at) * 1000)::bigint + 10 + ${cum} AS ms,
               d.status = 'succeeded' AND a = d.attempt_count AS ok,
               -- Mostly quick receivers, a slow tail.
               CASE WHEN abs(hashint4(a * 7 + length(d.id))) % 100 = 0 THEN 2000 + abs(hashint4(a)) % 20000 ELSE 20 + abs(hashint4(a + 3)) % 300 END AS duration) t;
    -- Test sends (no delivery): one a day per subscription.
    INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, response_excerpt, duration_ms, started_at, finished_at)
    SELECT pg_temp.ulid('atm', t.ms, s.id || '.test.' || day), NULL, s.id, 1, 'test', s.url, true, 200, '{"received":true}', 40, to_timestamp(t.ms / 1000.0), to_timestamp(t.ms / 1000.0 + 0.04)
      FROM seed_subs s CROSS JOIN generate_series(0, 30) day
      CROSS JOIN LATERAL (SELECT ${nowMs - SPAN_MS}::bigint + day * 86400000::bigint + s.n * 1000 AS ms) t;`,
  );
  await step(
    'dead letters',
    `
    INSERT INTO dead_letters (id, delivery_id, subscription_id, event_id, event_type, reason, last_status_code, attempt_count, payload, created_at, updated_at, expires_at, tenant_id)
    SELECT pg_temp.ulid('dlq', (extract(epoch FROM d.completed_at) * 1000)::bigint, d.id), d.id, d.subscription_id, d.event_id, d.event_type, 'HTTP 500', 500, d.attempt_count,
           jsonb_build_object('id', d.event_id, 'type', d.event_type, 'data', jsonb_build_object('image_url', 'https://cdn.example.com/i/x.png')),
           d.completed_at, d.completed_at, d.completed_at + interval '7 days', d.tenant_id
      FROM deliveries d
     WHERE d.status = 'dead_lettered' AND d.completed_at > to_timestamp(${nowMs} / 1000.0) - interval '7 days 1 hour'
     ORDER BY d.completed_at`,
  );
  await db.query(`SET session_replication_role = DEFAULT`);
  for (const i of indexes) await step(`index ${i.indexname}`, i.indexdef);
  await step('vacuum analyze', `VACUUM (ANALYZE) tenants, subscriptions, events, deliveries, attempts, dead_letters`);
  const seconds = Math.round((performance.now() - started) / 1000);
  await db.query(`CREATE TABLE IF NOT EXISTS log_scale_seed (now timestamptz NOT NULL, deliveries int NOT NULL)`);
  await db.query(`ALTER TABLE log_scale_seed ADD COLUMN IF NOT EXISTS seconds int, ADD COLUMN IF NOT EXISTS rollup jsonb`);
  await db.query(`INSERT INTO log_scale_seed (now, deliveries, seconds) VALUES (to_timestamp($1 / 1000.0), $2, $3)`, [nowMs, deliveries, seconds]);
  return { ...(await figures(db)), seconds, now: new Date(nowMs).toISOString() };
}

export async function figures(db: Client): Promise<Omit<SeedFigures, 'seconds' | 'now'>> {
  const { rows } = await db.query(`SELECT (SELECT count(*) FROM tenants)::int AS tenants, (SELECT count(*) FROM subscriptions)::int AS subscriptions,
      (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM deliveries)::int AS deliveries, (SELECT count(*) FROM attempts)::int AS attempts,
      (SELECT count(*) FROM dead_letters)::int AS dead_letters,
      (pg_total_relation_size('events') + pg_total_relation_size('deliveries') + pg_total_relation_size('attempts') + pg_total_relation_size('dead_letters'))::float8 AS bytes`);
  return rows[0];
}

/**
 * The stats rollup (attempt_stats_hourly and attempt_stats_daily) over the seeded month, made by
 * the worker's own activity (activities/lifecycle.ts, rollupAttemptStats: a day of hours a
 * step) at the seed's "now", step after step until it has caught up, as the hourly schedule
 * would have made it: stats windows longer than a day read it, so the bench times the
 * statements the API runs today.
 */
export async function rollUpLog(url: string, now: Date, log: (m: string) => void): Promise<RollupFigures> {
  const ds = await createDataSource(url, { poolSize: 2 }).initialize();
  try {
    const t0 = performance.now();
    const step = rollupAttemptStats({
      attempts: new AttemptRepository(ds.manager),
      retention: { days: DEFAULT_RETENTION_DAYS },
      clock: () => now,
    } as unknown as ActivityDeps);
    let steps = 0;
    let rows = 0;
    for (let more = true; more; steps++) {
      const r = await step();
      rows += r.rows;
      more = r.more;
    }
    await ds.query(`VACUUM (ANALYZE) attempt_stats_hourly, attempt_stats_daily`);
    const seconds = Math.round((performance.now() - t0) / 1000);
    log(`log-scale seed: stats rollup, ${steps} steps, ${rows} subscription-hours in ${seconds} s`);
    return { steps, rows, seconds };
  } finally {
    await ds.destroy();
  }
}
