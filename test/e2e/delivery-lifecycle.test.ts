/**
 * The delivery repository writes a status only where the lifecycle allows it: the check is in
 * the UPDATE itself, so a late or repeated write cannot move a finished delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Attempt, Delivery, Subscription } from '../../libs/db/entities';
import { AttemptRepository, createStores, type DeliveryAttemptRecord, type Stores } from '../../libs/db/repositories';
import { attemptRow } from '../../libs/delivery/attempt';
import { deadLetterPayload } from '../../libs/delivery/payload';
import { newId } from '../../libs/domain/ids';
import { OPERATIONAL_EVENT_TYPES } from '../../libs/domain/operational-events';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testSecretBox } from '../support/engine';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';

describe('delivery status writes', () => {
  let db: TestDatabase;
  let stores: Stores;
  const statusOf = async (id: string): Promise<string | undefined> => (await db.dataSource.getRepository(Delivery).findOneBy({ id }))?.status;
  const newDelivery = async (fields: Partial<Subscription> = {}): Promise<Delivery> => {
    const sub = await seedSubscription(db.dataSource, testSecretBox(), { url: 'https://example.com/hook', ...fields });
    return seedDelivery(db.dataSource, await seedEvent(db.dataSource), sub);
  };
  /** An attempt repository that counts its statements and transactions. */
  const counted = (): { repo: AttemptRepository; statements: number; transactions: number } => {
    const manager = db.dataSource.manager;
    const c = {
      statements: 0,
      transactions: 0,
      repo: undefined as unknown as AttemptRepository,
    };
    c.repo = new AttemptRepository(
      Object.create(manager, {
        query: { value: (...args: Parameters<typeof manager.query>) => (c.statements++, manager.query(...args)) },
        transaction: { value: (...args: [never]) => (c.transactions++, manager.transaction(...args)) },
      }),
    );
    return c;
  };
  /** Attempt 1 of `d` on the schedule, answered 200. */
  const success = (d: Delivery): DeliveryAttemptRecord => {
    const at = new Date();
    const outcome = {
      ok: true,
      statusCode: 200,
      errorKind: null,
      error: null,
      durationMs: 12,
      responseExcerpt: 'ok',
      startedAt: at.toISOString(),
      finishedAt: new Date(at.getTime() + 12).toISOString(),
      request: { headers: { 'content-type': 'application/json' }, bodySha256: 'ab'.repeat(32), bodyBytes: 2, signatureKeyIds: ['current' as const] },
    };
    const row = attemptRow({
      id: newId('attempt'),
      deliveryId: d.id,
      subscriptionId: d.subscriptionId,
      number: 1,
      trigger: 'scheduled',
      url: 'https://example.com/hook',
      outcome,
    });
    return {
      attempt: { ...row, deliveryId: d.id },
      eventId: d.eventId,
      status: 'succeeded',
      nextAttemptAt: null,
      deadLetterPayload,
      health: { at, autoDisableAfterMs: 0 },
    };
  };

  before(async () => {
    db = await createTestDatabase();
    stores = createStores(db.dataSource);
  });
  after(async () => {
    await db?.drop();
  });

  it('moves an open delivery and leaves a finished one as it is', async () => {
    const d = await newDelivery();
    assert.equal(await stores.deliveries.markDelivering(d.id, new Date()), true);
    assert.equal(await stores.deliveries.moveTo(d.id, 'succeeded', { updatedAt: new Date() }), true);
    assert.equal(await stores.deliveries.markDelivering(d.id, new Date()), false, 'a succeeded delivery does not start an attempt');
    assert.equal(await stores.deliveries.markCancelled(d.id, 'late cancel', new Date()), false, 'nor is it cancelled');
    assert.equal(await statusOf(d.id), 'succeeded');
  });

  it('re-opens a finished delivery for a manual retry, and undoes it when nothing restarted', async () => {
    const d = await newDelivery();
    await stores.deliveries.markCancelled(d.id, 'subscription disabled', new Date());
    const cancelled = await stores.deliveries.find(d.id);
    assert.equal(await stores.deliveries.reopen(cancelled!, new Date()), true);
    assert.equal(await statusOf(d.id), 'pending');
    assert.equal(await stores.deliveries.reopen(cancelled!, new Date()), false, 'only from the status read');
    await stores.deliveries.undoReopen(d.id, 'cancelled');
    assert.equal(await statusOf(d.id), 'cancelled');
  });

  // recordAttempts' one-statement path (scheduled successes to healthy subscriptions): the same
  // rows and answers as its transaction.
  it('records scheduled successes in one statement: attempt rows, deliveries moved, a repeat finds its row', async () => {
    const [d1, d2, gone] = await Promise.all([newDelivery(), newDelivery(), newDelivery()]);
    await stores.deliveries.markDelivering(d1.id, new Date());
    await db.dataSource.getRepository(Delivery).delete({ id: gone.id });
    const records = [success(d1), success(d2), success(gone)];
    const c = counted();
    const [r1, r2, r3] = await c.repo.recordAttempts(records, () => new Date());
    assert.deepEqual([c.statements, c.transactions], [1, 0], 'one statement, no transaction of its own');
    assert.equal(r3, null, 'a delivery deleted meanwhile records nothing');
    assert.equal(r1?.inserted, true);
    assert.equal(r2?.inserted, true);
    for (const [d, r] of [
      [d1, r1],
      [d2, r2],
    ] as const) {
      const row = await db.dataSource.getRepository(Delivery).findOneByOrFail({ id: d.id });
      assert.equal(row.status, 'succeeded');
      assert.equal(row.attemptCount, 1);
      assert.equal(row.lastStatusCode, 200);
      assert.ok(row.completedAt, 'a final delivery has its completion time');
      const attempt = await db.dataSource.getRepository(Attempt).findOneByOrFail({ id: r!.attemptId });
      assert.deepEqual(
        [attempt.deliveryId, attempt.number, attempt.ok, attempt.statusCode, attempt.durationMs, attempt.responseExcerpt],
        [d.id, 1, true, 200, 12, 'ok'],
      );
      assert.equal(attempt.request?.bodyBytes, 2, 'what was sent is kept');
    }
    const [again] = await stores.attempts.recordAttempts([records[0]], () => new Date());
    assert.deepEqual(again, { attemptId: r1!.attemptId, inserted: false, operationalEvents: [] }, 'a repeat after a lost acknowledgement inserts nothing');
    assert.equal(await db.dataSource.getRepository(Attempt).countBy({ deliveryId: d1.id }), 1);
  });

  it('records a success on a cancelled delivery without moving it, as the lifecycle says', async () => {
    const d = await newDelivery();
    await stores.deliveries.markCancelled(d.id, 'subscription disabled', new Date());
    const [r] = await stores.attempts.recordAttempts([success(d)], () => new Date());
    assert.equal(r?.inserted, true, 'the attempt was made: it is in the log');
    assert.equal(await statusOf(d.id), 'cancelled');
  });

  it('records a success to a failing subscription in the transaction: the clock is reset and `recovered` raised', async () => {
    const d = await newDelivery({ failingSince: new Date(Date.now() - 60_000), consecutiveFailures: 5, failedDeliveries: 2 });
    const c = counted();
    const [r] = await c.repo.recordAttempts([success(d)], () => new Date());
    assert.equal(c.transactions, 1);
    assert.deepEqual(r?.operationalEvents, [OPERATIONAL_EVENT_TYPES.subscriptionRecovered]);
    const sub = await db.dataSource.getRepository(Subscription).findOneByOrFail({ id: d.subscriptionId });
    assert.deepEqual([sub.failingSince, sub.consecutiveFailures], [null, 0]);
    assert.equal(await statusOf(d.id), 'succeeded');
  });
});
