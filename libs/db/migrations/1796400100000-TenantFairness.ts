import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: fair under bursts. A tenant's `weight` (1–100) is its share under contention, at the
 * dispatcher and as the fairness weight of its workflows on Temporal's task queue. The outbox
 * claim takes each backlogged tenant's oldest unstarted events in turn; this index lets it list
 * the backlogged tenants and each one's head by a skip scan (one probe per tenant), so a claim
 * stays cheap however long one tenant's backlog is. It replaces the index by age alone, which
 * nothing reads any more (one index to keep up per accepted event, as before).
 */
export class TenantFairness1796400100000 implements MigrationInterface {
  name = 'TenantFairness1796400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100)`);
    await q.query(`CREATE INDEX events_unstarted_tenant_idx ON events (tenant_id, received_at) WHERE workflow_started_at IS NULL`);
    await q.query(`DROP INDEX events_unstarted_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX events_unstarted_idx ON events (received_at) WHERE workflow_started_at IS NULL`);
    await q.query(`DROP INDEX events_unstarted_tenant_idx`);
    await q.query(`ALTER TABLE tenants DROP COLUMN weight`);
  }
}
