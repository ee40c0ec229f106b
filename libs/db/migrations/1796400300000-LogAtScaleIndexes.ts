import type { MigrationInterface, QueryRunner } from 'typeorm';

interface LogIndex {
  name: string;
  on: string;
  /** An index of the same name this one replaces (its definition, for down). */
  replaces?: string;
}

/**
 * What the delivery log at 5 M rows needed (bench/results/2026-12-02-log-at-scale.md):
 * - a tenant's deliveries of one event type: read through the tenant's whole log for a rare type;
 * - tenant stats and a subscription page's successRate24h count a window's deliveries by status:
 *   with status and created_at in the (tenant, id) and (subscription, id) indexes they are
 *   index-only scans instead of one heap fetch per delivery;
 * - tenant stats' attempt count and duration percentiles: the same for (subscription, id) on attempts.
 * And one statistics object (DEPENDENCIES_STATS): a subscription belongs to one tenant, so
 * `tenant_id = … AND subscription_id = …` selects as many rows as the subscription alone. Without
 * it the planner multiplied the two selectivities, expected a few hundred rows, and for a
 * mid-sized tenant read all 21,000 of the subscription's deliveries (bitmap AND, then a sort:
 * 0.9 s) instead of the newest 51 from the (subscription, id) index.
 */
const INDEXES: LogIndex[] = [
  { name: 'deliveries_tenant_event_type_idx', on: 'deliveries (tenant_id, event_type, id DESC)' },
  { name: 'deliveries_tenant_idx', on: 'deliveries (tenant_id, id DESC) INCLUDE (status, created_at)', replaces: 'deliveries (tenant_id, id DESC)' },
  {
    name: 'deliveries_subscription_idx',
    on: 'deliveries (subscription_id, id DESC) INCLUDE (status, created_at)',
    replaces: 'deliveries (subscription_id, id DESC)',
  },
  {
    name: 'attempts_subscription_idx',
    on: 'attempts (subscription_id, id DESC) INCLUDE (started_at, duration_ms)',
    replaces: 'attempts (subscription_id, id DESC)',
  },
];

const DEPENDENCIES_STATS = 'deliveries_subscription_tenant_stats';

async function found(q: QueryRunner, name: string): Promise<{ valid: boolean; def: string } | undefined> {
  const [row]: { valid: boolean; def: string }[] = await q.query(
    `SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
    [name],
  );
  return row;
}

/**
 * Indexes for the delivery log at millions of rows. Every one is built with CREATE INDEX
 * CONCURRENTLY, which takes no lock that blocks writes (a live platform keeps ingesting and
 * delivering; on 5 M deliveries each build took about a minute on a loaded 2-core machine); it
 * cannot run inside a transaction, hence `transaction = false` (run migrations per transaction:
 * `npm run migrate`, the dev stack and the tests do). An index replaced by a covering one keeps
 * its name: the new one is built beside it as `<name>_next`, the old one dropped CONCURRENTLY,
 * the new one renamed. A run that died half-way is resumed: an invalid leftover is dropped and
 * built again, a finished one is kept.
 */
export class LogAtScaleIndexes1796400300000 implements MigrationInterface {
  name = 'LogAtScaleIndexes1796400300000';
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    for (const ix of INDEXES) {
      const current = await found(q, ix.name);
      if (current?.valid && (!ix.replaces || current.def.includes(' INCLUDE ('))) continue;
      const building = ix.replaces ? `${ix.name}_next` : ix.name;
      const partial = await found(q, building);
      if (!partial?.valid) {
        if (partial) await q.query(`DROP INDEX CONCURRENTLY ${building}`);
        await q.query(`CREATE INDEX CONCURRENTLY ${building} ON ${ix.on}`);
      }
      if (ix.replaces) {
        await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${ix.name}`);
        await q.query(`ALTER INDEX ${building} RENAME TO ${ix.name}`);
      }
    }
    await q.query(`CREATE STATISTICS IF NOT EXISTS ${DEPENDENCIES_STATS} (dependencies) ON subscription_id, tenant_id FROM deliveries`);
    // Gathered now rather than at autovacuum's next analyze; a sample, so seconds at 5 M rows, and it blocks no reads or writes.
    await q.query(`ANALYZE deliveries`);
  }

  /**
   * Inside the revert's transaction: new indexes are dropped, replaced ones rebuilt as they were
   * with a plain CREATE INDEX, which blocks writes to the table while it builds (a minute or so
   * at 5 M rows): revert in a quiet moment.
   */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP STATISTICS IF EXISTS ${DEPENDENCIES_STATS}`);
    for (const ix of [...INDEXES].reverse()) {
      await q.query(`DROP INDEX IF EXISTS ${ix.name}`);
      if (ix.replaces) await q.query(`CREATE INDEX ${ix.name} ON ${ix.replaces}`);
    }
  }
}

/** The indexes this migration builds (some replacing an index of the same name). */
export const LOG_AT_SCALE_INDEXES = INDEXES.map((ix) => ix.name);
/** Those of them it adds (down drops them; the others it puts back as they were). */
export const LOG_AT_SCALE_NEW_INDEXES = INDEXES.filter((ix) => !ix.replaces).map((ix) => ix.name);

/** The extended statistics it creates. */
export const LOG_AT_SCALE_STATISTICS = DEPENDENCIES_STATS;

/** The migrations the bench's log-at-scale section measures before and after. */
export const LOG_AT_SCALE_MIGRATIONS: (new () => MigrationInterface)[] = [LogAtScaleIndexes1796400300000];
