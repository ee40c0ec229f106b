import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { createTestDatabase, type TestDatabase } from '../support/database';

const TABLES = ['attempts', 'dead_letters', 'deliveries', 'event_types', 'events', 'subscriptions'];

async function tables(db: TestDatabase): Promise<string[]> {
  const rows: { table_name: string }[] = await db.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'herald_migrations' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe('schema migration', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  after(async () => {
    await db?.drop();
  });

  it('creates the whole schema on an empty database', async () => {
    assert.deepEqual(await tables(db), []);
    const applied = await db.dataSource.runMigrations();
    assert.deepEqual(applied.map((m) => m.name), ['InitialSchema1763856000000', 'EventCatalog1796167800000']);
    assert.deepEqual(await tables(db), TABLES);
    const indexes: { indexname: string }[] = await db.dataSource.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`);
    const names = indexes.map((i) => i.indexname);
    for (const idx of ['deliveries_subscription_idx', 'deliveries_status_idx', 'deliveries_event_type_idx', 'deliveries_created_at_idx', 'attempts_delivery_number_idx', 'dead_letters_expires_at_idx',
      'events_received_at_idx', 'attempts_test_started_at_idx', 'dead_letters_event_idx']) {
      assert.ok(names.includes(idx), `index ${idx}`);
    }
    assert.deepEqual(await db.dataSource.runMigrations(), [], 'a second run applies nothing');
  });

  it('seeds the built-in image.created with its documented schema and example', async () => {
    const [row]: { name: string; version: number; archived_at: Date | null; schema: { required: string[] }; example: Record<string, unknown> }[] = await db.dataSource.query(`SELECT * FROM event_types`);
    assert.equal(row.name, 'image.created');
    assert.equal(row.version, 1);
    assert.equal(row.archived_at, null);
    assert.deepEqual(row.schema.required, ['image_url', 'image_url_jpg', 'metadata', 'modifications', 'status']);
    assert.deepEqual(row.example, { ...SAMPLE_IMAGE_CREATED });
  });

  it('cascades deletes from a subscription to its deliveries, attempts and dead letters', async () => {
    const q = (sql: string, p: unknown[] = []): Promise<unknown> => db.dataSource.query(sql, p);
    await q(`INSERT INTO subscriptions (id, url, event_types, secret_ciphertext) VALUES ('sub_1', 'https://x.test', '{image.created}', 'v1.x')`);
    await q(`INSERT INTO events (id, type, data) VALUES ('evt_1', 'image.created', '{}')`);
    await q(`INSERT INTO deliveries (id, event_id, subscription_id, event_type, status, workflow_id) VALUES ('dlv_1', 'evt_1', 'sub_1', 'image.created', 'dead_lettered', 'delivery:evt_1:sub_1')`);
    await q(`INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, duration_ms, started_at, finished_at) VALUES ('atm_1', 'dlv_1', 'sub_1', 1, 'scheduled', 'https://x.test', false, 5, now(), now())`);
    await q(`INSERT INTO dead_letters (id, delivery_id, subscription_id, event_id, event_type, reason, attempt_count, payload, expires_at) VALUES ('dlq_1', 'dlv_1', 'sub_1', 'evt_1', 'image.created', 'HTTP 500', 6, '{}', now())`);
    await assert.rejects(q(`INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, duration_ms, started_at, finished_at) VALUES ('atm_2', 'dlv_1', 'sub_1', 1, 'scheduled', 'https://x.test', false, 5, now(), now())`), /duplicate key/, 'one attempt row per number');
    await q(`DELETE FROM subscriptions WHERE id = 'sub_1'`);
    for (const t of ['deliveries', 'attempts', 'dead_letters']) {
      assert.deepEqual(await q(`SELECT count(*)::int AS n FROM ${t}`), [{ n: 0 }], t);
    }
  });

  it('is reversible', async () => {
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES.filter((t) => t !== 'event_types'));
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), []);
    await db.dataSource.runMigrations();
    assert.deepEqual(await tables(db), TABLES);
  });
});
