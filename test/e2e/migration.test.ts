import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import {
  LOG_AT_SCALE_INDEXES,
  LOG_AT_SCALE_NEW_INDEXES,
  LOG_AT_SCALE_STATISTICS,
  LogAtScaleIndexes1796400300000,
} from '../../libs/db/migrations/1796400300000-LogAtScaleIndexes';
import { SUBSCRIPTION_RARE_STATUS_INDEX, SubscriptionRareStatusIndex1796401200000 } from '../../libs/db/migrations/1796401200000-SubscriptionRareStatusIndex';
import { createTestDatabase, type TestDatabase } from '../support/database';

const TABLES = [
  'attempt_stats_daily',
  'attempt_stats_hourly',
  'attempts',
  'dead_letters',
  'deliveries',
  'event_types',
  'events',
  'ordering_streams',
  'stats_rollup',
  'subscription_send_slots',
  'subscriptions',
  'tenants',
];
const TABLES_BEFORE_DAILY = TABLES.filter((t) => t !== 'attempt_stats_daily');
const TABLES_BEFORE_ROLLUP = TABLES_BEFORE_DAILY.filter((t) => t !== 'attempt_stats_hourly' && t !== 'stats_rollup');
const TABLES_BEFORE_ORDERING = ['attempts', 'dead_letters', 'deliveries', 'event_types', 'events', 'subscription_send_slots', 'subscriptions', 'tenants'];
const TABLES_BEFORE_PAUSE = ['attempts', 'dead_letters', 'deliveries', 'event_types', 'events', 'subscriptions', 'tenants'];
const TABLES_BEFORE_CATALOG = ['attempts', 'dead_letters', 'deliveries', 'events', 'subscriptions', 'tenants'];
const TABLES_BEFORE_TENANTS = ['attempts', 'dead_letters', 'deliveries', 'events', 'subscriptions'];
const TENANT_COLUMNS = ['dead_letters', 'deliveries', 'events', 'subscriptions'];

/** Reverts the migrations applied after `name`, then `name` itself: a test of one migration stays right as others are added. */
async function undoThrough(db: TestDatabase, name: string): Promise<void> {
  for (;;) {
    const [last]: { name: string }[] = await db.dataSource.query(`SELECT name FROM herald_migrations ORDER BY id DESC LIMIT 1`);
    assert.ok(last, `${name} is not applied`);
    await db.dataSource.undoLastMigration();
    if (last.name === name) return;
  }
}

