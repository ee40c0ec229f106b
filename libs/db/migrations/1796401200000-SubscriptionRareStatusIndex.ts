import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The statuses a subscription holds few of: the ones an operator filters its deliveries by to find trouble. */
export const RARE_DELIVERY_STATUSES = ['retrying', 'dead_lettered', 'cancelled'] as const;

const NAME = 'deliveries_subscription_rare_status_idx';

/**
 * A subscription's deliveries in a status it holds few of, newest first (the console's "this
 * endpoint's dead letters"; bench/results/2026-12-03-log-at-scale.md). Without it the planner
 * bitmap-ANDed the tenant-status and subscription indexes over ~45,000 entries (954 buffers) to
 * find 51 rows. Partial, so a delivery costs it an index entry only while it is retrying or once
 * it is dead-lettered or cancelled (about 6 % of deliveries): the 94 % that go pending →
 * succeeded never touch it (Postgres inserts no entry for a row outside the predicate).
 * `paused` has its own partial index (PauseAndThrottle).
 *
 * Built CONCURRENTLY (no lock that blocks writes; about half a minute on 5 M deliveries), so
 * outside a transaction; a run that died half-way leaves an invalid index, dropped and built again.
 */
export class SubscriptionRareStatusIndex1796401200000 implements MigrationInterface {
  name = 'SubscriptionRareStatusIndex1796401200000';
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    const [row]: { valid: boolean }[] = await q.query(
      `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
      [NAME],
    );
    if (row?.valid) return;
    if (row) await q.query(`DROP INDEX CONCURRENTLY ${NAME}`);
    const statuses = RARE_DELIVERY_STATUSES.map((s) => `'${s}'`).join(', ');
    await q.query(`CREATE INDEX CONCURRENTLY ${NAME} ON deliveries (subscription_id, status, id DESC) WHERE status IN (${statuses})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ${NAME}`);
  }
}

export const SUBSCRIPTION_RARE_STATUS_INDEX = NAME;
