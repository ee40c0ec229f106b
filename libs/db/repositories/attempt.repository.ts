import type { EntityManager } from 'typeorm';
import type { AttemptRow } from '../../delivery/attempt';
import { deadLetteredEvent, OPERATIONAL_EVENT_TYPES as OPS, type OperationalEvent } from '../../domain/operational-events';
import { mayMove, statusesMovingTo, type AttemptStatus, type DeliveryStatus } from '../../domain/delivery-lifecycle';
import { ATTEMPT_OUTCOMES } from '../../domain/delivery-stats';
import {
  HISTOGRAM_GROWTH,
  HISTOGRAM_MAX_INDEX,
  histogramCount,
  histogramPercentiles,
  mergeHistogram,
  type Histogram,
  type Percentiles,
} from '../../domain/latency-histogram';
import { assessAttempt, type SubscriptionHealth } from '../../domain/subscription-health';
import { Attempt, Event, Subscription } from '../entities';
import { DeadLetterRepository } from './dead-letter.repository';
import { EventRepository } from './event.repository';
import { SubscriptionRepository } from './subscription.repository';
import { windowCeiling, windowFloor, type StatsWindow } from './page';

/** One attempt of a delivery, and where it leaves the delivery. */
export interface DeliveryAttemptRecord {
  attempt: AttemptRow & { deliveryId: string };
  eventId: string;
  status: AttemptStatus;
  nextAttemptAt: Date | null;
  /** The body a dead letter keeps, from the event and subscription as they are now. */
  deadLetterPayload(event: Event, subscription: Subscription): Record<string, unknown>;
  /**
   * Endpoint health (libs/domain/subscription-health.ts): when the attempt happened on the
   * failing clock (the delivery workflow's time), and the auto-disable window (0: never).
   */
  health: { at: Date; autoDisableAfterMs: number };
}

export interface RecordedAttemptRow {
  attemptId: string;
  /** False when the row existed already (a retried record after a lost commit acknowledgement). */
  inserted: boolean;
  /** Operational events this record committed (outbox rows waiting for a dispatcher). */
  operationalEvents: OperationalEvent['type'][];
}

export interface AttemptStats {
  attempts: number;
  durationMs: { p50: number | null; p95: number | null };
}

export type { Percentiles };

/** One bucket of the latency series (or the whole window when `start` is null). */
export interface LatencyBucket {
  start: Date | null;
  attempts: number;
  succeeded: number;
  attemptDurationMs: Percentiles;
  /** Deliveries whose first success came in the bucket. */
  firstSuccesses: number;
  /** From the event's 202 (events.received_at) to the end of its delivery's first successful attempt. */
  firstSuccessMs: Percentiles;
}

export interface LatencyStats {
  total: LatencyBucket;
  /** Only the buckets that hold attempts, oldest first. */
  buckets: LatencyBucket[];
  /** Attempts of the window by outcome name (libs/domain/delivery-stats.ts, ATTEMPT_OUTCOMES); absent names had none. */
  outcomes: Partial<Record<string, number>>;
  /** `exact`: percentile_cont over the attempts (windows up to a day); `histogram`: read from latency histograms, within 5 %. */
  percentiles: 'exact' | 'histogram';
}

/**
 * The attempts a figure covers. Both shapes read attempts_subscription_idx (subscription_id, id)
 * from the window's first id: one range per subscription (a tenant's through
 * subscriptions_tenant_idx), never the table's whole history. $1 scope id, $2 id floor, $3 since.
 */
function attemptsInWindow(w: StatsWindow): string {
  return `${windowScope(w, 'a')} AND a.id >= $2 AND a.started_at >= $3`;
}

/** The rows of `alias` (attempts, or the hourly rollup) of the window's subscription, or of its tenant's subscriptions; $1 is the scope id. */
function windowScope(w: StatsWindow, alias: string): string {
  return w.subscriptionId !== undefined ? `${alias}.subscription_id = $1` : `${alias}.subscription_id IN (SELECT id FROM subscriptions WHERE tenant_id = $1)`;
}

/** The start of the series bucket holding `column`: whole minutes, hours and UTC days, as seriesBucketStarts makes them. */
const seriesBucket = (interval: string, column: string): string => `date_bin(${interval}, ${column}, TIMESTAMPTZ '1970-01-01 00:00:00+00')`;

/** How an attempt ended, by name (libs/domain/delivery-stats.ts, ATTEMPT_OUTCOMES). */
const OUTCOME_SQL = `CASE WHEN a.ok THEN 'succeeded'
                          WHEN a.error_kind IN ('http_status', 'redirect') AND a.status_code IS NOT NULL THEN 'http_' || (a.status_code / 100) || 'xx'
                          ELSE coalesce(a.error_kind, 'network') END`;

/** histogramIndex (libs/domain/latency-histogram.ts) in SQL, for a float8 of milliseconds. */
const HISTOGRAM_INDEX_SQL = (ms: string): string => `least(${HISTOGRAM_MAX_INDEX}, greatest(0, floor(ln(greatest(${ms}, 1)) / ln(${HISTOGRAM_GROWTH}))))::int`;

