/**
 * Event fan-out, search attributes, memo and the purge Schedule on the real Temporal dev server
 * (the time-skipping server has no visibility queries and no Schedules).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensurePurgeSchedule } from '../../apps/worker/src/worker';
import { Attempt, DeadLetter, Delivery } from '../../libs/db/entities';
import { createSecretBox } from '../../libs/delivery/secret-box';
import { deliveryWorkflowId, eventWorkflowId } from '../../libs/temporal/names';
import { eventually, testSecretBox } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedEvent, seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

describe('event fan-out on the dev server', () => {
  let stack: TestStack;
  let ok: Receiver;
  before(async () => {
    stack = await startStack();
    ok = await startReceiver({ kind: 'status', status: 200 });
  });
  after(async () => {
    await ok?.close();
    await stack?.stop();
  });

  const finished = (deliveryIds: string[]): Promise<Delivery[] | false> =>
    stack.db.dataSource
      .getRepository(Delivery)
      .findBy(deliveryIds.map((id) => ({ id })))
      .then((rows) => rows.length === deliveryIds.length && rows.every((d) => d.status === 'succeeded') && rows);

  it('delivers the others of an event inline when one of its subscriptions cannot be prepared, and hands that one over', async () => {
    const tpl = `tpl_${randomBytes(3).toString('hex')}`;
    // Sealed with a key the worker does not hold: its request cannot be built, on any try.
    const foreign = createSecretBox({ current: Buffer.alloc(32, 0x5a) });
    const good = await seedSubscription(stack.db.dataSource, testSecretBox(), { url: ok.url, eventTypes: ['image.created'], templateIds: [tpl] });
    const broken = await seedSubscription(stack.db.dataSource, foreign, { url: ok.url, eventTypes: ['image.created'], templateIds: [tpl] });
    const event = await seedEvent(stack.db.dataSource, { templateId: tpl });
    await stack.deliveries.startEvent(event.id);
    assert.deepEqual(await stack.client.workflow.getHandle(eventWorkflowId(event.id)).result(), { deliveries: 2, finishedInline: 1 });
    const rows = await stack.db.dataSource.getRepository(Delivery).findBy({ eventId: event.id });
    const byStatus = Object.fromEntries(rows.map((d) => [d.subscriptionId, [d.status, d.attemptCount, d.workflowId]]));
    assert.deepEqual(byStatus[good.id], ['succeeded', 1, eventWorkflowId(event.id)]);
    assert.deepEqual(byStatus[broken.id], ['pending', 0, deliveryWorkflowId(event.id, broken.id)], 'nothing sent, held by its delivery workflow');
    await stack.client.workflow.getHandle(deliveryWorkflowId(event.id, broken.id)).terminate('test over: it can never be prepared');
  });

  it("makes every matching subscription's first attempt itself, searchable by attribute; a failed one goes on in a delivery workflow", async () => {
    const box = testSecretBox();
    const tpl = `tpl_${randomBytes(3).toString('hex')}`;
    const failing = await startReceiver({ kind: 'status', status: 500 });
    try {
      const exact = await seedSubscription(stack.db.dataSource, box, { url: ok.url, eventTypes: ['image.created'] });
      const family = await seedSubscription(stack.db.dataSource, box, { url: ok.url, eventTypes: ['image.*'], templateIds: [tpl] });
      const all = await seedSubscription(stack.db.dataSource, box, { url: ok.url, eventTypes: ['*'] });
      const down = await seedSubscription(stack.db.dataSource, box, { url: failing.url, eventTypes: ['image.created'], templateIds: [tpl] });
      await seedSubscription(stack.db.dataSource, box, { url: ok.url, eventTypes: ['image.created'], enabled: false });
      await seedSubscription(stack.db.dataSource, box, { url: ok.url, eventTypes: ['image.created'], templateIds: ['tpl_other'] });
      const event = await seedEvent(stack.db.dataSource, { templateId: tpl });

      await stack.deliveries.startEvent(event.id);
      const eventRun = stack.client.workflow.getHandle(eventWorkflowId(event.id));
      assert.deepEqual(await eventRun.result(), { deliveries: 4, finishedInline: 3 });

      const rows = await stack.db.dataSource.getRepository(Delivery).findBy({ eventId: event.id });
      assert.deepEqual(rows.map((d) => d.subscriptionId).sort(), [exact.id, family.id, all.id, down.id].sort());
      const healthy = rows.filter((d) => d.subscriptionId !== down.id);
      assert.ok(
        healthy.every((d) => d.status === 'succeeded' && d.attemptCount === 1),
        'the event workflow finished them before closing',
      );
      // The row names the workflow that holds the delivery (what the API's temporalUiUrl opens).
      assert.ok(healthy.every((d) => d.workflowId === eventWorkflowId(event.id)));
      assert.equal(rows.find((d) => d.subscriptionId === down.id)!.workflowId, deliveryWorkflowId(event.id, down.id));

      // No delivery workflow for a delivery made inline.
      await assert.rejects(
        stack.client.workflow.getHandle(deliveryWorkflowId(event.id, exact.id)).describe(),
        (err: Error) => err.name === 'WorkflowNotFoundError',
      );
      const sa = (await eventRun.describe()).searchAttributes;
      assert.deepEqual(sa.HeraldEventId, [event.id]);
      assert.deepEqual(sa.HeraldEventType, ['image.created']);
      assert.deepEqual(sa.HeraldTemplateId, [tpl]);
      assert.deepEqual(sa.HeraldTenantId, ['default']);
      assert.deepEqual(sa.HeraldDeliveryStatus, ['succeeded']);
      assert.deepEqual(sa.HeraldAttempts, [1]);
      assert.deepEqual((sa.HeraldDeliveredSubscriptionIds as string[]).sort(), [exact.id, family.id, all.id].sort());
      // The match and the four first attempts are one local activity: one marker, then the hand-over of the failed one.
      const history = (await eventRun.fetchHistory()).events ?? [];
      assert.equal(
        history.filter((e) => e.markerRecordedEventAttributes).length,
        2,
        'one marker for the match and every first attempt (matchAndAttempt), one for the hand-over (assignDeliveryWorkflow)',
      );
      assert.equal(history.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length, 1, 'one child: the failed delivery');

      // The failed first attempt was handed over: a delivery workflow that goes on with attempt 2.
      const child = stack.client.workflow.getHandle(deliveryWorkflowId(event.id, down.id));
      const description = await child.describe();
      assert.equal(description.status.name, 'RUNNING');
      assert.deepEqual(await description.memo, {
        url: failing.url,
        eventType: 'image.created',
        deliveryId: rows.find((d) => d.subscriptionId === down.id)!.id,
      });
      assert.deepEqual(description.searchAttributes.HeraldSubscriptionId, [down.id]);
      assert.deepEqual(description.searchAttributes.HeraldTemplateId, [tpl]);
      await failing.waitForRequests(2, 15_000);
      assert.deepEqual(
        failing.requests.map((r) => r.headers['x-herald-attempt']),
        ['1', '2'],
      );
      const state = await eventually(
        async () => {
          const st = await stack.deliveries.state({ eventId: event.id, subscriptionId: down.id });
          return st?.attempts === 2 && st.status === 'retrying' && st;
        },
        15_000,
        'attempt 2 recorded',
      );
      assert.equal(state.lastStatusCode, 500);

      // Visibility is eventually consistent on the dev server: by subscription, either kind of holder.
      for (const s of [exact, down]) {
        const found = await eventually(
          async () => {
            const ids: string[] = [];
            const query = `HeraldEventId = "${event.id}" AND (HeraldSubscriptionId = "${s.id}" OR HeraldDeliveredSubscriptionIds = "${s.id}")`;
            for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
            return ids.length === 1 && ids;
          },
          15_000,
          'visibility',
        );
        assert.deepEqual(found, [s === exact ? eventWorkflowId(event.id) : deliveryWorkflowId(event.id, s.id)]);
      }
      await child.terminate('test over');
    } finally {
      await failing.close();
    }
  });

  it('starts nothing new when the same event is started twice', async () => {
    await seedSubscription(stack.db.dataSource, testSecretBox(), { url: ok.url });
    const event = await seedEvent(stack.db.dataSource);
    const repo = stack.db.dataSource.getRepository(Delivery);
    await stack.deliveries.startEvent(event.id);
    await stack.client.workflow.getHandle(eventWorkflowId(event.id)).result();
    const firstRows = await repo.findBy({ eventId: event.id });
    assert.ok(firstRows.length >= 1);
    await eventually(() => finished(firstRows.map((d) => d.id)), 20_000, 'deliveries to succeed');

    await stack.deliveries.startEvent(event.id);
    await new Promise((r) => setTimeout(r, 1000));
    const ids = new Set(firstRows.map((d) => d.id));
    const requests = ok.requests.filter((q) => ids.has(String(q.headers['webhook-id'])));
    assert.equal(requests.length, firstRows.length, 'one request per delivery, none from the second start');
    assert.equal(await repo.countBy({ eventId: event.id }), firstRows.length);
  });

  it('refuses a blocked destination without sending a request', async () => {
    const guarded = await startStack({ HERALD_ALLOWED_TARGETS: '' });
    const spy = await startReceiver({ kind: 'status', status: 200 });
    try {
      const sub = await seedSubscription(guarded.db.dataSource, testSecretBox(), { url: spy.url });
      const event = await seedEvent(guarded.db.dataSource);
      await guarded.deliveries.startEvent(event.id);
      const attempt = await eventually(
        () => guarded.db.dataSource.getRepository(Attempt).findOneBy({ subscriptionId: sub.id, number: 1 }),
        20_000,
        'first attempt',
      );
      assert.equal(attempt.ok, false);
      assert.equal(attempt.errorKind, 'ssrf_blocked');
      // The failed first attempt is handed to a delivery workflow, which goes on with the schedule.
      const child = guarded.client.workflow.getHandle(deliveryWorkflowId(event.id, sub.id));
      await eventually(
        () =>
          child.terminate('test over').then(
            () => true,
            () => false,
          ),
        10_000,
        'the delivery workflow',
      );
      assert.equal(spy.requests.length, 0);
    } finally {
      await spy.close();
      await guarded.stop();
    }
  });

  it('purges expired dead letters from an hourly Schedule', async () => {
    const scheduleId = `purge-test-${randomBytes(3).toString('hex')}`;
    await ensurePurgeSchedule(stack.client, stack.config.temporal.taskQueue, scheduleId);
    await ensurePurgeSchedule(stack.client, stack.config.temporal.taskQueue, scheduleId); // idempotent
    const schedule = stack.client.schedule.getHandle(scheduleId);
    try {
      const d = await schedule.describe();
      assert.equal(d.spec.intervals?.[0]?.every, 3_600_000);
      assert.equal(d.action.type, 'startWorkflow');
      assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'purgeDeadLettersWorkflow');

      const sub = await seedSubscription(stack.db.dataSource, testSecretBox(), { url: ok.url });
      const ds = stack.db.dataSource;
      const mk = async (expiresAt: Date): Promise<string> => {
        const event = await seedEvent(ds);
        const { seedDelivery } = await import('../support/seed');
        const delivery = await seedDelivery(ds, event, sub);
        const id = `dlq_${randomBytes(8).toString('hex')}`;
        await ds.getRepository(DeadLetter).insert({
          id,
          deliveryId: delivery.id,
          subscriptionId: sub.id,
          tenantId: delivery.tenantId,
          eventId: event.id,
          eventType: 'image.created',
          reason: 'HTTP 500',
          lastStatusCode: 500,
          attemptCount: 6,
          payload: {},
          createdAt: new Date(),
          updatedAt: new Date(),
          expiresAt,
        });
        return id;
      };
      const expired = await mk(new Date(Date.now() - 1000));
      const kept = await mk(new Date(Date.now() + 3_600_000));
      await schedule.trigger();
      await eventually(async () => (await ds.getRepository(DeadLetter).countBy({ id: expired })) === 0, 20_000, 'purge');
      assert.equal(await ds.getRepository(DeadLetter).countBy({ id: kept }), 1);
    } finally {
      await schedule.delete();
    }
  });
});
