import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 23, ordered delivery (docs/architecture.md, *Ordered delivery*).
 * - subscriptions.ordering: `none` (every delivery on its own) or `fifo` (one stream per key).
 * - events.ordering_key, and accept_seq drawn from a sequence by the accepting INSERT: an event
 *   whose 202 came before another was sent has the lower number (its transaction committed
 *   before the other's began). Rows from before stay NULL: they precede nothing.
 * - events.matched_at: the event's deliveries exist. Unmatched events of a stream's tenant and
 *   key with a lower accept_seq are fanned out first (partial index: only the unmatched).
 * - deliveries.ordering_key, sequence (1, 2, 3 … per subscription and key, assigned in acceptance
 *   order), turn_at (when it became its stream's head), released_at (it ended: the next may go).
 * - ordering_streams: each stream's last sequence, the row its next number is drawn under.
 */
export class OrderedDelivery1796400400000 implements MigrationInterface {
  name = 'OrderedDelivery1796400400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE subscriptions ADD COLUMN ordering text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'))`);
    await q.query(`CREATE SEQUENCE events_accept_seq AS bigint`);
    await q.query(`ALTER TABLE events ADD COLUMN ordering_key text, ADD COLUMN accept_seq bigint, ADD COLUMN matched_at timestamptz`);
    // Set after the column exists, so rows from before keep NULL instead of a number each.
    await q.query(`ALTER TABLE events ALTER COLUMN accept_seq SET DEFAULT nextval('events_accept_seq')`);
    await q.query(`ALTER SEQUENCE events_accept_seq OWNED BY events.accept_seq`);
    await q.query(
      `CREATE INDEX events_unmatched_by_stream ON events (tenant_id, (coalesce(ordering_key, '')), accept_seq) WHERE matched_at IS NULL AND accept_seq IS NOT NULL`,
    );
    await q.query(
      `ALTER TABLE deliveries ADD COLUMN ordering_key text, ADD COLUMN sequence bigint, ADD COLUMN turn_at timestamptz, ADD COLUMN released_at timestamptz`,
    );
    // The stream's deliveries still to end, by sequence: the head is the first.
    await q.query(
      `CREATE INDEX deliveries_unreleased_by_stream ON deliveries (subscription_id, ordering_key, sequence) WHERE sequence IS NOT NULL AND released_at IS NULL`,
    );
    await q.query(`CREATE UNIQUE INDEX deliveries_stream_sequence ON deliveries (subscription_id, ordering_key, sequence) WHERE sequence IS NOT NULL`);
    await q.query(
      `CREATE TABLE ordering_streams (
         subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
         ordering_key text NOT NULL,
         last_sequence bigint NOT NULL,
         PRIMARY KEY (subscription_id, ordering_key))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ordering_streams`);
    await q.query(`DROP INDEX deliveries_stream_sequence`);
    await q.query(`DROP INDEX deliveries_unreleased_by_stream`);
    await q.query(`ALTER TABLE deliveries DROP COLUMN ordering_key, DROP COLUMN sequence, DROP COLUMN turn_at, DROP COLUMN released_at`);
    await q.query(`DROP INDEX events_unmatched_by_stream`);
    await q.query(`ALTER TABLE events DROP COLUMN ordering_key, DROP COLUMN accept_seq, DROP COLUMN matched_at`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN ordering`);
  }
}