/** A delivery's first success: an ok attempt with no ok one before it (most are attempt 1: no probe). */
const FIRST_SUCCESS_SQL = `a.ok AND (a.number = 1 OR NOT EXISTS (SELECT 1 FROM attempts b WHERE b.delivery_id = a.delivery_id AND b.number < a.number AND b.ok))`;

/**
 * The attempts of `where` (alias `a`) as long rows (group columns…, kind, key, n), grouped by
 * `groups` (SQL expressions over `a`, named g0, g1…): kind 'n' attempts, 'ok' successes, 'o' by
 * outcome name, 'd' durations by histogram bucket, 'f' first successes by the bucket of their
 * 202 → success time. Both the hourly rollup and a window's unrolled edges are this statement.
 */
function attemptHistogramRows(groups: string[], where: string): string {
  const g = groups.map((expr, i) => `${expr} AS g${i}`).join(', ');
  const cols = groups.map((_, i) => `g${i}`).join(', ');
  return `WITH a AS (SELECT ${g}, a.ok, ${HISTOGRAM_INDEX_SQL('a.duration_ms')} AS idx, ${OUTCOME_SQL} AS outcome FROM attempts a WHERE ${where}),
               f AS (SELECT ${g}, ${HISTOGRAM_INDEX_SQL('extract(epoch FROM a.finished_at - e.received_at) * 1000')} AS idx
                       FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id
                      WHERE ${where} AND ${FIRST_SUCCESS_SQL})
          SELECT ${cols}, 'n' AS kind, '' AS key, count(*)::int AS n FROM a GROUP BY ${cols}
          UNION ALL SELECT ${cols}, 'ok', '', count(*)::int FROM a WHERE ok GROUP BY ${cols}
          UNION ALL SELECT ${cols}, 'o', outcome, count(*)::int FROM a GROUP BY ${cols}, outcome
          UNION ALL SELECT ${cols}, 'd', idx::text, count(*)::int FROM a GROUP BY ${cols}, idx
          UNION ALL SELECT ${cols}, 'f', idx::text, count(*)::int FROM f GROUP BY ${cols}, idx`;
}

/** Counts and histograms of one bucket of a series (or of the whole window), merged from long rows. */
interface HistogramBucket {
  attempts: number;
  succeeded: number;
  outcomes: Record<string, number>;
  durations: Histogram;
  firsts: Histogram;
}

const emptyHistogramBucket = (): HistogramBucket => ({ attempts: 0, succeeded: 0, outcomes: {}, durations: {}, firsts: {} });

function addLongRow(b: HistogramBucket, kind: string, key: string, n: number): void {
  if (kind === 'n') b.attempts += n;
  else if (kind === 'ok') b.succeeded += n;
  else if (kind === 'o') b.outcomes[key] = (b.outcomes[key] ?? 0) + n;
  else if (kind === 'd') mergeHistogram(b.durations, { [Number(key)]: n });
  else if (kind === 'f') mergeHistogram(b.firsts, { [Number(key)]: n });
}

/**
 * The exact statements answer windows up to this long; longer ones read the hourly rollup. A day
 * and an hour: "the last 24 hours" asked by a client a moment ago is still a day when it arrives.
 */
export const EXACT_LATENCY_WINDOW_MS = 25 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const floorHour = (t: number): number => Math.floor(t / HOUR_MS) * HOUR_MS;
/** UTC days, as date_bin from the epoch makes them. */
const floorDay = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/**
 * The rows of a rollup table (alias `r`: attempt_stats_hourly or attempt_stats_daily) unfolded
 * into the long rows (kind, key, n) attemptHistogramRows makes of attempts, one pass over each row.
 */
const ROLLUP_LONG_ROWS = (() => {
  const each = (kind: string, column: string) => `SELECT '${kind}', key, value::int FROM jsonb_each_text(r.${column})`;
  return `LATERAL (SELECT 'n', '', r.attempts UNION ALL SELECT 'ok', '', r.succeeded
                   UNION ALL ${each('o', 'outcomes')} UNION ALL ${each('d', 'duration_hist')} UNION ALL ${each('f', 'first_success_hist')}) AS x (kind, key, n)`;
})();

/** A rollup row's columns, from long rows `(g0, g1, kind, key, n)` grouped by g0, g1: the hourly level from attempts, the daily from hours. */
const ROLLUP_ROW_SQL = `g0, g1,
       coalesce(sum(n) FILTER (WHERE kind = 'n'), 0), coalesce(sum(n) FILTER (WHERE kind = 'ok'), 0),
       coalesce(jsonb_object_agg(key, n) FILTER (WHERE kind = 'o'), '{}'), coalesce(jsonb_object_agg(key, n) FILTER (WHERE kind = 'd'), '{}'),
       coalesce(sum(n) FILTER (WHERE kind = 'f'), 0), coalesce(jsonb_object_agg(key, n) FILTER (WHERE kind = 'f'), '{}')`;
