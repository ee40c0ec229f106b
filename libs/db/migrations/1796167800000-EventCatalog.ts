import type { MigrationInterface, QueryRunner } from 'typeorm';
import { IMAGE_CREATED } from '../../domain/builtin-event-types';

/**
 * Issue 15: the event-type catalog (seeded with the built-in `image.created`), payload filters on
 * subscriptions, the producer's W3C `traceparent` on events, and the indexes the retention purge
 * walks in bounded batches.
 */
export class EventCatalog1796167800000 implements MigrationInterface {
  name = 'EventCatalog1796167800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_types (
        name text PRIMARY KEY,
        description text NOT NULL,
        schema jsonb NOT NULL,
        example jsonb NOT NULL,
        "group" text,
        archived_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX event_types_group_idx ON event_types ("group", name)`);
    await q.query(`INSERT INTO event_types (name, description, schema, example, "group") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`, [
      IMAGE_CREATED.name,
      IMAGE_CREATED.description,
      JSON.stringify(IMAGE_CREATED.schema),
      JSON.stringify(IMAGE_CREATED.example),
      IMAGE_CREATED.group,
    ]);

    await q.query(`ALTER TABLE subscriptions ADD COLUMN filter jsonb`);
    await q.query(`ALTER TABLE events ADD COLUMN traceparent text`);

    // The retention purge: oldest first, a thousand rows a statement. "Has the event a delivery
    // left" is served by the (event_id, subscription_id) unique index already.
    await q.query(`CREATE INDEX events_received_at_idx ON events (received_at)`);
    await q.query(`CREATE INDEX attempts_test_started_at_idx ON attempts (started_at) WHERE delivery_id IS NULL`);
    await q.query(`CREATE INDEX dead_letters_event_idx ON dead_letters (event_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX dead_letters_event_idx`);
    await q.query(`DROP INDEX attempts_test_started_at_idx`);
    await q.query(`DROP INDEX events_received_at_idx`);
    await q.query(`ALTER TABLE events DROP COLUMN traceparent`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN filter`);
    await q.query(`DROP TABLE event_types`);
  }
}
