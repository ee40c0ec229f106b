/**
 * The real deliveryWorkflow and activities on the time-skipping test server, against real
 * Postgres and real HTTP receivers. Virtual times come from the workflow history.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Attempt, DeadLetter, Delivery, Subscription } from '../../libs/db/entities';
import { createSecretBox, type SecretBox } from '../../libs/delivery/secret-box';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { deliveryWorkflow, retryNowSignal, stateQuery } from '../../workflows/delivery.workflow';
import { createTestDatabase } from '../support/database';
import { createEngineWorker, eventually, sendTimes, testSecretBox, useTimeSkippingEngine } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';
import { createTimeSkippingEnv } from '../support/temporal';

const MIN = 60_000;
const TASK_QUEUE = 'delivery-tests';

describe('deliveryWorkflow on the time-skipping server', () => {
  const engine = useTimeSkippingEngine(TASK_QUEUE);
  const receivers: Receiver[] = [];

  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  async function receiver(behaviour?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const r = await startReceiver(behaviour);
    receivers.push(r);
    return r;
  }

  async function startDelivery(
    url: string,
    subFields: Partial<Subscription> = {},
  ): Promise<{ handle: WorkflowHandle; deliveryId: string; subscriptionId: string }> {
    const sub = await seedSubscription(engine.db.dataSource, testSecretBox(), { url, ...subFields });
    const event = await seedEvent(engine.db.dataSource);
    const delivery = await seedDelivery(engine.db.dataSource, event, sub);
    const handle = await engine.env.client.workflow.start(deliveryWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: deliveryWorkflowId(event.id, sub.id),
      args: [{ deliveryId: delivery.id, eventId: event.id, subscriptionId: sub.id }],
    });
    return { handle, deliveryId: delivery.id, subscriptionId: sub.id };
  }

  const attempts = (deliveryId: string): Promise<Attempt[]> =>
    engine.db.dataSource.getRepository(Attempt).find({ where: { deliveryId }, order: { number: 'ASC' } });
  const delivery = (id: string): Promise<Delivery> => engine.db.dataSource.getRepository(Delivery).findOneByOrFail({ id });
  const offsetsInMinutes = (times: number[]): number[] => times.map((t) => (t - times[0]) / MIN);

  it('tries 6 times at 0, 0, 1, 6, 21 and 81 minutes, then dead-letters and fails the workflow', async () => {
    const r = await receiver({ kind: 'status', status: 500 });
    const { handle, deliveryId } = await startDelivery(r.url);
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'DeliveryExhausted');
      return true;
    });
    assert.equal(r.requests.length, 6);
    const offsets = offsetsInMinutes(await sendTimes(handle));
    const expected = [0, 0, 1, 6, 21, 81];
    assert.equal(offsets.length, 6);
    offsets.forEach((o, i) => assert.ok(Math.abs(o - expected[i]) < 0.1, `attempt ${i + 1} at ${o.toFixed(3)} min, expected ${expected[i]}`));

    const rows = await attempts(deliveryId);
    assert.deepEqual(
      rows.map((a) => [a.number, a.trigger, a.ok, a.statusCode, a.errorKind]),
      [1, 2, 3, 4, 5, 6].map((n) => [n, 'scheduled', false, 500, 'http_status']),
    );
    const d = await delivery(deliveryId);
    assert.equal(d.status, 'dead_lettered');
    assert.equal(d.attemptCount, 6);
    assert.equal(d.nextAttemptAt, null);
    const dead = await engine.db.dataSource.getRepository(DeadLetter).findOneByOrFail({ deliveryId });
    assert.equal(dead.attemptCount, 6);
    assert.equal(dead.lastStatusCode, 500);
    const retentionDays = (dead.expiresAt.getTime() - dead.createdAt.getTime()) / (24 * 60 * MIN);
    assert.ok(Math.abs(retentionDays - 7) < 0.01, `kept ${retentionDays} days`);
    assert.equal((dead.payload as { image_url?: string }).image_url !== undefined, true, 'payload snapshot kept');
  });

  it('stops at the first success: fails twice, succeeds on the third attempt', async () => {
    const r = await receiver({
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 500 },
        { kind: 'status', status: 204 },
      ],
    });
    const { handle, deliveryId } = await startDelivery(r.url);
    assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 3 });
    assert.equal(r.requests.length, 3);
    assert.deepEqual(
      offsetsInMinutes(await sendTimes(handle)).map((o) => Math.round(o)),
      [0, 0, 1],
    );
    assert.deepEqual(
      (await attempts(deliveryId)).map((a) => a.statusCode),
      [503, 500, 204],
    );
    assert.equal((await delivery(deliveryId)).status, 'succeeded');
    assert.equal(await engine.db.dataSource.getRepository(DeadLetter).countBy({ deliveryId }), 0);
    const ids = new Set(r.requests.map((q) => q.headers['webhook-id']));
    assert.deepEqual([...ids], [deliveryId], 'webhook-id is the delivery id on every attempt');
  });

  it('stops without another request when the subscription is disabled during the 15-minute wait', async () => {
    const r = await receiver({ kind: 'status', status: 500 });
    const { handle, deliveryId, subscriptionId } = await startDelivery(r.url);
    await engine.env.sleep(10 * MIN); // attempts at 0, 0, 1, 6 are done; the next is due at 21
    assert.equal(r.requests.length, 4);
    assert.equal((await handle.query(stateQuery)).status, 'retrying');
    await engine.db.dataSource.getRepository(Subscription).update({ id: subscriptionId }, { enabled: false });
    assert.deepEqual(await handle.result(), { status: 'cancelled', attempts: 4 });
    assert.equal(r.requests.length, 4);
    const d = await delivery(deliveryId);
    assert.equal(d.status, 'cancelled');
    assert.equal(d.lastError, 'subscription disabled');
  });

  it('runs the next attempt at once on retryNow during the 60-minute wait', async () => {
    const r = await receiver({
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 500 },
        { kind: 'status', status: 500 },
        { kind: 'status', status: 500 },
        { kind: 'status', status: 500 },
        { kind: 'status', status: 200 },
      ],
    });
    const { handle } = await startDelivery(r.url);
    await engine.env.sleep(25 * MIN); // attempt 5 failed at 21; attempt 6 is due at 81
    assert.equal(r.requests.length, 5);
    const state = await handle.query(stateQuery);
    assert.equal(state.attempts, 5);
    assert.ok(state.nextAttemptAt, 'the state query tells when the next attempt is due');
    await handle.signal(retryNowSignal);
    assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 6 });
    const offsets = offsetsInMinutes(await sendTimes(handle));
    assert.ok(offsets[5] >= 25 && offsets[5] < 26, `attempt 6 ran at ${offsets[5].toFixed(2)} min, right after the signal`);
  });

  it('skips the next wait when retryNow arrives while an attempt is on the wire', async () => {
    const fail = { kind: 'status', status: 500 } as const;
    const r = await receiver({ kind: 'sequence', steps: [fail, fail, { kind: 'slow', ms: 3000, status: 500 }, { kind: 'status', status: 200 }] });
    const { handle } = await startDelivery(r.url);
    await engine.env.sleep(1.5 * MIN); // attempts at 0 and 0; the third, at 1 minute, answers after 3 s
    await eventually(async () => r.requests.length === 3, 10_000, 'the slow third attempt');
    await handle.signal(retryNowSignal);
    assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 4 });
    const offsets = offsetsInMinutes(await sendTimes(handle));
    // The signal came at 1.5 virtual minutes at the latest; without it the fourth attempt waits until minute 6.
    assert.ok(offsets[3] >= 1 && offsets[3] <= 1.6, `attempt 4 ran at ${offsets[3].toFixed(2)} min, right after the third`);
  });

  it('fails an attempt on a redirect without following it', async () => {
    const r = await receiver({ kind: 'sequence', steps: [{ kind: 'redirect' }, { kind: 'status', status: 200 }] });
    const { handle, deliveryId } = await startDelivery(r.url);
    await handle.result();
    assert.deepEqual(
      r.requests.map((q) => q.method),
      ['POST', 'POST'],
    );
    assert.ok(
      r.requests.every((q) => q.path === r.requests[0].path),
      'the Location was never requested',
    );
    const [first, second] = await attempts(deliveryId);
    assert.equal(first.errorKind, 'redirect');
    assert.equal(first.statusCode, 302);
    assert.equal(second.ok, true);
  });

  it('fails an attempt to a hanging receiver at 30 seconds', async () => {
    const r = await receiver({ kind: 'sequence', steps: [{ kind: 'hang' }, { kind: 'status', status: 200 }] });
    const { handle, deliveryId } = await startDelivery(r.url);
    await handle.result();
    const [first, second] = await attempts(deliveryId);
    assert.equal(first.errorKind, 'timeout');
    assert.ok(first.durationMs >= 29_900 && first.durationMs < 33_000, `timed out after ${first.durationMs} ms`);
    assert.equal(second.ok, true);
  });
});

describe('deliveryWorkflow across worker restarts and a Postgres outage', () => {
  it('continues the schedule on a new worker after the first one stopped during a wait', async () => {
    const env = await createTimeSkippingEnv();
    const db = await createTestDatabase();
    const r = await startReceiver({ kind: 'status', status: 500 });
    try {
      const sub = await seedSubscription(db.dataSource, testSecretBox(), { url: r.url });
      const event = await seedEvent(db.dataSource);
      const d = await seedDelivery(db.dataSource, event, sub);
      // No sticky cache: the time-skipping server never times out a sticky queue whose worker is
      // gone, which a real server does after a few seconds (the dev-server kill -9 test covers that).
      const first = await createEngineWorker({ connection: env.nativeConnection, taskQueue: 'restart', dataSource: db.dataSource, maxCachedWorkflows: 0 });
      const handle = await first.runUntil(async () => {
        const h = await env.client.workflow.start(deliveryWorkflow, {
          taskQueue: 'restart',
          workflowId: deliveryWorkflowId(event.id, sub.id),
          args: [{ deliveryId: d.id, eventId: event.id, subscriptionId: sub.id }],
        });
        await env.sleep(3 * MIN); // attempts at 0, 0, 1 done; waiting until 6
        return h;
      });
      assert.equal(r.requests.length, 3);
      r.setBehaviour({ kind: 'status', status: 200 });
      const second = await createEngineWorker({ connection: env.nativeConnection, taskQueue: 'restart', dataSource: db.dataSource });
      const result = await second.runUntil(handle.result());
      assert.deepEqual(result, { status: 'succeeded', attempts: 4 });
      const offsets = (await sendTimes(handle)).map((t, _i, all) => (t - all[0]) / MIN);
      assert.ok(Math.abs(offsets[3] - 6) < 0.1, `attempt 4 at ${offsets[3]} min`);
    } finally {
      await r.close();
      await env.teardown();
      await db.drop();
    }
  });
});

describe('deliveryWorkflow when prepare keeps failing', () => {
  it('does not starve the worker: a healthy delivery runs beside deliveries whose prepare fails for good', { timeout: 120_000 }, async () => {
    const env = await createTimeSkippingEnv();
    const db = await createTestDatabase();
    const r = await startReceiver({ kind: 'status', status: 200 });
    try {
      // Secrets sealed with a key the worker does not have (a key dropped from the configuration
      // too early): prepare fails on every try until an operator fixes the configuration.
      const foreignKey = createSecretBox({ current: Buffer.alloc(32, 0x5a) });
      const start = async (box: SecretBox): Promise<WorkflowHandle> => {
        const sub = await seedSubscription(db.dataSource, box, { url: r.url });
        const event = await seedEvent(db.dataSource);
        const d = await seedDelivery(db.dataSource, event, sub);
        return env.client.workflow.start(deliveryWorkflow, {
          taskQueue: 'starve',
          workflowId: deliveryWorkflowId(event.id, sub.id),
          args: [{ deliveryId: d.id, eventId: event.id, subscriptionId: sub.id }],
        });
      };
      // Two workflow-task slots, both first taken by failing deliveries.
      const worker = await createEngineWorker({
        connection: env.nativeConnection,
        taskQueue: 'starve',
        dataSource: db.dataSource,
        maxConcurrentWorkflowTaskExecutions: 2,
      });
      await worker.runUntil(async () => {
        const poisoned = [await start(foreignKey), await start(foreignKey)];
        await eventually(
          async () => (await Promise.all(poisoned.map((h) => h.describe()))).every((d) => d.historyLength >= 3),
          10_000,
          'failing deliveries in their first workflow task',
        );
        const healthy = await start(testSecretBox());
        // A retry that waits longer than the local retry threshold waits on a timer and frees its
        // slot within seconds; with in-worker retries only, the healthy one waits until the failing
        // tasks happen to heartbeat (about 30 s here, for good with more failing deliveries).
        const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the healthy delivery never got a workflow-task slot')), 15_000));
        assert.deepEqual(await Promise.race([healthy.result(), deadline]), { status: 'succeeded', attempts: 1 });
        assert.equal(r.requests.length, 1, 'only the healthy delivery sent a request');
        for (const h of poisoned) assert.equal((await h.describe()).status.name, 'RUNNING', 'failing deliveries keep retrying prepare');
      });
    } finally {
      await r.close();
      await env.teardown();
      await db.drop();
    }
  });
});