/** An attempt is recorded up to its 60 s budget (more through a Postgres outage) after it started: hours are rolled up this long after they end, and the last few again. */
const ROLLUP_SETTLE_MS = 10 * 60 * 1000;
const ROLLUP_REDO_HOURS = 3;
/** Hours one rollup call covers at most (a day of attempts: one GROUP BY of seconds). */
const ROLLUP_HOURS_PER_CALL = 24;

export interface RolledUp {
  from: Date;
  until: Date;
  /** Subscription-hours written. */
  rows: number;
  /** More complete hours remain (the next call goes on). */
  more: boolean;
}

const PERCENTILES = (expr: string): string =>
  [0.5, 0.95, 0.99].map((p) => `percentile_cont(${p}) WITHIN GROUP (ORDER BY ${expr}) AS p${Math.round(p * 100)}`).join(', ');

/**
 * The two statements of `AttemptRepository.latency`, with their parameters: the bench EXPLAINs
 * these very statements (bench/measurements/stats.ts).
 */
export function latencyQueries(w: StatsWindow & { bucketSeconds: number }): Record<'durations' | 'firstSuccesses', { sql: string; params: unknown[] }> {
  const params = [w.subscriptionId ?? w.tenantId, windowFloor('attempt', w.since), w.since, `${w.bucketSeconds} seconds`];
  const bucket = seriesBucket('$4::interval', 'a.started_at');
  // Outcomes counted in the same pass (read for the whole window only).
  const outcomes = ATTEMPT_OUTCOMES.map((o) => `count(*) FILTER (WHERE outcome = '${o}')::int AS "o_${o}"`).join(', ');
  return {
    durations: {
      sql: `SELECT bucket, count(*)::int AS attempts, count(*) FILTER (WHERE ok)::int AS succeeded, ${PERCENTILES('duration_ms')}, ${outcomes}
              FROM (SELECT ${bucket} AS bucket, a.ok, a.duration_ms, ${OUTCOME_SQL} AS outcome FROM attempts a WHERE ${attemptsInWindow(w)}) t
             GROUP BY GROUPING SETS ((bucket), ())`,
      params,
    },
    firstSuccesses: {
      // Most first successes are attempt 1, which has nothing before it: no probe for those.
      sql: `SELECT bucket, count(*)::int AS n, ${PERCENTILES('ms')}
              FROM (SELECT ${bucket} AS bucket, (extract(epoch FROM a.finished_at - e.received_at) * 1000)::float8 AS ms
                      FROM attempts a
                      JOIN deliveries d ON d.id = a.delivery_id
                      JOIN events e ON e.id = d.event_id
                     WHERE ${attemptsInWindow(w)} AND ${FIRST_SUCCESS_SQL}) t
             GROUP BY GROUPING SETS ((bucket), ())`,
      params,
    },
  };
}

/** Queries on attempts. */
export class AttemptRepository {
  constructor(private readonly db: EntityManager) {}

  /** A delivery's attempts in order: its delivery log. */
  listForDelivery(deliveryId: string): Promise<Attempt[]> {
    return this.db.getRepository(Attempt).find({ where: { deliveryId }, order: { number: 'ASC', id: 'ASC' } });
  }

