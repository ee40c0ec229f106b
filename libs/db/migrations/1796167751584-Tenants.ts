import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants: the `tenants` table with the built-in `default`, and `tenant_id` on subscriptions,
 * events, deliveries and dead letters. Existing rows belong to `default`. Subscriptions and
 * events keep `default` as the column default (an omitted tenant means it); deliveries and dead
 * letters always copy theirs from the event and subscription, so they get none.
 */
export class Tenants1796167751584 implements MigrationInterface {
  name = 'Tenants1796167751584';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
        name text NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO tenants (id, name) VALUES ('default', 'Default')`);

    // Deleting a tenant takes its subscriptions, and through them their logs and dead letters.
    await q.query(`ALTER TABLE subscriptions ADD COLUMN tenant_id text NOT NULL DEFAULT 'default' REFERENCES tenants (id) ON DELETE CASCADE`);
    await q.query(`CREATE INDEX subscriptions_tenant_idx ON subscriptions (tenant_id, id)`);

    // An event's tenant need not exist as a row: such an event is accepted and reaches no one.
    await q.query(`ALTER TABLE events ADD COLUMN tenant_id text NOT NULL DEFAULT 'default' CHECK (tenant_id ~ '^[A-Za-z0-9._:-]{1,64}$')`);

    await q.query(`ALTER TABLE deliveries ADD COLUMN tenant_id text NOT NULL DEFAULT 'default'`);
    await q.query(`ALTER TABLE deliveries ALTER COLUMN tenant_id DROP DEFAULT`);
    await q.query(`CREATE INDEX deliveries_tenant_idx ON deliveries (tenant_id, id DESC)`);
    await q.query(`CREATE INDEX deliveries_tenant_status_idx ON deliveries (tenant_id, status, id DESC)`);

    await q.query(`ALTER TABLE dead_letters ADD COLUMN tenant_id text NOT NULL DEFAULT 'default'`);
    await q.query(`ALTER TABLE dead_letters ALTER COLUMN tenant_id DROP DEFAULT`);
    await q.query(`CREATE INDEX dead_letters_tenant_idx ON dead_letters (tenant_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dead_letters DROP COLUMN tenant_id`);
    await q.query(`ALTER TABLE deliveries DROP COLUMN tenant_id`);
    await q.query(`ALTER TABLE events DROP COLUMN tenant_id`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN tenant_id`);
    await q.query(`DROP TABLE tenants`);
  }
}
