import type { MigrationInterface, QueryRunner } from 'typeorm';

/** [name, table and columns]: each built CONCURRENTLY. */
const INDEXES: [string, string][] = [['deliveries_tenant_event_type_idx', 'deliveries (tenant_id, event_type, id DESC)']];

/**
 * Indexes the delivery log needs once it holds millions of rows (bench: the log at scale,
 * bench/results/2026-12-02-log-at-scale.md). Built with CREATE INDEX CONCURRENTLY, which takes
 * no lock that blocks writes, so a live platform keeps ingesting and delivering while it runs;
 * CONCURRENTLY cannot run inside a transaction, hence `transaction = false`. A build that fails
 * half-way leaves an invalid index: the next run drops it and builds it again.
 */
export class LogAtScaleIndexes1796400300000 implements MigrationInterface {
  name = 'LogAtScaleIndexes1796400300000';
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    for (const [name, on] of INDEXES) {
      const [found]: { valid: boolean }[] = await q.query(`SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`, [
        name,
      ]);
      if (found?.valid) continue;
      if (found) await q.query(`DROP INDEX CONCURRENTLY ${name}`);
      await q.query(`CREATE INDEX CONCURRENTLY ${name} ON ${on}`);
    }
  }

  /** A plain DROP INDEX (a brief exclusive lock, no rebuild): a revert runs in a transaction (`npm run migrate -- --revert`). */
  async down(q: QueryRunner): Promise<void> {
    for (const [name] of [...INDEXES].reverse()) await q.query(`DROP INDEX IF EXISTS ${name}`);
  }
}

/** The indexes this migration builds. */
export const LOG_AT_SCALE_INDEXES = INDEXES.map(([name]) => name);

/** The migrations the bench's log-at-scale section measures before and after. */
export const LOG_AT_SCALE_MIGRATIONS: (new () => MigrationInterface)[] = [LogAtScaleIndexes1796400300000];