async function tables(db: TestDatabase): Promise<string[]> {
  const rows: { table_name: string }[] = await db.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'herald_migrations' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function tablesWithTenantId(db: TestDatabase): Promise<string[]> {
  const rows: { table_name: string }[] = await db.dataSource.query(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** One subscription with an event, a dead-lettered delivery, its attempt and its dead letter, as the first schema stores them. */
async function seedLog(db: TestDatabase, n: number): Promise<void> {
  const q = (sql: string): Promise<unknown> => db.dataSource.query(sql);
  await q(`INSERT INTO subscriptions (id, url, event_types, secret_ciphertext) VALUES ('sub_${n}', 'https://x.test', '{image.created}', 'v1.x')`);
  await q(`INSERT INTO events (id, type, data) VALUES ('evt_${n}', 'image.created', '{}')`);
  await q(
    `INSERT INTO deliveries (id, event_id, subscription_id, event_type, status, workflow_id) VALUES ('dlv_${n}', 'evt_${n}', 'sub_${n}', 'image.created', 'dead_lettered', 'delivery:evt_${n}:sub_${n}')`,
  );
  await q(
    `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, duration_ms, started_at, finished_at) VALUES ('atm_${n}', 'dlv_${n}', 'sub_${n}', 1, 'scheduled', 'https://x.test', false, 5, now(), now())`,
  );
  await q(
    `INSERT INTO dead_letters (id, delivery_id, subscription_id, event_id, event_type, reason, attempt_count, payload, expires_at) VALUES ('dlq_${n}', 'dlv_${n}', 'sub_${n}', 'evt_${n}', 'image.created', 'HTTP 500', 6, '{}', now())`,
  );
}

async function counts(db: TestDatabase): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES_BEFORE_TENANTS) out[t] = (await db.dataSource.query(`SELECT count(*)::int AS n FROM ${t}`))[0].n;
  return out;
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
    const applied = await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(
      applied.map((m) => m.name),
      [
        'InitialSchema1763856000000',
        'Tenants1796167751584',
        'EventCatalog1796167800000',
        'PauseAndThrottle1796300000000',
        'EndpointHealth1796300100000',
        'DeliverySendingAttempt1796300200000',
        'TenantFairness1796400100000',
        'LogAtScaleIndexes1796400300000',
        'OrderedDelivery1796400400000',
        'AttemptRequest1796400600000',
        'AttemptStatsHourly1796401000000',
        'AttemptStatsDaily1796401100000',
        'SubscriptionRareStatusIndex1796401200000',
      ],
    );
    assert.deepEqual(await tables(db), TABLES);
    const indexes: { indexname: string }[] = await db.dataSource.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`);
    const names = indexes.map((i) => i.indexname);
    for (const idx of [
      'deliveries_subscription_idx',
      'deliveries_status_idx',
      'deliveries_event_type_idx',
      'deliveries_created_at_idx',
      'attempts_delivery_number_idx',
      'dead_letters_expires_at_idx',
      'subscriptions_tenant_idx',
      'deliveries_tenant_idx',
      'deliveries_tenant_status_idx',
      'dead_letters_tenant_idx',
      'events_received_at_idx',
      'attempts_test_started_at_idx',
      'dead_letters_event_idx',
      'events_unstarted_tenant_idx',
      'deliveries_subscription_rare_status_idx',
    ]) {
      assert.ok(names.includes(idx), `index ${idx}`);
    }
    assert.deepEqual(
      await db.dataSource.query(`SELECT id, name, metadata FROM tenants`),
      [{ id: 'default', name: 'Default', metadata: {} }],
      'the built-in tenant',
    );
    assert.deepEqual(await db.dataSource.runMigrations({ transaction: 'each' }), [], 'a second run applies nothing');
  });

  it('seeds the built-in image.created with its documented schema and example', async () => {
    const [row]: { name: string; version: number; archived_at: Date | null; schema: { required: string[] }; example: Record<string, unknown> }[] =
      await db.dataSource.query(`SELECT * FROM event_types WHERE name = 'image.created'`);
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
    await q(
      `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, workflow_id) VALUES ('dlv_1', 'evt_1', 'sub_1', 'default', 'image.created', 'dead_lettered', 'delivery:evt_1:sub_1')`,
    );
    await q(
      `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, duration_ms, started_at, finished_at) VALUES ('atm_1', 'dlv_1', 'sub_1', 1, 'scheduled', 'https://x.test', false, 5, now(), now())`,
    );
    await q(
      `INSERT INTO dead_letters (id, delivery_id, subscription_id, tenant_id, event_id, event_type, reason, attempt_count, payload, expires_at) VALUES ('dlq_1', 'dlv_1', 'sub_1', 'default', 'evt_1', 'image.created', 'HTTP 500', 6, '{}', now())`,
    );
    await assert.rejects(
      q(
        `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, duration_ms, started_at, finished_at) VALUES ('atm_2', 'dlv_1', 'sub_1', 1, 'scheduled', 'https://x.test', false, 5, now(), now())`,
      ),
      /duplicate key/,
      'one attempt row per number',
    );
    await q(`DELETE FROM subscriptions WHERE id = 'sub_1'`);
    for (const t of ['deliveries', 'attempts', 'dead_letters']) {
      assert.deepEqual(await q(`SELECT count(*)::int AS n FROM ${t}`), [{ n: 0 }], t);
    }
  });

  it('cascades deletes from a tenant to its subscriptions and their logs; a delivery row needs its tenant named', async () => {
    const q = (sql: string): Promise<unknown> => db.dataSource.query(sql);
    await q(`INSERT INTO tenants (id, name) VALUES ('acme', 'Acme')`);
    await q(
      `INSERT INTO subscriptions (id, tenant_id, url, event_types, secret_ciphertext) VALUES ('sub_2', 'acme', 'https://x.test', '{image.created}', 'v1.x')`,
    );
    await q(`INSERT INTO events (id, tenant_id, type, data) VALUES ('evt_2', 'acme', 'image.created', '{}')`);
    await assert.rejects(
      q(
        `INSERT INTO deliveries (id, event_id, subscription_id, event_type, status, workflow_id) VALUES ('dlv_2', 'evt_2', 'sub_2', 'image.created', 'pending', 'delivery:evt_2:sub_2')`,
      ),
      /null value/,
      'no default tenant for deliveries',
    );
    await q(
      `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, workflow_id) VALUES ('dlv_2', 'evt_2', 'sub_2', 'acme', 'image.created', 'pending', 'delivery:evt_2:sub_2')`,
    );
    await assert.rejects(q(`INSERT INTO tenants (id, name) VALUES ('not a tenant id', 'x')`), /check constraint/, 'the id rule');
    await q(`DELETE FROM tenants WHERE id = 'acme'`);
    assert.deepEqual(
      await q(`SELECT (SELECT count(*)::int FROM subscriptions WHERE id = 'sub_2') AS s, (SELECT count(*)::int FROM deliveries WHERE id = 'dlv_2') AS d`),
      [{ s: 0, d: 0 }],
    );
    await q(`DELETE FROM events WHERE id = 'evt_2'`);
  });

  it('gives tenants a weight of 1 to 100, default 1, and indexes the outbox by tenant', async () => {
    await db.dataSource.query(`INSERT INTO tenants (id, name) VALUES ('heavy', 'Heavy')`);
    assert.deepEqual(await db.dataSource.query(`SELECT weight FROM tenants WHERE id = 'heavy'`), [{ weight: 1 }]);
    await db.dataSource.query(`UPDATE tenants SET weight = 100 WHERE id = 'heavy'`);
    await assert.rejects(db.dataSource.query(`UPDATE tenants SET weight = 101 WHERE id = 'heavy'`), /check constraint/);
    await assert.rejects(db.dataSource.query(`UPDATE tenants SET weight = 0 WHERE id = 'heavy'`), /check constraint/);
    await undoThrough(db, 'TenantFairness1796400100000'); // and the migrations after it
    const columns: unknown[] = await db.dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'tenants' AND column_name = 'weight'`,
    );
    assert.deepEqual(columns, [], 'down removes the weight');
    assert.deepEqual(await db.dataSource.query(`SELECT indexname FROM pg_indexes WHERE indexname = 'events_unstarted_tenant_idx'`), [], 'and the index');
    await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(await db.dataSource.query(`SELECT weight FROM tenants WHERE id = 'heavy'`), [{ weight: 1 }], 'up again: the default');
    await db.dataSource.query(`DELETE FROM tenants WHERE id = 'heavy'`);
  });

  it('gives deliveries a send claim and lets one event workflow hold several deliveries', async () => {
    await db.dataSource.query(`DELETE FROM subscriptions; DELETE FROM events`);
    await db.dataSource.query(
      `INSERT INTO subscriptions (id, url, event_types, secret_ciphertext) VALUES ('sub_c', 'https://x.test', '{image.created}', 'v1.x')`,
    );
    await db.dataSource.query(`INSERT INTO events (id, type, data) VALUES ('evt_c', 'image.created', '{}')`);
    await db.dataSource.query(
      `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, workflow_id) VALUES ('dlv_c', 'evt_c', 'sub_c', 'default', 'image.created', 'succeeded', 'event:evt_c')`,
    );
    const delivery = { event_id: 'evt_c', subscription_id: 'sub_c' };
    assert.deepEqual(await db.dataSource.query(`SELECT sending_attempt FROM deliveries`), [{ sending_attempt: null }]);
    await db.dataSource.query(`UPDATE deliveries SET sending_attempt = 1`);
    await undoThrough(db, 'DeliverySendingAttempt1796300200000'); // and the migrations after it
    assert.deepEqual(
      await db.dataSource.query(`SELECT workflow_id FROM deliveries`),
      [{ workflow_id: `delivery:${delivery.event_id}:${delivery.subscription_id}` }],
      'down names each delivery workflow again (workflow_id is unique before)',
    );
    const claim: unknown[] = await db.dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'deliveries' AND column_name = 'sending_attempt'`,
    );
    assert.deepEqual(claim, [], 'down removes the send claim');
    await db.dataSource.runMigrations({ transaction: 'each' });
    await db.dataSource.query(`DELETE FROM subscriptions; DELETE FROM events`);
  });

  it('gives subscriptions a healthy failing clock and seeds the operational event types', async () => {
    await db.dataSource.query(
      `INSERT INTO subscriptions (id, url, event_types, secret_ciphertext) VALUES ('sub_h', 'https://x.test', '{image.created}', 'v1.x')`,
    );
    assert.deepEqual(
      await db.dataSource.query(`SELECT disabled_reason, failing_since, consecutive_failures, failed_deliveries FROM subscriptions WHERE id = 'sub_h'`),
      [{ disabled_reason: null, failing_since: null, consecutive_failures: 0, failed_deliveries: 0 }],
    );
    await db.dataSource.query(`DELETE FROM subscriptions WHERE id = 'sub_h'`);
    const names: { name: string }[] = await db.dataSource.query(`SELECT name FROM event_types WHERE "group" = 'herald' ORDER BY name`);
    assert.deepEqual(
      names.map((r) => r.name),
      ['herald.delivery.dead_lettered', 'herald.subscription.disabled', 'herald.subscription.failing', 'herald.subscription.recovered'],
    );
    await undoThrough(db, 'EndpointHealth1796300100000'); // and the migrations after it
    const columns: unknown[] = await db.dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'subscriptions' AND column_name IN ('disabled_reason', 'failing_since', 'consecutive_failures', 'failed_deliveries')`,
    );
    assert.deepEqual(columns, [], 'down removes the health columns');
    assert.deepEqual(await db.dataSource.query(`SELECT name FROM event_types WHERE "group" = 'herald'`), [], 'and the operational types');
    await db.dataSource.runMigrations({ transaction: 'each' });
  });

  it('moves existing rows to the default tenant and back, keeping every row', async () => {
    await db.dataSource.query(`DELETE FROM events`);
    await undoThrough(db, 'Tenants1796167751584'); // and the migrations after it
    assert.deepEqual(await tables(db), TABLES_BEFORE_TENANTS);
    assert.deepEqual(await tablesWithTenantId(db), [], 'down removes every tenant column');
    await seedLog(db, 3);
    const before = await counts(db);
    assert.deepEqual(before, { attempts: 1, dead_letters: 1, deliveries: 1, events: 1, subscriptions: 1 });

    await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(await tablesWithTenantId(db), TENANT_COLUMNS);
    assert.deepEqual(await counts(db), before, 'up keeps every row');
    for (const t of TENANT_COLUMNS) {
      assert.deepEqual(await db.dataSource.query(`SELECT DISTINCT tenant_id FROM ${t}`), [{ tenant_id: 'default' }], `${t} rows belong to default`);
    }

    await undoThrough(db, 'Tenants1796167751584'); // back to the first schema
    assert.deepEqual(await counts(db), before, 'down keeps every row');
    await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(await counts(db), before);
  });

  it("gives attempts a record of the request they sent, null for the attempts before it, kept by down's other columns", async () => {
    const q = (sql: string): Promise<unknown> => db.dataSource.query(sql);
    await q(`INSERT INTO subscriptions (id, url, event_types, secret_ciphertext) VALUES ('sub_4', 'https://x.test', '{image.created}', 'v1.x')`);
    await q(`INSERT INTO events (id, type, data) VALUES ('evt_4', 'image.created', '{}')`);
    await q(
      `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, workflow_id) VALUES ('dlv_4', 'evt_4', 'sub_4', 'default', 'image.created', 'succeeded', 'event:evt_4')`,
    );
    await q(
      `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, duration_ms, started_at, finished_at) VALUES ('atm_4', 'dlv_4', 'sub_4', 1, 'scheduled', 'https://x.test', true, 5, now(), now())`,
    );
    assert.deepEqual(await db.dataSource.query(`SELECT request FROM attempts WHERE id = 'atm_4'`), [{ request: null }]);
    const sent = { headers: { 'user-agent': 'Herald/1.0.0' }, bodySha256: 'ab'.repeat(32), bodyBytes: 2, signatureKeyIds: ['current'] };
    await db.dataSource.query(`UPDATE attempts SET request = $1 WHERE id = 'atm_4'`, [JSON.stringify(sent)]);
    assert.deepEqual(await db.dataSource.query(`SELECT request FROM attempts WHERE id = 'atm_4'`), [{ request: sent }]);
    await undoThrough(db, 'AttemptRequest1796400600000');
    const column: unknown[] = await db.dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'attempts' AND column_name = 'request'`,
    );
    assert.deepEqual(column, [], 'down removes the column');
    assert.deepEqual(await db.dataSource.query(`SELECT id FROM attempts WHERE id = 'atm_4'`), [{ id: 'atm_4' }], 'and keeps the row');
    await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(await db.dataSource.query(`SELECT request FROM attempts WHERE id = 'atm_4'`), [{ request: null }]);
    await db.dataSource.query(`DELETE FROM subscriptions; DELETE FROM events`);
  });

  it('builds the log-at-scale indexes outside a transaction (CONCURRENTLY), valid, and takes them back on revert', async () => {
    const indexes = async (): Promise<Record<string, { valid: boolean; covering: boolean }>> => {
      const rows: { name: string; valid: boolean; def: string }[] = await db.dataSource.query(
        `SELECT c.relname AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY ($1)`,
        [LOG_AT_SCALE_INDEXES],
      );
      return Object.fromEntries(rows.map((r) => [r.name, { valid: r.valid, covering: r.def.includes(' INCLUDE (') }]));
    };
    const replaced = LOG_AT_SCALE_INDEXES.filter((n) => !LOG_AT_SCALE_NEW_INDEXES.includes(n));
    const built = Object.fromEntries(LOG_AT_SCALE_INDEXES.map((n) => [n, { valid: true, covering: replaced.includes(n) }]));
    assert.deepEqual(await indexes(), built);
    const statistics = async (): Promise<string[]> =>
      ((await db.dataSource.query(`SELECT stxname FROM pg_statistic_ext WHERE stxname = $1`, [LOG_AT_SCALE_STATISTICS])) as { stxname: string }[]).map(
        (r) => r.stxname,
      );
    assert.deepEqual(await statistics(), [LOG_AT_SCALE_STATISTICS], 'a subscription implies its tenant: the planner is told');
    assert.equal(new LogAtScaleIndexes1796400300000().transaction, false, 'CREATE INDEX CONCURRENTLY cannot run in a transaction');
    await undoThrough(db, 'LogAtScaleIndexes1796400300000'); // and the migrations after it
    assert.deepEqual(
      await indexes(),
      Object.fromEntries(replaced.map((n) => [n, { valid: true, covering: false }])),
      'down drops the new ones and puts the replaced ones back as they were',
    );
    assert.deepEqual(await statistics(), []);
    // A build that failed half-way leaves an invalid index behind: up builds it again.
    const [first] = LOG_AT_SCALE_NEW_INDEXES;
    await db.dataSource.query(`CREATE INDEX ${first} ON deliveries (id)`);
    await db.dataSource.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = $1::regclass`, [first]);
    assert.equal((await indexes())[first].valid, false);
    await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(await indexes(), built);
  });

  it('builds the subscription rare-status index CONCURRENTLY, partial (no entry for a succeeded delivery), and takes it back on revert', async () => {
    const index = async (): Promise<{ valid: boolean; def: string } | undefined> =>
      (
        (await db.dataSource.query(
          `SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
          [SUBSCRIPTION_RARE_STATUS_INDEX],
        )) as { valid: boolean; def: string }[]
      )[0];
    const built = await index();
    assert.equal(built?.valid, true);
    assert.match(
      built.def,
      /\(subscription_id, status, id DESC\) WHERE \(status = ANY \(ARRAY\['retrying'::text, 'dead_lettered'::text, 'cancelled'::text\]\)\)$/,
    );
    assert.equal(new SubscriptionRareStatusIndex1796401200000().transaction, false, 'CREATE INDEX CONCURRENTLY cannot run in a transaction');
    await undoThrough(db, 'SubscriptionRareStatusIndex1796401200000');
    assert.equal(await index(), undefined, 'down drops it');
    // A build that failed half-way leaves an invalid index behind: up builds it again.
    await db.dataSource.query(`CREATE INDEX ${SUBSCRIPTION_RARE_STATUS_INDEX} ON deliveries (id)`);
    await db.dataSource.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = $1::regclass`, [SUBSCRIPTION_RARE_STATUS_INDEX]);
    await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(await index(), built);
  });

  it('orders deliveries: acceptance numbers for new events only, stream columns, the streams table, and back', async () => {
    await db.dataSource.query(`DELETE FROM subscriptions; DELETE FROM events`);
    await undoThrough(db, 'OrderedDelivery1796400400000'); // and the migrations after it
    await db.dataSource.query(`INSERT INTO events (id, type, data) VALUES ('evt_old', 'image.created', '{}')`);
    await db.dataSource.runMigrations({ transaction: 'each' });
    await db.dataSource.query(
      `INSERT INTO events (id, type, data, ordering_key) VALUES ('evt_new1', 'image.created', '{}', 'k'), ('evt_new2', 'image.created', '{}', 'k')`,
    );
    const seqs: { id: string; accept_seq: string | null; matched_at: Date | null }[] = await db.dataSource.query(
      `SELECT id, accept_seq, matched_at FROM events ORDER BY id`,
    );
    const byId = Object.fromEntries(seqs.map((r) => [r.id, r.accept_seq === null ? null : Number(r.accept_seq)]));
    assert.equal(byId.evt_old, null, 'an event from before precedes nothing');
    assert.ok(byId.evt_new1! < byId.evt_new2!, 'drawn in insert order');
    await db.dataSource.query(
      `INSERT INTO subscriptions (id, url, event_types, secret_ciphertext) VALUES ('sub_o', 'https://x.test', '{image.created}', 'v1.x')`,
    );
    assert.deepEqual(await db.dataSource.query(`SELECT ordering FROM subscriptions`), [{ ordering: 'none' }]);
    await assert.rejects(db.dataSource.query(`UPDATE subscriptions SET ordering = 'lifo'`), /check constraint/);
    await db.dataSource.query(`INSERT INTO ordering_streams (subscription_id, ordering_key, last_sequence) VALUES ('sub_o', 'k', 1)`);
    await db.dataSource.query(
      `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, workflow_id, ordering_key, sequence) VALUES ('dlv_o', 'evt_new1', 'sub_o', 'default', 'image.created', 'pending', 'event:evt_new1', 'k', 1)`,
    );
    await assert.rejects(
      db.dataSource.query(
        `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, workflow_id, ordering_key, sequence) VALUES ('dlv_o2', 'evt_new2', 'sub_o', 'default', 'image.created', 'pending', 'event:evt_new2', 'k', 1)`,
      ),
      /duplicate key/,
      'one delivery per place in a stream',
    );
    await db.dataSource.query(`DELETE FROM subscriptions WHERE id = 'sub_o'`);
    assert.deepEqual(await db.dataSource.query(`SELECT * FROM ordering_streams`), [], 'a stream goes with its subscription');
    await undoThrough(db, 'OrderedDelivery1796400400000');
    assert.deepEqual(await tables(db), TABLES_BEFORE_ORDERING);
    const left: unknown[] = await db.dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE column_name IN ('ordering', 'ordering_key', 'accept_seq', 'matched_at', 'sequence', 'turn_at', 'released_at')`,
    );
    assert.deepEqual(left, [], 'down removes every ordering column');
    await db.dataSource.runMigrations({ transaction: 'each' });
    await db.dataSource.query(`DELETE FROM subscriptions; DELETE FROM events`);
  });

  it('is reversible', async () => {
    await db.dataSource.query(`DELETE FROM subscriptions; DELETE FROM events`);
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES, 'the rare-status index adds an index, no table');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_DAILY, "the rollup's daily level adds its table");
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_ROLLUP, 'the stats rollup adds its two tables');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_ROLLUP, "the attempt's request adds a column, no table");
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_ORDERING, 'ordered delivery adds the streams table');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_ORDERING, 'the log-at-scale migration adds indexes, no table');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_ORDERING, 'tenant fairness adds a column and an index, no table');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_ORDERING, 'the send claim adds a column, no table');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_ORDERING, 'endpoint health adds columns and rows, no table');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_PAUSE, 'pause and throttle add the send-slot table');
    const paused: unknown[] = await db.dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'subscriptions' AND column_name IN ('paused_at', 'rate_limit_per_second')`,
    );
    assert.deepEqual(paused, [], 'down removes the pause and throttle columns');
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_CATALOG);
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), TABLES_BEFORE_TENANTS);
    await db.dataSource.undoLastMigration();
    assert.deepEqual(await tables(db), []);
    await db.dataSource.runMigrations({ transaction: 'each' });
    assert.deepEqual(await tables(db), TABLES);
  });
});