  /**
   * Latency figures of a tenant's or a subscription's attempts started in the window, in two
   * statements over the same index range: attempt durations and outcomes; then each delivery's
   * first success (an ok attempt with no ok one before it, through the unique (delivery_id,
   * number) index), timed from its event's 202 (the event and delivery by primary key). Both
   * group by `date_bin` buckets and, with GROUPING SETS, the whole window in the same pass.
   */
  async latency(w: StatsWindow & { bucketSeconds: number }, now = new Date()): Promise<LatencyStats> {
    if (now.getTime() - w.since.getTime() > EXACT_LATENCY_WINDOW_MS) return this.latencyFromRollup(w, now);
    type Row = { bucket: Date | null; attempts: number; succeeded: number; p50: number | null; p95: number | null; p99: number | null };
    const q = latencyQueries(w);
    const [durations, firsts]: [(Row & Record<string, unknown>)[], (Row & { n: number })[]] = await Promise.all([
      this.db.query(q.durations.sql, q.durations.params),
      this.db.query(q.firstSuccesses.sql, q.firstSuccesses.params),
    ]);
    const pct = (r: { p50: number | null; p95: number | null; p99: number | null } | undefined): Percentiles => ({
      p50: r?.p50 ?? null,
      p95: r?.p95 ?? null,
      p99: r?.p99 ?? null,
    });
    const key = (d: Date | null): string => (d === null ? 'total' : d.toISOString());
    const firstBy = new Map(firsts.map((f) => [key(f.bucket), f]));
    const toBucket = (r: Row | undefined, start: Date | null): LatencyBucket => {
      const first = firstBy.get(key(start));
      return {
        start,
        attempts: r?.attempts ?? 0,
        succeeded: r?.succeeded ?? 0,
        attemptDurationMs: pct(r),
        firstSuccesses: first?.n ?? 0,
        firstSuccessMs: pct(first),
      };
    };
    const total = durations.find((r) => r.bucket === null);
    return {
      total: toBucket(total, null),
      buckets: durations
        .filter((r) => r.bucket !== null)
        .sort((x, y) => x.bucket!.getTime() - y.bucket!.getTime())
        .map((r) => toBucket(r, r.bucket)),
      outcomes: Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, Number(total?.[`o_${o}`] ?? 0)])),
      percentiles: 'exact',
    };
  }

  /**
   * `latency` over a window longer than a day, with percentiles read from latency histograms
   * (within 5 %, libs/domain/latency-histogram.ts): the complete hours the rollup holds from
   * attempt_stats_hourly (its whole days from attempt_stats_daily when the series is in days), the window's first partial hour and whatever the rollup has not reached
   * yet from the attempts themselves, both as the same histograms, merged bucket by bucket.
   */
  private async latencyFromRollup(w: StatsWindow & { bucketSeconds: number }, now: Date): Promise<LatencyStats> {
    const bucket = (column: string) => seriesBucket(`'${w.bucketSeconds} seconds'::interval`, column);
    const scopeId = w.subscriptionId ?? w.tenantId;
    const rolledUntil = await this.rolledUntil();
    const firstHour = Math.ceil(w.since.getTime() / HOUR_MS) * HOUR_MS;
    const rollEnd = Math.min(rolledUntil?.getTime() ?? 0, floorHour(now.getTime()));
    type Long = { g0: Date; kind: string; key: string; n: number };
    const reads: Promise<Long[]>[] = [];
    const raw = (from: number, until: number) => {
      if (until <= from) return;
      // Bounded by id at both ends: the window's first partial hour must not read the month after it.
      const where = `${windowScope(w, 'a')} AND a.id >= $2 AND a.id < $3 AND a.started_at >= $4 AND a.started_at < $5`;
      reads.push(
        this.db.query(attemptHistogramRows([bucket('a.started_at')], where), [
          scopeId,
          windowFloor('attempt', new Date(from)),
          windowCeiling('attempt', new Date(until)),
          new Date(from),
          new Date(until),
        ]),
      );
    };
    /** Rollup rows of `table` whose `column` (the hour or the day) is in [from, until). */
    const rolled = (table: string, column: string, from: number, until: number) => {
      if (until <= from) return;
      reads.push(
        this.db.query(
          `SELECT ${bucket('r.' + column)} AS g0, x.kind, x.key, sum(x.n)::int AS n
             FROM ${table} r, ${ROLLUP_LONG_ROWS}
            WHERE ${windowScope(w, 'r')} AND r.${column} >= $2 AND r.${column} < $3
            GROUP BY 1, 2, 3`,
          [scopeId, new Date(from), new Date(until)],
        ),
      );
    };
    if (rollEnd > firstHour) {
      raw(w.since.getTime(), firstHour);
      raw(rollEnd, now.getTime() + 1);
      // A series in whole-day buckets (windows over 15 days) reads its whole days from the daily
      // level: a month is 30 rows a subscription instead of 720. The hours around them stay hourly.
      const [firstDay, lastDay] = [Math.ceil(firstHour / DAY_MS) * DAY_MS, floorDay(rollEnd)];
      if (w.bucketSeconds % (DAY_MS / 1000) === 0 && lastDay > firstDay) {
        rolled('attempt_stats_hourly', 'hour', firstHour, firstDay);
        rolled('attempt_stats_daily', 'day', firstDay, lastDay);
        rolled('attempt_stats_hourly', 'hour', lastDay, rollEnd);
      } else {
        rolled('attempt_stats_hourly', 'hour', firstHour, rollEnd);
      }
    } else {
      raw(w.since.getTime(), now.getTime() + 1);
    }
    const buckets = new Map<number, HistogramBucket>();
    const total = emptyHistogramBucket();
    for (const row of (await Promise.all(reads)).flat()) {
      const start = new Date(row.g0).getTime();
      if (!buckets.has(start)) buckets.set(start, emptyHistogramBucket());
      addLongRow(buckets.get(start)!, row.kind, row.key, Number(row.n));
      addLongRow(total, row.kind, row.key, Number(row.n));
    }
    const toBucket = (b: HistogramBucket, start: Date | null): LatencyBucket => ({
      start,
      attempts: b.attempts,
      succeeded: b.succeeded,
      attemptDurationMs: histogramPercentiles(b.durations),
      firstSuccesses: histogramCount(b.firsts),
      firstSuccessMs: histogramPercentiles(b.firsts),
    });
    return {
      total: toBucket(total, null),
      buckets: [...buckets.entries()]
        .filter(([, b]) => b.attempts > 0 || Object.keys(b.firsts).length > 0)
        .sort((x, y) => x[0] - y[0])
        .map(([start, b]) => toBucket(b, new Date(start))),
      outcomes: Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, total.outcomes[o] ?? 0])),
      percentiles: 'histogram',
    };
  }

  /** The end of the last hour the stats rollup covers (null before its first run). */
  async rolledUntil(): Promise<Date | null> {
    const [row]: { rolled_until: Date }[] = await this.db.query(`SELECT rolled_until FROM stats_rollup WHERE id = 1`);
    return row?.rolled_until ?? null;
  }

  /**
   * One step of the hourly stats rollup: recomputes attempt_stats_hourly for up to a day of
   * complete hours, from where it stopped (the last few hours again, for attempts recorded late)
   * or, the first time, from the retention cutoff; and drops rollup rows past that cutoff. Then
   * the daily level (attempt_stats_daily) of the complete days those hours belong to.
   * Idempotent: an hour or a day is replaced whole, so a repeat writes the same rows.
   */
  async rollupHours(now: Date, retentionCutoff: Date): Promise<RolledUp> {
    const target = floorHour(now.getTime() - ROLLUP_SETTLE_MS);
    const done = (await this.rolledUntil())?.getTime();
    const start = Math.max(floorHour(retentionCutoff.getTime()), done === undefined ? 0 : done - ROLLUP_REDO_HOURS * HOUR_MS);
    const until = Math.min(target, start + ROLLUP_HOURS_PER_CALL * HOUR_MS);
    if (until <= start) return { from: new Date(start), until: new Date(start), rows: 0, more: false };
    const [from, to] = [new Date(start), new Date(until)];
    return this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM attempt_stats_hourly WHERE hour < $1 OR (hour >= $2 AND hour < $3)`, [
        new Date(floorHour(retentionCutoff.getTime())),
        from,
        to,
      ]);
      const where = `a.id >= $1 AND a.id < $2 AND a.started_at >= $3 AND a.started_at < $4`;
      const written: unknown[] = await tx.query(
        `WITH long AS (${attemptHistogramRows(['a.subscription_id', `date_trunc('hour', a.started_at)`], where)})
         INSERT INTO attempt_stats_hourly (subscription_id, hour, attempts, succeeded, outcomes, duration_hist, first_successes, first_success_hist)
         SELECT ${ROLLUP_ROW_SQL} FROM long GROUP BY g0, g1
         RETURNING 1`,
        [windowFloor('attempt', from), windowCeiling('attempt', to), from, to],
      );
      // The daily level: each complete day these hours touched, and the day retention cuts into
      // (its first hours just dropped), again from its hourly rows; days before it dropped. A daily
      // row is always the sum of its day's hourly rows, so reading either answers the same. Its
      // hourly rows are read as two ranges, the cut day and the days this step completed, so the
      // hour index serves both (one range from the cut day on would read every retained hour).
      const cutDay = floorDay(floorHour(retentionCutoff.getTime()));
      const cutDays: [number, number] = cutDay + DAY_MS <= until ? [cutDay, cutDay + DAY_MS] : [cutDay, cutDay];
      const touched: [number, number] = [Math.max(floorDay(start), cutDay + DAY_MS), Math.max(floorDay(until), cutDay + DAY_MS)];
      const complete: Date[] = [];
      for (const [first, end] of [cutDays, touched]) for (let d = first; d < end; d += DAY_MS) complete.push(new Date(d));
      await tx.query(`DELETE FROM attempt_stats_daily WHERE day < $1 OR day = ANY ($2::timestamptz[])`, [new Date(cutDay), complete]);
      if (complete.length > 0) {
        await tx.query(
          `WITH long AS (SELECT r.subscription_id AS g0, ${seriesBucket(`'1 day'::interval`, 'r.hour')} AS g1, x.kind, x.key, sum(x.n)::int AS n
                           FROM attempt_stats_hourly r, ${ROLLUP_LONG_ROWS}
                          WHERE (r.hour >= $1 AND r.hour < $2) OR (r.hour >= $3 AND r.hour < $4)
                          GROUP BY 1, 2, 3, 4)
           INSERT INTO attempt_stats_daily (subscription_id, day, attempts, succeeded, outcomes, duration_hist, first_successes, first_success_hist)
           SELECT ${ROLLUP_ROW_SQL} FROM long GROUP BY g0, g1`,
          [...cutDays, ...touched].map((t) => new Date(t)),
        );
      }
      await tx.query(
        `INSERT INTO stats_rollup (id, rolled_until) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET rolled_until = greatest(stats_rollup.rolled_until, excluded.rolled_until)`,
        [to],
      );
      return { from, until: to, rows: written.length, more: until < target };
    });
  }

  /** A test send's attempt: it belongs to the subscription, to no delivery. */
  async insertTest(row: AttemptRow): Promise<Attempt> {
    const attempt = this.db.getRepository(Attempt).create(row);
    await this.db.getRepository(Attempt).insert(attempt);
    return attempt;
  }

  /** Deletes up to `limit` test-send attempts (they belong to no delivery) started before `cutoff`. */
  async purgeTestsBefore(cutoff: Date, limit: number): Promise<number> {
    const [, deleted]: [unknown[], number] = await this.db.query(
      `DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE delivery_id IS NULL AND started_at < $1 ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, limit],
    );
    return deleted;
  }

  /**
   * Writes the Attempt row and brings the Delivery (and its DeadLetter) up to date, in one
   * transaction. A repeat after a lost commit acknowledgement is a no-op thanks to the unique
   * (delivery_id, number) index. Null when the delivery is gone (deleted with its subscription).
   */
  async recordAttempt(record: DeliveryAttemptRecord, clock: () => Date): Promise<RecordedAttemptRow | null> {
    return (await this.recordAttempts([record], clock))[0];
  }

  /**
   * `recordAttempt` for attempts of different deliveries, in one transaction and a few
   * statements whatever their number (an event's first attempts; see docs/architecture.md,
   * *Flow*): lock the deliveries, insert the attempts, move the deliveries, then the dead letters
   * and each subscription's failing clock. One result per record, in order.
   */
  async recordAttempts(records: readonly DeliveryAttemptRecord[], clock: () => Date): Promise<(RecordedAttemptRow | null)[]> {
    if (records.length === 0) return [];
    if (records.every(isScheduledSuccess)) {
      const recorded = await this.recordScheduledSuccesses(records, clock);
      if (recorded) return recorded;
    }
    return this.recordInTransaction(records, clock);
  }

  /**
   * `recordAttempts` for the common case, scheduled attempts that all succeeded to subscriptions
   * whose failing clock is at rest, in ONE statement instead of a transaction of six (BEGIN, lock,
   * insert, update, health lock, COMMIT; bench/results/2026-12-03-lean-2.md): the deliveries are
   * locked in id order, the attempts inserted, the deliveries moved as the lifecycle allows, all
   * in the statement's own transaction. What the transaction would add has nothing to do here: a
   * success on a healthy subscription changes no failing clock and raises no operational event
   * (recordHealth locks only a failing clock, read the same way), a scheduled attempt finds no
   * dead letter, and `succeeded` leaves no other. When one of the subscriptions' clocks is running
   * the statement changes nothing and says so (undefined): the transaction records them, to
   * reset the clock and say `recovered` with the attempts.
   */
  private async recordScheduledSuccesses(records: readonly DeliveryAttemptRecord[], clock: () => Date): Promise<(RecordedAttemptRow | null)[] | undefined> {
    const a = records.map((r) => r.attempt);
    const [row]: { failing: boolean; locked: string[]; inserted: string[][] }[] = await this.db.query(
      `WITH m AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::text[], $8::int[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[])
           AS m (id, delivery_id, subscription_id, number, url, status_code, response_excerpt, duration_ms, started_at, finished_at, request, error_message)
       ),
       failing AS (
         SELECT 1 FROM subscriptions s
          WHERE s.id IN (SELECT subscription_id FROM m) AND (s.consecutive_failures > 0 OR s.failing_since IS NOT NULL) LIMIT 1
       ),
       locked AS (
         SELECT d.id, d.status, d.attempt_count FROM deliveries d
          WHERE d.id IN (SELECT delivery_id FROM m) AND NOT EXISTS (SELECT 1 FROM failing)
          ORDER BY d.id FOR UPDATE
       ),
       inserted AS (
         INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, error_kind, error_message, response_excerpt, duration_ms, started_at, finished_at, request)
         SELECT m.id, m.delivery_id, m.subscription_id, m.number, 'scheduled', m.url, true, m.status_code, NULL, m.error_message, m.response_excerpt, m.duration_ms,
                m.started_at, m.finished_at, m.request::jsonb
           FROM m JOIN locked l ON l.id = m.delivery_id
         ON CONFLICT (delivery_id, number) WHERE delivery_id IS NOT NULL DO NOTHING
         RETURNING id, delivery_id
       ),
       moved AS (
         UPDATE deliveries d
            SET status = 'succeeded', attempt_count = greatest(l.attempt_count, m.number), next_attempt_at = NULL, last_status_code = m.status_code,
                last_error = NULL, updated_at = $13, completed_at = $13
           FROM m JOIN locked l ON l.id = m.delivery_id
          WHERE d.id = m.delivery_id AND l.status = ANY ($14::text[])
       )
       SELECT EXISTS (SELECT 1 FROM failing) AS failing, array(SELECT id FROM locked) AS locked, array(SELECT ARRAY[delivery_id, id] FROM inserted) AS inserted`,
      [
        a.map((x) => x.id),
        a.map((x) => x.deliveryId),
        a.map((x) => x.subscriptionId),
        a.map((x) => x.number),
        a.map((x) => x.url),
        a.map((x) => x.statusCode),
        a.map((x) => x.responseExcerpt),
        a.map((x) => x.durationMs),
        a.map((x) => x.startedAt),
        a.map((x) => x.finishedAt),
        a.map((x) => (x.request === null ? null : JSON.stringify(x.request))),
        a.map((x) => x.errorMessage),
        clock(),
        [...statusesMovingTo('succeeded')],
      ],
    );
    if (row.failing) return undefined;
    const locked = new Set(row.locked);
    const insertedFor = new Map(row.inserted.map(([deliveryId, id]) => [deliveryId, id]));
    return Promise.all(
      a.map(async (x): Promise<RecordedAttemptRow | null> => {
        if (!locked.has(x.deliveryId)) return null; // deleted with its subscription meanwhile
        const id = insertedFor.get(x.deliveryId);
        if (id !== undefined) return { attemptId: id, inserted: true, operationalEvents: [] };
        // A repeat after a lost commit acknowledgement: the row the first one inserted.
        const [existing]: { id: string }[] = await this.db.query(`SELECT id FROM attempts WHERE delivery_id = $1 AND number = $2`, [x.deliveryId, x.number]);
        return { attemptId: existing.id, inserted: false, operationalEvents: [] };
      }),
    );
  }

  private recordInTransaction(records: readonly DeliveryAttemptRecord[], clock: () => Date): Promise<(RecordedAttemptRow | null)[]> {
    return this.db.transaction(async (tx) => {
      const ids = records.map((r) => r.attempt.deliveryId);
      // In id order, so that two batches over the same rows never wait on each other in a cycle.
      const locked: { id: string; status: DeliveryStatus; attempt_count: number; tenant_id: string; event_type: string }[] = await tx.query(
        `SELECT id, status, attempt_count, tenant_id, event_type FROM deliveries WHERE id = ANY ($1::text[]) ORDER BY id FOR UPDATE`,
        [ids],
      );
      const deliveryOf = new Map(
        locked.map((d) => [d.id, { status: d.status, attemptCount: d.attempt_count, tenantId: d.tenant_id, eventType: d.event_type }]),
      );
      const present = records.filter((r) => deliveryOf.has(r.attempt.deliveryId));
      if (present.length === 0) return records.map(() => null);

      const cols = [
        'id',
        'delivery_id',
        'subscription_id',
        'number',
        'trigger',
        'url',
        'ok',
        'status_code',
        'error_kind',
        'error_message',
        'response_excerpt',
        'duration_ms',
        'started_at',
        'finished_at',
        'request',
      ];
      const values = present.map((_, i) => `(${cols.map((__, j) => `$${i * cols.length + j + 1}`).join(', ')})`);
      const inserted: { id: string; delivery_id: string }[] = await tx.query(
        `INSERT INTO attempts (${cols.join(', ')}) VALUES ${values.join(', ')}
         ON CONFLICT (delivery_id, number) WHERE delivery_id IS NOT NULL DO NOTHING
         RETURNING id, delivery_id`,
        present.flatMap(({ attempt: a }) => [
          a.id,
          a.deliveryId,
          a.subscriptionId,
          a.number,
          a.trigger,
          a.url,
          a.ok,
          a.statusCode,
          a.errorKind,
          a.errorMessage,
          a.responseExcerpt,
          a.durationMs,
          a.startedAt,
          a.finishedAt,
          a.request === null ? null : JSON.stringify(a.request),
        ]),
      );
      const insertedFor = new Map(inserted.map((r) => [r.delivery_id, r.id]));

      const now = clock();
      // Where each delivery goes; the lifecycle says whether it may (the rows are locked: exact).
      const moves = present.map(({ attempt: a, status, nextAttemptAt }) => {
        const delivery = deliveryOf.get(a.deliveryId)!;
        return { id: a.deliveryId, may: mayMove(delivery.status, status), status, attemptCount: Math.max(delivery.attemptCount, a.number), nextAttemptAt, a };
      });
      const moving = moves.filter((m) => m.may);
      if (moving.length > 0) {
        await tx.query(
          `UPDATE deliveries d
              SET status = m.status, attempt_count = m.attempt_count, next_attempt_at = m.next_attempt_at, last_status_code = m.last_status_code,
                  last_error = m.last_error, updated_at = $1, completed_at = CASE WHEN m.status = 'retrying' THEN NULL ELSE $1::timestamptz END
             FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], $7::text[])
                  AS m (id, status, attempt_count, next_attempt_at, last_status_code, last_error)
            WHERE d.id = m.id`,
          [
            now,
            moving.map((m) => m.id),
            moving.map((m) => m.status),
            moving.map((m) => m.attemptCount),
            moving.map((m) => m.nextAttemptAt),
            moving.map((m) => m.a.statusCode),
            moving.map((m) => (m.a.ok ? null : m.a.errorMessage)),
          ],
        );
      }

      // A repeat after a lost commit acknowledgement changed nothing the first time did not.
      const fresh = moves.filter((m) => insertedFor.has(m.id));
      const deadLetters = new DeadLetterRepository(tx);
      // Only a manual attempt can find a dead letter: one exists only once its delivery is final,
      // and only an operator's retry makes attempts after that.
      const succeeded = fresh.filter((m) => m.status === 'succeeded' && m.a.trigger !== 'scheduled').map((m) => m.id);
      if (succeeded.length > 0) await deadLetters.deleteForDeliveries(succeeded);

      const operational = new Map<string, OperationalEvent[]>();
      for (const m of fresh.filter((f) => f.status === 'dead_lettered')) {
        const record = present.find((r) => r.attempt.deliveryId === m.id)!;
        const delivery = deliveryOf.get(m.id)!;
        const { a } = m;
        const [event, subscription] = await Promise.all([
          tx.getRepository(Event).findOneByOrFail({ id: record.eventId }),
          tx.getRepository(Subscription).findOneByOrFail({ id: a.subscriptionId }),
        ]);
        await deadLetters.upsert(
          {
            deliveryId: a.deliveryId,
            subscriptionId: a.subscriptionId,
            tenantId: delivery.tenantId,
            eventId: record.eventId,
            eventType: delivery.eventType,
            reason: a.errorMessage ?? `HTTP ${a.statusCode}`,
            lastStatusCode: a.statusCode,
            attemptCount: m.attemptCount,
            payload: record.deadLetterPayload(event, subscription),
          },
          now,
        );
        const told = deadLetteredEvent({
          deliveryId: a.deliveryId,
          subscriptionId: a.subscriptionId,
          tenantId: delivery.tenantId,
          eventId: record.eventId,
          eventType: delivery.eventType,
          attempts: m.attemptCount,
          lastError: a.errorMessage ?? (a.statusCode === null ? null : `HTTP ${a.statusCode}`),
        });
        if (told) operational.set(m.id, [told]);
      }

      const freshRecords = present.filter((r) => insertedFor.has(r.attempt.deliveryId));
      for (const [deliveryId, events] of await this.recordHealth(tx, freshRecords, now)) {
        operational.set(deliveryId, [...(operational.get(deliveryId) ?? []), ...events]);
      }
      const all = [...operational.values()].flat();
      if (all.length > 0) {
        await new EventRepository(tx).insertOperational(
          all.map((e) => ({ ...e, tenantId: e.data.tenantId })),
          now,
        );
      }

      const existing = new Map<string, string>();
      for (const r of present.filter((p) => !insertedFor.has(p.attempt.deliveryId))) {
        const [row]: { id: string }[] = await tx.query(`SELECT id FROM attempts WHERE delivery_id = $1 AND number = $2`, [
          r.attempt.deliveryId,
          r.attempt.number,
        ]);
        existing.set(r.attempt.deliveryId, row.id);
      }
      return records.map(({ attempt: a }): RecordedAttemptRow | null => {
        if (!deliveryOf.has(a.deliveryId)) return null;
        const id = insertedFor.get(a.deliveryId);
        if (id === undefined) return { attemptId: existing.get(a.deliveryId)!, inserted: false, operationalEvents: [] };
        return { attemptId: id, inserted: true, operationalEvents: (operational.get(a.deliveryId) ?? []).map((e) => e.type) };
      });
    });
  }

  /**
   * Moves the failing clock of each subscription these attempts went to, in one lock statement
   * (subscriptions in id order; a success on a healthy subscription locks nothing) and one write
   * per subscription whose clock changed; disables one when the rule says so. The events that
   * reports, by delivery.
   */
  private async recordHealth(tx: EntityManager, records: readonly DeliveryAttemptRecord[], now: Date): Promise<Map<string, OperationalEvent[]>> {
    const reported = new Map<string, OperationalEvent[]>();
    if (records.length === 0) return reported;
    const subscriptions = new SubscriptionRepository(tx);
    const failed = records.filter((r) => !r.attempt.ok).map((r) => r.attempt.subscriptionId);
    const current = await subscriptions.lockHealth(
      records.map((r) => r.attempt.subscriptionId),
      failed,
    );
    const changed = new Map<string, { health: SubscriptionHealth; disabledReason: string | null }>();
    for (const record of records) {
      const { attempt: a } = record;
      const before = current.get(a.subscriptionId);
      if (!before) continue;
      const verdict = assessAttempt(
        before,
        { ok: a.ok, statusCode: a.statusCode, at: record.health.at, firstOfDelivery: a.number === 1 },
        { autoDisableAfterMs: record.health.autoDisableAfterMs },
      );
      if (!verdict.changed) continue;
      const disabledReason = verdict.disable?.reason ?? changed.get(a.subscriptionId)?.disabledReason ?? null;
      changed.set(a.subscriptionId, { health: verdict.health, disabledReason });
      // The next attempt of the same subscription in this batch sees this one's clock.
      current.set(a.subscriptionId, { ...before, ...verdict.health, enabled: before.enabled && !verdict.disable });

      const about = { subscriptionId: a.subscriptionId, tenantId: before.tenantId };
      const events: OperationalEvent[] = [];
      if (verdict.became === 'failing') {
        events.push({
          type: OPS.subscriptionFailing,
          data: {
            ...about,
            failingSince: verdict.health.failingSince!.toISOString(),
            consecutiveFailures: verdict.health.consecutiveFailures,
            lastError: a.errorMessage,
          },
        });
      }
      if (verdict.became === 'recovered') {
        events.push({
          type: OPS.subscriptionRecovered,
          data: { ...about, failingSince: (before.failingSince ?? record.health.at).toISOString(), consecutiveFailures: before.consecutiveFailures },
        });
      }
      if (verdict.disable) {
        events.push({
          type: OPS.subscriptionDisabled,
          data: { ...about, reason: verdict.disable.reason, failingSince: verdict.disable.failingSince.toISOString() },
        });
      }
      if (events.length > 0) reported.set(a.deliveryId, events);
    }
    for (const [id, { health, disabledReason }] of changed) await subscriptions.setHealth(id, health, disabledReason, now);
    return reported;
  }
}

/** An attempt `recordScheduledSuccesses` records: on the schedule, answered with success. */
function isScheduledSuccess(r: DeliveryAttemptRecord): boolean {
  return r.attempt.ok && r.status === 'succeeded' && r.attempt.trigger === 'scheduled' && r.attempt.errorKind === null;
}
