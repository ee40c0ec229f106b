import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema of docs/architecture.md, "Domain words". Lists paginate by id (ULIDs sort
 * by creation), so every log filter has an index ending in id.
 */
export class InitialSchema1763856000000 implements MigrationInterface {
  name = 'InitialSchema1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subscriptions (
        id text PRIMARY KEY,
        url text NOT NULL,
        event_types text[] NOT NULL,
        template_ids text[] NOT NULL DEFAULT '{}',
        description text,
        secret_ciphertext text NOT NULL,
        previous_secret_ciphertext text,
        previous_secret_expires_at timestamptz,
        headers jsonb NOT NULL DEFAULT '{}',
        user_defined jsonb NOT NULL DEFAULT '{}',
        payload_format text NOT NULL DEFAULT 'flat' CHECK (payload_format IN ('flat', 'envelope')),
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX subscriptions_enabled_idx ON subscriptions (enabled, id)`);
    await q.query(`CREATE INDEX subscriptions_event_types_idx ON subscriptions USING gin (event_types)`);

    await q.query(`
      CREATE TABLE events (
        id text PRIMARY KEY,
        type text NOT NULL,
        template_id text,
        data jsonb NOT NULL,
        trace_id text,
        idempotency_key text UNIQUE,
        received_at timestamptz NOT NULL DEFAULT now(),
        workflow_started_at timestamptz
      )`);
    await q.query(`CREATE INDEX events_unstarted_idx ON events (received_at) WHERE workflow_started_at IS NULL`);

    await q.query(`
      CREATE TABLE deliveries (
        id text PRIMARY KEY,
        event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        event_type text NOT NULL,
        template_id text,
        status text NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'retrying', 'dead_lettered', 'cancelled')),
        attempt_count integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        workflow_id text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        UNIQUE (event_id, subscription_id)
      )`);
    await q.query(`CREATE INDEX deliveries_subscription_idx ON deliveries (subscription_id, id DESC)`);
    await q.query(`CREATE INDEX deliveries_status_idx ON deliveries (status, id DESC)`);
    await q.query(`CREATE INDEX deliveries_event_type_idx ON deliveries (event_type, id DESC)`);
    await q.query(`CREATE INDEX deliveries_created_at_idx ON deliveries (created_at)`);

    await q.query(`
      CREATE TABLE attempts (
        id text PRIMARY KEY,
        delivery_id text REFERENCES deliveries (id) ON DELETE CASCADE,
        subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        number integer NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('scheduled', 'manual', 'test')),
        url text NOT NULL,
        ok boolean NOT NULL,
        status_code integer,
        error_kind text,
        error_message text,
        response_excerpt text,
        duration_ms integer NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL
      )`);
    // Recording is retried until it succeeds; this makes a repeated record a no-op.
    await q.query(`CREATE UNIQUE INDEX attempts_delivery_number_idx ON attempts (delivery_id, number) WHERE delivery_id IS NOT NULL`);
    await q.query(`CREATE INDEX attempts_subscription_idx ON attempts (subscription_id, id DESC)`);

    await q.query(`
      CREATE TABLE dead_letters (
        id text PRIMARY KEY,
        delivery_id text NOT NULL UNIQUE REFERENCES deliveries (id) ON DELETE CASCADE,
        subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        event_type text NOT NULL,
        reason text NOT NULL,
        last_status_code integer,
        attempt_count integer NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX dead_letters_subscription_idx ON dead_letters (subscription_id, id DESC)`);
    await q.query(`CREATE INDEX dead_letters_created_at_idx ON dead_letters (created_at)`);
    await q.query(`CREATE INDEX dead_letters_expires_at_idx ON dead_letters (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dead_letters`);
    await q.query(`DROP TABLE attempts`);
    await q.query(`DROP TABLE deliveries`);
    await q.query(`DROP TABLE events`);
    await q.query(`DROP TABLE subscriptions`);
  }
}
