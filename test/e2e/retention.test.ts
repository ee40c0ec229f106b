/**
 * Retention: the purge activity over real Postgres with a clock, and the hourly Schedule on the
 * dev server. Rows older than HERALD_RETENTION_DAYS go; deliveries still running, anything a
 * retained dead letter refers to, and everything younger stay.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import { ensureRetentionSchedule } from '../../apps/worker/src/worker';
import { Attempt, DeadLetter, Delivery, Event, type Subscription } from '../../libs/db/entities';
import { createStores } from '../../libs/db/repositories';
import { freePort } from '../../libs/devstack/ports';
import { namespaceRetentionDays, startTemporalDevServer } from '../../libs/devstack/temporal-dev-server';
import { newId } from '../../libs/domain/ids';
import type { DeliveryStatus } from '../../libs/domain/types';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, loopbackSender, testSecretBox } from '../support/engine';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-06-01T00:00:00Z');
const daysAgo = (n: number, from = NOW): Date => new Date(from.getTime() - n * DAY);

interface Seeded {
  eventId: string;
  deliveryId: string;
  attemptIds: string[];
}

/** An event, its delivery in `status` created `ageDays` ago, with `attempts` attempts. */
async function seedHistory(
  ds: DataSource,
  sub: Subscription,
  opts: { ageDays: number; status: DeliveryStatus; attempts?: number; touchedDaysAgo?: number; deadLetterExpires?: Date; now?: Date },
): Promise<Seeded> {
  const now = opts.now ?? NOW;
  const at = daysAgo(opts.ageDays, now);
  const event = await seedEvent(ds, { receivedAt: at, workflowStartedAt: at });
  const delivery = await seedDelivery(ds, event, sub);
  await ds.query(`UPDATE deliveries SET status = $2, created_at = $3, updated_at = $4 WHERE id = $1`, [
    delivery.id,
    opts.status,
    at,
    daysAgo(opts.touchedDaysAgo ?? opts.ageDays, now),
  ]);
  const attemptIds: string[] = [];
  for (let n = 1; n <= (opts.attempts ?? 1); n++) {
    const id = newId('attempt');
    attemptIds.push(id);
    await ds.getRepository(Attempt).insert({
      id,
      deliveryId: delivery.id,
      subscriptionId: sub.id,
      number: n,
      trigger: 'scheduled',
      url: sub.url,
      ok: false,
      statusCode: 500,
      errorKind: 'http_status',
      errorMessage: 'HTTP 500',
      responseExcerpt: 'oops',
      durationMs: 5,
      startedAt: at,
      finishedAt: at,
    });
  }
  if (opts.deadLetterExpires) {
    await ds.getRepository(DeadLetter).insert({
      id: newId('deadLetter'),
      deliveryId: delivery.id,
      subscriptionId: sub.id,
      tenantId: sub.tenantId,
      eventId: event.id,
      eventType: event.type,
      reason: 'HTTP 500',
      lastStatusCode: 500,
      attemptCount: 6,
      payload: {},
      createdAt: at,
      updatedAt: at,
      expiresAt: opts.deadLetterExpires,
    });
  }
  return { eventId: event.id, deliveryId: delivery.id, attemptIds };
}

async function exists(ds: DataSource, s: Seeded): Promise<{ event: boolean; delivery: boolean; attempts: number }> {
  return {
    event: (await ds.getRepository(Event).countBy({ id: s.eventId })) === 1,
    delivery: (await ds.getRepository(Delivery).countBy({ id: s.deliveryId })) === 1,
    attempts: s.attemptIds.length === 0 ? 0 : await ds.getRepository(Attempt).countBy(s.attemptIds.map((id) => ({ id }))),
  };
}

