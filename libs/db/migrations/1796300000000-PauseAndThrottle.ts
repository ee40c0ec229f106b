import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17 items 1–2: a subscription can be paused (its deliveries wait in status `paused`) and
 * throttled (`rate_limit_per_second`; the next free send slot of each throttled subscription
 * lives in `subscription_send_slots`, shared by every worker replica).
 */
export class PauseAndThrottle1796300000000 implements MigrationInterface {
  name = 'PauseAndThrottle1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE subscriptions ADD COLUMN paused_at timestamptz`);
    await q.query(`ALTER TABLE subscriptions ADD COLUMN rate_limit_per_second integer CHECK (rate_limit_per_second BETWEEN 1 AND 10000)`);
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check`);
    await q.query(
      `ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
         CHECK (status IN ('pending', 'delivering', 'succeeded', 'retrying', 'paused', 'dead_lettered', 'cancelled'))`,
    );
    // Resume finds a subscription's waiting deliveries, oldest first.
    await q.query(`CREATE INDEX deliveries_paused_idx ON deliveries (subscription_id, id) WHERE status = 'paused'`);
    await q.query(`
      CREATE TABLE subscription_send_slots (
        subscription_id text PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
        next_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE subscription_send_slots`);
    await q.query(`DROP INDEX deliveries_paused_idx`);
    await q.query(`UPDATE deliveries SET status = 'retrying' WHERE status = 'paused'`);
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check`);
    await q.query(
      `ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'delivering', 'succeeded', 'retrying', 'dead_lettered', 'cancelled'))`,
    );
    await q.query(`ALTER TABLE subscriptions DROP COLUMN rate_limit_per_second`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN paused_at`);
  }
}
