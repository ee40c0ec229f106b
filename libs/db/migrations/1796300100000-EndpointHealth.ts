import type { MigrationInterface, QueryRunner } from 'typeorm';
import { OPERATIONAL_EVENT_DEFINITIONS } from '../../domain/builtin-event-types';

/**
 * Issue 17 (auto-disable, 410 Gone, operational events): a subscription's failing clock and why
 * Herald disabled it, and the `herald.*` operational event types in the catalog.
 */
export class EndpointHealth1796300100000 implements MigrationInterface {
  name = 'EndpointHealth1796300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE subscriptions ADD COLUMN disabled_reason text`);
    await q.query(`ALTER TABLE subscriptions ADD COLUMN failing_since timestamptz`);
    await q.query(`ALTER TABLE subscriptions ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE subscriptions ADD COLUMN failed_deliveries integer NOT NULL DEFAULT 0`);
    for (const t of OPERATIONAL_EVENT_DEFINITIONS) {
      await q.query(`INSERT INTO event_types (name, description, schema, example, "group") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`, [
        t.name,
        t.description,
        JSON.stringify(t.schema),
        JSON.stringify(t.example),
        t.group,
      ]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM event_types WHERE name = ANY ($1)`, [OPERATIONAL_EVENT_DEFINITIONS.map((t) => t.name)]);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN failed_deliveries`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN consecutive_failures`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN failing_since`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN disabled_reason`);
  }
}