describe('retention purge (activity, with a clock)', () => {
  let db: TestDatabase;
  let sub: Subscription;
  before(async () => {
    db = await createTestDatabase();
    sub = await seedSubscription(db.dataSource, testSecretBox(), { url: 'https://hooks.herald.test/retention' });
  });
  after(async () => {
    await db?.drop();
  });

  const purge = (opts: { days?: number; batchSize?: number } = {}) =>
    createActivities({
      ...createStores(db.dataSource),
      sender: loopbackSender(),
      secretBox: testSecretBox(),
      version: 'test',
      clock: () => NOW,
      retention: { days: opts.days ?? 30, batchSize: opts.batchSize, pauseMs: 0 },
    }).purgeExpiredHistory;

  it('deletes finished history older than the window and keeps what is running, dead-lettered or young', async () => {
    const ds = db.dataSource;
    const old = await Promise.all([
      seedHistory(ds, sub, { ageDays: 40, status: 'succeeded', attempts: 2 }),
      seedHistory(ds, sub, { ageDays: 31, status: 'cancelled' }),
      seedHistory(ds, sub, { ageDays: 45, status: 'dead_lettered', attempts: 6 }), // its dead letter was purged already
    ]);
    const running = await Promise.all([
      seedHistory(ds, sub, { ageDays: 40, status: 'retrying', attempts: 3 }),
      seedHistory(ds, sub, { ageDays: 40, status: 'pending', attempts: 0 }),
      seedHistory(ds, sub, { ageDays: 40, status: 'delivering', attempts: 1 }),
    ]);
    const deadLettered = await seedHistory(ds, sub, {
      ageDays: 35,
      status: 'dead_lettered',
      attempts: 6,
      deadLetterExpires: new Date(NOW.getTime() + 2 * DAY),
    });
    const retriedLately = await seedHistory(ds, sub, { ageDays: 40, status: 'succeeded', touchedDaysAgo: 1 });
    const young = await seedHistory(ds, sub, { ageDays: 29, status: 'succeeded' });
    const unmatched = await seedEvent(ds, { receivedAt: daysAgo(40), workflowStartedAt: daysAgo(40) });
    const neverStarted = await seedEvent(ds, { receivedAt: daysAgo(40), workflowStartedAt: null });
    const testAttempt = (at: Date) => ({
      id: newId('attempt'),
      deliveryId: null,
      subscriptionId: sub.id,
      number: 1,
      trigger: 'test' as const,
      url: sub.url,
      ok: true,
      statusCode: 200,
      errorKind: null,
      errorMessage: null,
      responseExcerpt: null,
      durationMs: 3,
      startedAt: at,
      finishedAt: at,
    });
    const oldTest = testAttempt(daysAgo(60));
    const youngTest = testAttempt(daysAgo(2));
    await ds.getRepository(Attempt).insert([oldTest, youngTest]);

    const result = await purge({ batchSize: 2 })();
    assert.deepEqual(result, { deliveries: 3, testAttempts: 1, events: 4, cutoff: daysAgo(30).toISOString(), more: false });

    for (const s of old) assert.deepEqual(await exists(ds, s), { event: false, delivery: false, attempts: 0 });
    for (const s of running)
      assert.deepEqual(
        await exists(ds, s),
        { event: true, delivery: true, attempts: s.attemptIds.length },
        'a delivery not in a final status is never deleted',
      );
    assert.deepEqual(await exists(ds, deadLettered), { event: true, delivery: true, attempts: 6 }, 'a retained dead letter keeps its delivery and event');
    assert.equal(await ds.getRepository(DeadLetter).countBy({ deliveryId: deadLettered.deliveryId }), 1);
    assert.deepEqual(await exists(ds, retriedLately), { event: true, delivery: true, attempts: 1 }, 'recently touched (a manual retry) is young');
    assert.deepEqual(await exists(ds, young), { event: true, delivery: true, attempts: 1 });
    assert.equal(await ds.getRepository(Event).countBy({ id: unmatched.id }), 0, 'an old event that matched nothing goes');
    assert.equal(await ds.getRepository(Event).countBy({ id: neverStarted.id }), 1, 'an event never started is never dropped');
    assert.deepEqual(
      (await ds.getRepository(Attempt).findBy([{ id: oldTest.id }, { id: youngTest.id }])).map((a) => a.id),
      [youngTest.id],
    );

    // Once the dead letter expires (and the dead-letter purge took it), the next purge takes the rest.
    await ds.getRepository(DeadLetter).delete({ deliveryId: deadLettered.deliveryId });
    assert.deepEqual(await purge()(), { deliveries: 1, testAttempts: 0, events: 1, cutoff: daysAgo(30).toISOString(), more: false });
    assert.deepEqual(await exists(ds, deadLettered), { event: false, delivery: false, attempts: 0 });
    assert.deepEqual(
      await purge()(),
      { deliveries: 0, testAttempts: 0, events: 0, cutoff: daysAgo(30).toISOString(), more: false },
      'a second run finds nothing',
    );
  });

  it('works in bounded rounds: a round stops at its batch budget and says there is more', async () => {
    const ds = db.dataSource;
    const at = daysAgo(90);
    await ds.query(
      `INSERT INTO events (id, type, data, received_at, workflow_started_at) SELECT 'evt_bulk_' || i, 'image.created', '{}', $1, $1 FROM generate_series(1, 60) AS i`,
      [at],
    );
    const first = await purge({ batchSize: 1 })();
    assert.equal(first.more, true);
    assert.equal(first.events, 48, 'fifty statements of one row: two found no deliveries or test attempts, 48 took an event');
    const second = await purge({ batchSize: 1 })();
    assert.equal(second.more, false);
    assert.equal(second.events, 12);
  });

  it('moves the window with HERALD_RETENTION_DAYS', async () => {
    const ds = db.dataSource;
    const s = await seedHistory(ds, sub, { ageDays: 10, status: 'succeeded' });
    assert.equal((await purge({ days: 30 })()).deliveries, 0);
    assert.deepEqual(await exists(ds, s), { event: true, delivery: true, attempts: 1 });
    assert.ok((await purge({ days: 7 })()).deliveries >= 1);
    assert.deepEqual(await exists(ds, s), { event: false, delivery: false, attempts: 0 });
  });
});

