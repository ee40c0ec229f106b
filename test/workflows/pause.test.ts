/**
 * Pause and resume on the time-skipping server: the real deliveryWorkflow and activities, real
 * Postgres, a real HTTP receiver. Virtual times come from the workflow history.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { Attempt, DeadLetter, Delivery } from '../../libs/db/entities';
import { createStores, type Stores } from '../../libs/db/repositories';
import { DeliveryService } from '../../libs/temporal/delivery-service';
import { DELIVERY_PAUSED_TOO_LONG, deliveryWorkflowId } from '../../libs/temporal/names';
import { deliveryWorkflow, stateQuery } from '../../workflows/delivery.workflow';
import { eventually, sendTimes, testSecretBox, useTimeSkippingEngine } from '../support/engine';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const TASK_QUEUE = 'pause-tests';

/** Answers each delivery (by `webhook-id`) as `answer` says for its n-th request; records every request. */
async function scriptedReceiver(answer: (deliveryId: string, n: number) => { status: number; delayMs?: number }) {
  const requests: { deliveryId: string; attempt: number; at: number }[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const deliveryId = String(req.headers['webhook-id']);
      requests.push({ deliveryId, attempt: Number(req.headers['x-herald-attempt']), at: Date.now() });
      const { status, delayMs = 0 } = answer(deliveryId, requests.filter((r) => r.deliveryId === deliveryId).length);
      setTimeout(() => res.writeHead(status).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('a paused subscription on the time-skipping server', () => {
  const engine = useTimeSkippingEngine(TASK_QUEUE);
  let stores: Stores;
  before(() => {
    stores = createStores(engine.db.dataSource);
  });

  async function start(sub: { id: string; tenantId: string }): Promise<{ handle: WorkflowHandle<typeof deliveryWorkflow>; deliveryId: string }> {
    const event = await seedEvent(engine.db.dataSource);
    const delivery = await seedDelivery(engine.db.dataSource, event, sub as never);
    const handle = await engine.env.client.workflow.start(deliveryWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: deliveryWorkflowId(event.id, sub.id),
      args: [{ deliveryId: delivery.id, eventId: event.id, subscriptionId: sub.id }],
    });
    return { handle, deliveryId: delivery.id };
  }
  const deliveryRow = (id: string): Promise<Delivery> => engine.db.dataSource.getRepository(Delivery).findOneByOrFail({ id });
  const attemptNumbers = async (deliveryId: string): Promise<number[]> =>
    (await engine.db.dataSource.getRepository(Attempt).find({ where: { deliveryId }, order: { number: 'ASC' } })).map((a) => a.number);
  const startTime = async (handle: WorkflowHandle): Promise<number> => tsToMs((await handle.fetchHistory()).events![0].eventTime!);

  /** What the API's resume does: clear the pause, then signal the waiting deliveries, oldest first. */
  async function resume(subscriptionId: string): Promise<string[]> {
    await stores.subscriptions.resume(subscriptionId, new Date());
    const waiting = await stores.deliveries.listPaused(subscriptionId);
    const service = new DeliveryService(engine.env.client, TASK_QUEUE, 'http://ui.test', 'default');
    for (const d of waiting) await service.resume(d);
    return waiting.map((d) => d.id);
  }

  it('holds new, timer-waiting and mid-attempt deliveries without a request, and sends each once after resume', async (t) => {
    let open = false; // before the pause: the first delivery fails its first 3 attempts; after resume everything succeeds
    const receiver = await scriptedReceiver((id, n) => {
      if (open) return { status: 200 };
      if (id === waiting.deliveryId) return { status: n <= 3 ? 500 : 200 };
      return { status: 500, delayMs: 3000 }; // the mid-attempt delivery's first try: slow, then failed
    });
    t.after(receiver.close);
    const sub = await seedSubscription(engine.db.dataSource, testSecretBox(), { url: receiver.url });
    const waiting = await start(sub);
    await engine.env.sleep(2 * MIN); // attempts at 0, 0 and 1 minute failed; the 4th is due at 6 minutes
    assert.equal(receiver.requests.length, 3);
    assert.equal((await deliveryRow(waiting.deliveryId)).status, 'retrying');

    const midAttempt = await start(sub);
    await eventually(async () => receiver.requests.some((r) => r.deliveryId === midAttempt.deliveryId), 10_000, 'the slow attempt on the wire');
    await stores.subscriptions.pause(sub.id, new Date());
    const fresh = await start(sub);

    // 30 virtual minutes: the 5-minute timer fires inside the pause; the slow attempt completes (it was sent already).
    await engine.env.sleep(30 * MIN);
    await eventually(async () => (await deliveryRow(midAttempt.deliveryId)).status === 'paused', 10_000, 'the mid-attempt delivery to park');
    for (const d of [waiting, midAttempt, fresh]) {
      assert.equal((await deliveryRow(d.deliveryId)).status, 'paused', d.deliveryId);
      assert.equal((await d.handle.query(stateQuery)).status, 'paused');
    }
    assert.equal(receiver.requests.length, 4, 'no request while paused but the one already on the wire');
    assert.deepEqual(await attemptNumbers(midAttempt.deliveryId), [1], 'the in-flight attempt is recorded');
    assert.deepEqual(await attemptNumbers(fresh.deliveryId), [], 'a new delivery makes no attempt');

    open = true;
    const pausedAt = await engine.env.currentTimeMs();
    const woken = await resume(sub.id);
    assert.deepEqual(woken, [waiting.deliveryId, midAttempt.deliveryId, fresh.deliveryId], 'oldest first');
    assert.deepEqual(await waiting.handle.result(), { status: 'succeeded', attempts: 4 });
    assert.deepEqual(await midAttempt.handle.result(), { status: 'succeeded', attempts: 2 });
    assert.deepEqual(await fresh.handle.result(), { status: 'succeeded', attempts: 1 });

    assert.deepEqual(await attemptNumbers(waiting.deliveryId), [1, 2, 3, 4]);
    assert.deepEqual(await attemptNumbers(midAttempt.deliveryId), [1, 2]);
    assert.deepEqual(await attemptNumbers(fresh.deliveryId), [1]);
    const seen = receiver.requests.map((r) => `${r.deliveryId}#${r.attempt}`);
    assert.equal(new Set(seen).size, seen.length, 'no attempt sent twice');
    assert.equal(receiver.requests.length, 7);

    // Virtual times: the 4th attempt was due at 6 minutes and went out at the resume (32 minutes), not before.
    const t0 = await startTime(waiting.handle);
    const offsets = (await sendTimes(waiting.handle)).map((t) => (t - t0) / MIN);
    assert.equal(offsets.length, 4);
    assert.ok(offsets[3] >= (pausedAt - t0) / MIN - 0.01 && offsets[3] < (pausedAt - t0) / MIN + 1, `4th attempt at ${offsets[3].toFixed(2)} min`);
    const freshSends = await sendTimes(fresh.handle);
    assert.ok(freshSends[0] >= pausedAt - 1000, 'the new delivery sent only after the resume');
  });

  it('proceeds at its hourly re-check when the resume signal was lost', async (t) => {
    const receiver = await scriptedReceiver(() => ({ status: 200 }));
    t.after(receiver.close);
    const sub = await seedSubscription(engine.db.dataSource, testSecretBox(), { url: receiver.url, pausedAt: new Date() });
    const d = await start(sub);
    await engine.env.sleep(10 * MIN);
    assert.equal((await deliveryRow(d.deliveryId)).status, 'paused');
    await stores.subscriptions.resume(sub.id, new Date()); // no signal
    const resumedAt = await engine.env.currentTimeMs();
    assert.deepEqual(await d.handle.result(), { status: 'succeeded', attempts: 1 });
    const t0 = await startTime(d.handle);
    const [sent] = await sendTimes(d.handle);
    assert.ok(sent >= resumedAt, 'sent after the resume');
    assert.ok(Math.abs((sent - t0) / MIN - 60) < 1, `sent at the re-check, ${((sent - t0) / MIN).toFixed(2)} min after it parked`);
  });

  it('dead-letters a delivery paused for longer than 7 days with reason paused_too_long', async (t) => {
    const receiver = await scriptedReceiver(() => ({ status: 200 }));
    t.after(receiver.close);
    const sub = await seedSubscription(engine.db.dataSource, testSecretBox(), { url: receiver.url, pausedAt: new Date() });
    const d = await start(sub);
    await assert.rejects(d.handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, DELIVERY_PAUSED_TOO_LONG);
      return true;
    });
    const history = await d.handle.fetchHistory();
    const events = history.events!;
    const waitedDays = (tsToMs(events[events.length - 1].eventTime!) - tsToMs(events[0].eventTime!)) / DAY;
    assert.ok(waitedDays >= 7 && waitedDays < 7.01, `dead-lettered after ${waitedDays.toFixed(3)} virtual days`);
    assert.equal(receiver.requests.length, 0);
    const row = await deliveryRow(d.deliveryId);
    assert.equal(row.status, 'dead_lettered');
    assert.equal(row.attemptCount, 0);
    const dead = await engine.db.dataSource.getRepository(DeadLetter).findOneByOrFail({ deliveryId: d.deliveryId });
    assert.equal(dead.reason, 'paused_too_long');
    assert.equal(dead.attemptCount, 0);
    const told: { tenant_id: string; data: Record<string, unknown> }[] = await engine.db.dataSource.query(
      `SELECT tenant_id, data FROM events WHERE type = 'herald.delivery.dead_lettered' AND data->>'deliveryId' = $1`,
      [d.deliveryId],
    );
    assert.deepEqual(
      told.map((e) => [e.tenant_id, e.data.lastError, e.data.attempts]),
      [[sub.tenantId, 'paused_too_long', 0]],
      'the operational event is raised with the dead letter, like any other',
    );
  });
});
