import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 24 item 5: each Attempt keeps what it sent (headers with values masked, the body's
 * SHA-256 and size, the signing key ids), so the delivery page shows that attempt's request
 * rather than one rebuilt from today's settings. Rows from before have none (null).
 * The latency figures of item 4 need no new index: they read a subscription's attempts through
 * attempts_subscription_idx (subscription_id, id) from the window's first id (docs/architecture.md, *Latency figures*).
 */
export class AttemptRequest1796400600000 implements MigrationInterface {
  name = 'AttemptRequest1796400600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts ADD COLUMN request jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts DROP COLUMN request`);
  }
}