describe('retention Schedule on the dev server', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ HERALD_RETENTION_DAYS: '30' });
  });
  after(async () => {
    await stack?.stop();
  });

  it('exists hourly, runs purgeHistoryWorkflow on a trigger, and leaves running deliveries alone', async () => {
    const scheduleId = `retention-test-${randomBytes(3).toString('hex')}`;
    await ensureRetentionSchedule(stack.client, stack.config.temporal.taskQueue, scheduleId);
    await ensureRetentionSchedule(stack.client, stack.config.temporal.taskQueue, scheduleId); // idempotent
    const schedule = stack.client.schedule.getHandle(scheduleId);
    try {
      const d = await schedule.describe();
      assert.equal(d.spec.intervals?.[0]?.every, 3_600_000);
      assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'purgeHistoryWorkflow');

      const ds = stack.db.dataSource;
      const sub = await seedSubscription(ds, testSecretBox(), { url: 'https://hooks.herald.test/retention' });
      const now = new Date();
      const old = await seedHistory(ds, sub, { ageDays: 31, status: 'succeeded', attempts: 2, now });
      const running = await seedHistory(ds, sub, { ageDays: 31, status: 'retrying', attempts: 2, now });
      const young = await seedHistory(ds, sub, { ageDays: 1, status: 'succeeded', now });
      await schedule.trigger();
      await eventually(async () => !(await exists(ds, old)).delivery, 30_000, 'the purge run');
      await eventually(async () => !(await exists(ds, old)).event, 10_000, 'the event after its delivery');
      assert.deepEqual(await exists(ds, old), { event: false, delivery: false, attempts: 0 });
      assert.deepEqual(await exists(ds, running), { event: true, delivery: true, attempts: 2 });
      assert.deepEqual(await exists(ds, young), { event: true, delivery: true, attempts: 1 });
    } finally {
      await schedule.delete();
    }
  });
});

describe('Temporal history retention on the dev server', () => {
  it('sets the namespace retention to HERALD_RETENTION_DAYS when the dev stack starts it', async () => {
    const temporal = await startTemporalDevServer({ port: await freePort(), retentionDays: 30 });
    try {
      assert.equal(await namespaceRetentionDays(temporal.address, 'default'), 30);
    } finally {
      await temporal.stop();
    }
  });
});
