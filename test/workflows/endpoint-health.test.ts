/**
 * Endpoint health on the time-skipping server, with the real workflows and activities, real
 * Postgres and real receivers: auto-disable after 120 virtual hours of failure (not before), a
 * success resetting the clock, 410 Gone, and the operational events (herald.*) those raise,
 * delivered signed through the engine itself to an `_operator` subscription and to the tenant's
 * own. Virtual times come from the workflow histories.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { Delivery, Subscription } from '../../libs/db/entities';
import { createStores } from '../../libs/db/repositories';
import { OPERATOR_TENANT_ID } from '../../libs/domain/tenants';
import { DeliveryService } from '../../libs/temporal/delivery-service';
import { Dispatcher } from '../../libs/temporal/dispatcher';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { deliveryWorkflow } from '../../workflows/delivery.workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createEngineWorker, eventually, sendTimes, testSecretBox } from '../support/engine';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receivers';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';
import { createTimeSkippingEnv, testTemporalAddress } from '../support/temporal';

const MIN = 60_000;
const HOUR = 60 * MIN;
const TASK_QUEUE = 'endpoint-health';
const TENANT = 'acme';

type Sub = Subscription & { secret: string };

describe('endpoint health and operational events on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let worker: Worker;
  let running: Promise<void>;
  let opsWorker: Worker;
  let opsRunning: Promise<void>;
  let opsConnections: { client: Connection; native: NativeConnection };
  let dispatcher: Dispatcher;
  let operator: { sub: Sub; receiver: Receiver };
  let tenantOps: { sub: Sub; receiver: Receiver };
  const receivers: Receiver[] = [];

  before(async () => {
    [env, db] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
    const stores = createStores(db.dataSource);
    // The worker wakes this dispatcher after a commit that raised operational events, as main.ts
    // does. It starts their workflows on the run's dev server, where a second worker of the same
    // database delivers them: once an event workflow had fanned out on the time-skipping server,
    // that server skipped no more time (observed), and the failing deliveries need days of it.
    // Dispatch goes through the database, so which cluster runs the events changes nothing here.
    const address = await testTemporalAddress();
    opsConnections = { client: await Connection.connect({ address }), native: await NativeConnection.connect({ address }) };
    const opsQueue = `endpoint-health-ops-${Date.now()}`;
    dispatcher = new Dispatcher(stores.events, new DeliveryService(new Client({ connection: opsConnections.client }), opsQueue, 'http://ui.test', 'default'), {
      sweepMs: 0,
    });
    opsWorker = await createEngineWorker({
      connection: opsConnections.native,
      taskQueue: opsQueue,
      dataSource: db.dataSource,
      onOperationalEvents: () => dispatcher.wake(),
    });
    opsRunning = opsWorker.run();
    worker = await createEngineWorker({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      dataSource: db.dataSource,
      health: { autoDisableAfterMs: 120 * HOUR },
      onOperationalEvents: () => dispatcher.wake(),
    });
    running = worker.run();
    await stores.tenants.ensure(TENANT);
    await stores.tenants.ensure(OPERATOR_TENANT_ID);
    const operatorReceiver = await startReceiver({ kind: 'status', status: 204 });
    const tenantReceiver = await startReceiver({ kind: 'status', status: 204 });
    operator = {
      receiver: operatorReceiver,
      sub: await seedSubscription(db.dataSource, testSecretBox(), {
        url: operatorReceiver.url,
        tenantId: OPERATOR_TENANT_ID,
        eventTypes: ['herald.*'],
        payloadFormat: 'envelope',
      }),
    };
    tenantOps = {
      receiver: tenantReceiver,
      sub: await seedSubscription(db.dataSource, testSecretBox(), {
        url: tenantReceiver.url,
        tenantId: TENANT,
        eventTypes: ['herald.subscription.*', 'herald.delivery.*'],
      }),
    };
  });
  after(async () => {
    await dispatcher?.stop();
    worker?.shutdown();
    opsWorker?.shutdown();
    await Promise.all([running, opsRunning]);
    await opsConnections?.client.close();
    await opsConnections?.native.close();
    await Promise.all([operator?.receiver.close(), tenantOps?.receiver.close()]);
    await env?.teardown();
    await db?.drop();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  async function failingSubscription(status = 500): Promise<{ sub: Sub; receiver: Receiver }> {
    const receiver = await startReceiver({ kind: 'status', status });
    receivers.push(receiver);
    // It asks for operational events too: it must still never get one about itself.
    const sub = await seedSubscription(db.dataSource, testSecretBox(), { url: receiver.url, tenantId: TENANT, eventTypes: ['image.created', 'herald.*'] });
    return { sub, receiver };
  }

  async function startDelivery(sub: Sub): Promise<{ handle: WorkflowHandle; deliveryId: string }> {
    const event = await seedEvent(db.dataSource, { tenantId: TENANT });
    const delivery = await seedDelivery(db.dataSource, event, sub);
    const handle = await env.client.workflow.start(deliveryWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: deliveryWorkflowId(event.id, sub.id),
      args: [{ deliveryId: delivery.id, eventId: event.id, subscriptionId: sub.id }],
    });
    return { handle, deliveryId: delivery.id };
  }

  /**
   * Waits `ms` of virtual time, then the delivery must have failed (dead-lettered). Not by
   * awaiting its result: once a workflow fails, the time-skipping server jumps 10 years ahead
   * (to the closed run's timeout, observed) before the client locks time again.
   */
  async function expectFailedWithin(handle: WorkflowHandle, ms: number): Promise<void> {
    await env.sleep(ms);
    const history = await handle.fetchHistory();
    const failure = history.events?.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
    assert.equal(failure?.applicationFailureInfo?.type, 'DeliveryExhausted', `delivery ${handle.workflowId} failed as exhausted`);
  }

  /** Waits `ms` of virtual time, then the delivery must have completed; its result. */
  async function expectCompletedWithin(handle: WorkflowHandle, ms: number): Promise<unknown> {
    await env.sleep(ms);
    const completed = (await handle.fetchHistory()).events?.at(-1)?.workflowExecutionCompletedEventAttributes;
    assert.ok(completed, `delivery ${handle.workflowId} completed`);
    const [payload] = completed.result?.payloads ?? [];
    return JSON.parse(Buffer.from(payload.data!).toString('utf8'));
  }

  /** A delivery to a failing endpoint run to its end: its whole schedule, 81 virtual minutes. */
  async function deliverAndFail(sub: Sub): Promise<WorkflowHandle> {
    const { handle } = await startDelivery(sub);
    await expectFailedWithin(handle, 82 * MIN);
    return handle;
  }

  /** Sleeps (virtual time) until `hours` after `t0`. */
  async function sleepUntil(t0: number, hours: number): Promise<void> {
    const now = await env.currentTimeMs();
    assert.ok(now <= t0 + hours * HOUR, `already ${((now - t0) / HOUR).toFixed(2)} h past t0`);
    await env.sleep(t0 + hours * HOUR - now);
  }

  const subscription = (id: string): Promise<Subscription> => db.dataSource.getRepository(Subscription).findOneByOrFail({ id });

  /** The operational events a receiver got about `subscriptionId`, each checked against `secret`. */
  function eventsAbout(r: Receiver, secret: string, subscriptionId: string): { type: string; data: Record<string, unknown>; request: ReceivedRequest }[] {
    return r.requests
      .map((request) => {
        const verified = new Webhook(secret).verify(request.body, request.headers) as Record<string, unknown>;
        const envelope = 'data' in verified && 'type' in verified;
        const data = (envelope ? verified.data : verified) as Record<string, unknown>;
        return { type: request.headers['x-herald-event-type'], data, request };
      })
      .filter((e) => e.data.subscriptionId === subscriptionId);
  }

  /** A failing subscription asks for herald.* too: it may hear about the others, never about itself. */
  function assertNeverToItself(r: Receiver, sub: Sub): void {
    const aboutItself = eventsAbout(r, sub.secret, sub.id).filter((e) => e.type !== 'image.created');
    assert.deepEqual(
      aboutItself.map((e) => e.type),
      [],
      'no operational event about a subscription reaches that subscription',
    );
  }

  /** The HTTP tries of its deliveries (the operational events it hears about the others aside). */
  const deliveryRequests = (r: Receiver): ReceivedRequest[] => r.requests.filter((q) => q.headers['x-herald-event-type'] === 'image.created');

  it('disables a subscription after 120 virtual hours of nothing but failures, not before, and tells the operator and the tenant', async () => {
    const { sub, receiver } = await failingSubscription();
    const t0 = await env.currentTimeMs();
    const first = await deliverAndFail(sub); // 6 attempts, 0 to 81 minutes
    await sleepUntil(t0, 60);
    await deliverAndFail(sub);
    await sleepUntil(t0, 118);
    const third = await deliverAndFail(sub); // its last attempt at 119 h 21 min
    const lastBefore = (await sendTimes(third)).at(-1)!;
    assert.ok(lastBefore - t0 > 119 * HOUR && lastBefore - t0 < 120 * HOUR, `last attempt before the window at ${(lastBefore - t0) / HOUR} h`);
    let s = await subscription(sub.id);
    assert.equal(s.enabled, true, 'not disabled before 120 hours');
    assert.equal(s.disabledReason, null);
    assert.equal(s.consecutiveFailures, 18);

    const failingSince = s.failingSince!.getTime();
    await sleepUntil(failingSince, 120 + 1 / 3600);
    const { handle, deliveryId } = await startDelivery(sub);
    // Its first attempt fails 120 h after the first failure and disables the subscription; the next attempt finds it disabled.
    assert.deepEqual(await expectCompletedWithin(handle, MIN), { status: 'cancelled', attempts: 1 });
    const [disablingAt] = await sendTimes(handle);
    assert.ok(disablingAt - failingSince >= 120 * HOUR, `disabled by the attempt at ${(disablingAt - failingSince) / HOUR} h`);
    s = await subscription(sub.id);
    assert.equal(s.enabled, false);
    const firstFailure = (await sendTimes(first))[0];
    const match = /^auto: failing since (.+)$/.exec(s.disabledReason ?? '');
    assert.ok(match, `disabledReason ${s.disabledReason}`);
    assert.ok(
      Math.abs(new Date(match[1]).getTime() - firstFailure) < 1_000,
      `failing since ${match[1]}, first failure ${new Date(firstFailure).toISOString()}`,
    );
    assert.equal((await db.dataSource.getRepository(Delivery).findOneByOrFail({ id: deliveryId })).lastError, 'subscription disabled');
    assert.equal(deliveryRequests(receiver).length, 19, 'no request after the disable');

    // failing (at the 4th failed attempt), one dead letter per finished delivery, disabled.
    const expected = [
      'herald.subscription.failing',
      'herald.delivery.dead_lettered',
      'herald.delivery.dead_lettered',
      'herald.delivery.dead_lettered',
      'herald.subscription.disabled',
    ];
    for (const [name, r, secret] of [
      ['operator', operator.receiver, operator.sub.secret],
      ['tenant', tenantOps.receiver, tenantOps.sub.secret],
    ] as const) {
      await eventually(async () => eventsAbout(r, secret, sub.id).length >= expected.length, 15_000, `${name} receives the operational events`);
      const got = eventsAbout(r, secret, sub.id);
      assert.deepEqual(got.map((e) => e.type).sort(), [...expected].sort(), `${name}: signed with its own secret, one of each`);
      const disabled = got.find((e) => e.type === 'herald.subscription.disabled')!;
      assert.deepEqual(disabled.data, {
        subscriptionId: sub.id,
        tenantId: TENANT,
        reason: s.disabledReason,
        failingSince: match[1],
        ...(name === 'tenant' ? { user_defined: {} } : {}),
      });
      const dead = got.find((e) => e.type === 'herald.delivery.dead_lettered')!;
      assert.equal(dead.data.tenantId, TENANT);
      assert.equal(dead.data.eventType, 'image.created');
      assert.equal(dead.data.attempts, 6);
      assert.equal(dead.data.lastError, 'HTTP 500');
    }
    assertNeverToItself(receiver, sub);
  });

  it('starts the clock again at a success: one at 119 hours keeps the subscription enabled at 120', async () => {
    const { sub, receiver } = await failingSubscription();
    const t0 = await env.currentTimeMs();
    await deliverAndFail(sub);
    await sleepUntil(t0, 60);
    await deliverAndFail(sub);
    await sleepUntil(t0, 119);
    receiver.setBehaviour({ kind: 'status', status: 200 });
    const ok = await startDelivery(sub);
    assert.deepEqual(await expectCompletedWithin(ok.handle, MIN), { status: 'succeeded', attempts: 1 });
    let s = await subscription(sub.id);
    assert.equal(s.failingSince, null, 'the success reset the clock');
    assert.equal(s.consecutiveFailures, 0);

    receiver.setBehaviour({ kind: 'status', status: 500 });
    await sleepUntil(t0, 120);
    const again = await deliverAndFail(sub);
    s = await subscription(sub.id);
    assert.equal(s.enabled, true, '120 hours after the first failure, but only 1 after the last success');
    assert.equal(s.disabledReason, null);
    assert.ok(Math.abs(s.failingSince!.getTime() - (await sendTimes(again))[0]) < 1_000, 'failing since the first failure after the success');

    await eventually(
      async () => eventsAbout(operator.receiver, operator.sub.secret, sub.id).some((e) => e.type === 'herald.subscription.recovered'),
      15_000,
      'recovered',
    );
    const recovered = eventsAbout(operator.receiver, operator.sub.secret, sub.id).find((e) => e.type === 'herald.subscription.recovered')!;
    assert.equal(recovered.data.consecutiveFailures, 12);
    assert.ok(
      eventsAbout(operator.receiver, operator.sub.secret, sub.id).every((e) => e.type !== 'herald.subscription.disabled'),
      'never disabled',
    );
    assertNeverToItself(receiver, sub);
  });

  it('takes a 410 Gone as a request to stop: no retry, dead-lettered, the subscription disabled at once', async () => {
    const { sub, receiver } = await failingSubscription(410);
    const t0 = await env.currentTimeMs();
    const { handle, deliveryId } = await startDelivery(sub);
    // Without the 410 rule, attempt 2 would follow at once and attempt 3 a minute later.
    await expectFailedWithin(handle, 2 * MIN);
    assert.equal(deliveryRequests(receiver).length, 1, 'not retried');
    const sends = await sendTimes(handle);
    assert.equal(sends.length, 1);
    assert.ok(sends[0] - t0 < MIN, 'the one attempt ran at once');
    const d = await db.dataSource.getRepository(Delivery).findOneByOrFail({ id: deliveryId });
    assert.equal(d.status, 'dead_lettered');
    assert.equal(d.attemptCount, 1);
    assert.equal(d.lastError, 'HTTP 410');
    const s = await subscription(sub.id);
    assert.equal(s.enabled, false);
    assert.match(s.disabledReason ?? '', /^gone: the endpoint answered 410 Gone at /);

    await eventually(async () => eventsAbout(operator.receiver, operator.sub.secret, sub.id).length >= 2, 15_000, 'disabled and dead-lettered');
    assert.deepEqual(
      eventsAbout(operator.receiver, operator.sub.secret, sub.id)
        .map((e) => e.type)
        .sort(),
      ['herald.delivery.dead_lettered', 'herald.subscription.disabled'],
    );
    const dead = eventsAbout(operator.receiver, operator.sub.secret, sub.id).find((e) => e.type === 'herald.delivery.dead_lettered')!;
    assert.deepEqual(dead.data, {
      deliveryId,
      subscriptionId: sub.id,
      tenantId: TENANT,
      eventId: d.eventId,
      eventType: 'image.created',
      attempts: 1,
      lastError: 'HTTP 410',
    });
    assertNeverToItself(receiver, sub);
  });
});
