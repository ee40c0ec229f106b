/**
 * The delivery log through the admin API: list, filter, paginate, one delivery with its attempts
 * and live workflow state, manual retry, cancel, and what deleting a subscription does to its
 * deliveries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Attempt, Delivery } from '../../libs/db/entities';
import { deliveryWorkflowId, eventWorkflowId } from '../../libs/temporal/names';
import { assertError, collectPages, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { deliveriesOf, deliveryTarget, waitForDelivery } from '../support/deliveries';
import { eventually } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

describe('deliveries API', () => {
  let stack: TestStack;
  let ok: Receiver;
  let failing: Receiver;
  before(async () => {
    stack = await startStack();
    ok = await startReceiver({ kind: 'status', status: 200 });
    failing = await startReceiver({ kind: 'status', status: 500 });
  });
  after(async () => {
    await ok?.close();
    await failing?.close();
    await stack?.stop();
  });

  /** Posts an event for the template and returns its one delivery. */
  const deliver = async (templateId: string): Promise<Delivery> => {
    const eventId = await postEvent(stack, imageCreated({ templateId }));
    const [d] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    return d;
  };

  /** Waits until the running workflow says it sits in its retry timer after `attempts` attempts. */
  const waitingAfter = async (deliveryId: string, attempts: number): Promise<{ live: { status: string; attempts: number; nextAttemptAt: string } }> =>
    eventually(
      async () => {
        const res = await stack.api(`/v1/deliveries/${deliveryId}`);
        return res.body.live?.status === 'retrying' && res.body.live.attempts === attempts && res.body;
      },
      20_000,
      `${deliveryId} to wait after attempt ${attempts}`,
    );

  it('lists the log newest first, filtered and paginated', async () => {
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: ok.url, templateIds: [tpl] });
    const startedAt = new Date(Date.now() - 1000).toISOString();
    const made: Delivery[] = [];
    for (let i = 0; i < 3; i++) made.push(await deliver(tpl));
    await Promise.all(made.map((d) => waitForDelivery(stack.db.dataSource, d.id, 'succeeded')));
    const newestFirst = made
      .map((d) => d.id)
      .sort()
      .reverse();

    const bySub = await stack.api(`/v1/deliveries?subscriptionId=${sub.id}`);
    assert.equal(bySub.status, 200);
    assert.deepEqual(
      bySub.body.data.map((d: { id: string }) => d.id),
      newestFirst,
    );
    assert.equal(bySub.body.nextCursor, null);
    const item = bySub.body.data[0];
    assert.deepEqual(Object.keys(item).sort(), [
      'attemptCount',
      'completedAt',
      'createdAt',
      'eventId',
      'eventType',
      'id',
      'lastError',
      'lastStatusCode',
      'nextAttemptAt',
      'orderingKey',
      'sequence',
      'status',
      'subscriptionId',
      'templateId',
      'tenantId',
      'updatedAt',
      'workflowId',
    ]);
    assert.equal(item.status, 'succeeded');
    assert.equal(item.templateId, tpl);

    const { items, pages } = await collectPages<{ id: string }>(stack, `/v1/deliveries?subscriptionId=${sub.id}`, 1);
    assert.deepEqual(
      items.map((d) => d.id),
      newestFirst,
    );
    assert.equal(pages, 3);

    const ids = async (query: string): Promise<string[]> => {
      const res = await stack.api(`/v1/deliveries?subscriptionId=${sub.id}&${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data.map((d: { id: string }) => d.id);
    };
    assert.deepEqual(await ids(`eventId=${made[1].eventId}`), [made[1].id]);
    assert.deepEqual(await ids('eventType=image.created'), newestFirst);
    assert.deepEqual(await ids('eventType=video.created'), []);
    assert.deepEqual(await ids('status=succeeded'), newestFirst);
    assert.deepEqual(await ids('status=retrying'), []);
    assert.deepEqual(await ids(`since=${encodeURIComponent(startedAt)}&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), newestFirst);
    assert.deepEqual(await ids(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), []);
    assert.deepEqual(await ids(`until=${encodeURIComponent(startedAt)}`), []);

    // Across subscriptions, by event.
    const all = await stack.api(`/v1/deliveries?eventId=${made[0].eventId}`);
    assert.deepEqual(
      all.body.data.map((d: { id: string }) => d.id),
      [made[0].id],
    );
  });

  it('shows one delivery with its attempts, oldest first, and its Temporal UI link', async () => {
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: ok.url, templateIds: [tpl] });
    const d = await deliver(tpl);
    await waitForDelivery(stack.db.dataSource, d.id, 'succeeded');

    const res = await stack.api(`/v1/deliveries/${d.id}`);
    assert.equal(res.status, 200);
    // Delivered by its first attempt, inline: the event workflow holds it (no delivery workflow).
    const workflowId = eventWorkflowId(d.eventId);
    assert.equal(res.body.id, d.id);
    assert.equal(res.body.eventId, d.eventId);
    assert.equal(res.body.subscriptionId, sub.id);
    assert.equal(res.body.eventType, 'image.created');
    assert.equal(res.body.status, 'succeeded');
    assert.equal(res.body.attemptCount, 1);
    assert.equal(res.body.nextAttemptAt, null);
    assert.equal(res.body.lastStatusCode, 200);
    assert.equal(res.body.lastError, null);
    assert.equal(res.body.live, null, 'a finished workflow has no live state');
    assert.equal(res.body.workflowId, workflowId);
    assert.equal(res.body.temporalUiUrl, `${stack.config.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    assert.equal(res.body.attempts.length, 1);
    const [attempt] = res.body.attempts;
    assert.match(attempt.id, /^atm_/);
    assert.equal(attempt.deliveryId, d.id);
    assert.equal(attempt.number, 1);
    assert.equal(attempt.trigger, 'scheduled');
    assert.equal(attempt.ok, true);
    assert.equal(attempt.statusCode, 200);
    assert.equal(attempt.url, ok.url);
    assertError(await stack.api('/v1/deliveries/dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K'), 404, 'delivery_not_found');
  });

  it('retries a delivery made inline (it has no delivery workflow): a new run with one manual attempt, which then holds it', async () => {
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: ok.url, templateIds: [tpl] });
    const d = await deliver(tpl);
    await waitForDelivery(stack.db.dataSource, d.id, 'succeeded');
    const before = ok.requests.length;

    const res = await stack.api(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.mode, 'restarted');
    const workflowId = deliveryWorkflowId(d.eventId, sub.id);
    assert.deepEqual(await stack.client.workflow.getHandle(workflowId).result(), { status: 'succeeded', attempts: 2 });
    assert.equal(ok.requests.length, before + 1);
    assert.equal(ok.requests.at(-1)!.headers['x-herald-attempt'], '2');
    const detail = await stack.api(`/v1/deliveries/${d.id}`);
    assert.equal(detail.body.workflowId, workflowId);
    assert.equal(detail.body.temporalUiUrl, `${stack.config.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    assert.deepEqual(
      detail.body.attempts.map((a: { number: number; trigger: string }) => [a.number, a.trigger]),
      [
        [1, 'scheduled'],
        [2, 'manual'],
      ],
    );
  });

  it('retries a succeeded delivery with a new manual attempt (restarted)', async () => {
    const tpl = uniqueTemplate();
    const r = await startReceiver({ kind: 'status', status: 200 });
    try {
      await createSubscription(stack, { url: r.url, templateIds: [tpl] });
      const d = await deliver(tpl);
      await waitForDelivery(stack.db.dataSource, d.id, 'succeeded');

      const retried = await stack.api(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
      assert.equal(retried.status, 202);
      assert.deepEqual(retried.body, { id: d.id, mode: 'restarted' });
      await waitForDelivery(stack.db.dataSource, d.id, 'succeeded', { attempts: 2 });
      const [first, second] = await r.waitForRequests(2);
      assert.equal(second.headers['webhook-id'], first.headers['webhook-id'], 'webhook-id is stable across attempts');
      assert.equal(second.headers['x-herald-attempt'], '2');

      const res = await stack.api(`/v1/deliveries/${d.id}`);
      assert.deepEqual(
        res.body.attempts.map((a: { number: number; trigger: string; ok: boolean }) => [a.number, a.trigger, a.ok]),
        [
          [1, 'scheduled', true],
          [2, 'manual', true],
        ],
      );
    } finally {
      await r.close();
    }
  });

  it('retries a waiting delivery at once (signalled), then cancels it', async () => {
    const tpl = uniqueTemplate();
    await createSubscription(stack, { url: failing.url, templateIds: [tpl] });
    const d = await deliver(tpl);
    // Attempt 1 fails, attempt 2 follows at once and fails, then the 1-minute timer.
    const waiting = await waitingAfter(d.id, 2);
    assert.ok(Date.parse(waiting.live.nextAttemptAt) > Date.now() + 30_000);

    const retried = await stack.api(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
    assert.deepEqual(retried.body, { id: d.id, mode: 'signalled' });
    await waitingAfter(d.id, 3);

    const cancelled = await stack.api(`/v1/deliveries/${d.id}/cancel`, { method: 'POST' });
    assert.equal(cancelled.status, 202);
    assert.deepEqual(cancelled.body, { id: d.id, status: 'cancelling' });
    const row = await waitForDelivery(stack.db.dataSource, d.id, 'cancelled');
    assert.equal(row.attemptCount, 3);
    assert.equal(row.nextAttemptAt, null);
    const again = assertError(await stack.api(`/v1/deliveries/${d.id}/cancel`, { method: 'POST' }), 409, 'delivery_not_running');
    assert.equal(again.details.status, 'cancelled');
    const detail = await stack.api(`/v1/deliveries/${d.id}`);
    assert.equal(detail.body.status, 'cancelled');
    assert.equal(detail.body.live, null);
    assert.equal(detail.body.attempts.length, 3);
  });

  it('deleting a subscription removes its deliveries and stops the running ones', async () => {
    const tpl = uniqueTemplate();
    const r = await startReceiver({ kind: 'status', status: 503 });
    try {
      const sub = await createSubscription(stack, { url: r.url, templateIds: [tpl] });
      const d = await deliver(tpl);
      await waitingAfter(d.id, 2);
      const target = await deliveryTarget(stack.db.dataSource, d.id);
      assert.equal(r.requests.length, 2);

      assert.equal((await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'DELETE' })).status, 204);
      assertError(await stack.api(`/v1/deliveries/${d.id}`), 404, 'delivery_not_found');
      assert.deepEqual((await stack.api(`/v1/deliveries?subscriptionId=${sub.id}`)).body.data, []);
      assert.equal(await stack.db.dataSource.getRepository(Attempt).countBy({ subscriptionId: sub.id }), 0);

      // The workflow got the cancel signal and ended instead of waiting out its timer.
      const handle = stack.client.workflow.getHandle(deliveryWorkflowId(d.eventId, sub.id));
      await eventually(async () => (await handle.describe()).status.name === 'COMPLETED', 10_000, 'the workflow to end');
      assert.deepEqual(await handle.result(), { status: 'cancelled', attempts: 2 });

      // Even a forced new run sends nothing: each attempt reads the subscription as it is now.
      assert.equal(await stack.deliveries.retry(target), 'restarted');
      assert.deepEqual(await stack.client.workflow.getHandle(handle.workflowId).result(), { status: 'cancelled', attempts: 0 });
      assert.equal(r.requests.length, 2, 'the receiver saw no request after the delete');
    } finally {
      await r.close();
    }
  });
});
