import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: fair under bursts. A tenant's `weight` (1–100) is its share under contention, at the
 * dispatcher and as the fairness weight of its workflows on Temporal's task queue. The outbox
 * claim takes each backlogged tenant's oldest unstarted events in turn; this index lets it list
 * the backlogged tenants and each one's head by a skip scan (one probe per tenant), so a claim
 * stays cheap however long one tenant's backlog is. It replaces the index by age alone, which
 * nothing reads any more (one index to keep up per accepted event, as before).
 *
 * `matched` tells an event whose workflow has run its matching from one still waiting for a
 * worker (started on Temporal, its task queued): the backlog per tenant (GET
 * /v1/tenants/:id/stats, the console's tenant list, the backlog gauges). Existing rows take
 * `true` without a table rewrite (a constant default is metadata only); new rows `false`.
 */
export class TenantFairness1796400100000 implements MigrationInterface {
  name = 'TenantFairness1796400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100)`);
    await q.query(`CREATE INDEX events_unstarted_tenant_idx ON events (tenant_id, received_at) WHERE workflow_started_at IS NULL`);
    await q.query(`DROP INDEX events_unstarted_idx`);
    await q.query(`ALTER TABLE events ADD COLUMN matched boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE events ALTER COLUMN matched SET DEFAULT false`);
    await q.query(`CREATE INDEX events_unmatched_tenant_idx ON events (tenant_id) WHERE NOT matched`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_unmatched_tenant_idx`);
    await q.query(`ALTER TABLE events DROP COLUMN matched`);
    await q.query(`CREATE INDEX events_unstarted_idx ON events (received_at) WHERE workflow_started_at IS NULL`);
    await q.query(`DROP INDEX events_unstarted_tenant_idx`);
    await q.query(`ALTER TABLE tenants DROP COLUMN weight`);
  }
}
