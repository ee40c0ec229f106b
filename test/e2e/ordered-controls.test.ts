/**
 * Ordered delivery (#23) meeting the other controls, on real Temporal and Postgres: an event that
 * matches a `fifo` and an unordered subscription, and a stream whose subscription is disabled —
 * by a 410 Gone of its head or by hand — with deliveries waiting behind the head. The README's
 * table (*Ordered delivery*) says what each does to a stream; these tests hold it to that.
 *
 * A head is held by failing it twice (attempt 2 comes at once, attempt 3 a minute later); the
 * `retryNow` signal stands for that minute, as an operator's would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { matchSubscriptions } from '../../activities/match-subscriptions';
import type { ActivityDeps } from '../../activities/deps';
import { createStores } from '../../libs/db/repositories';
import { Delivery, Event, Subscription } from '../../libs/db/entities';
import { eventWorkflowId } from '../../libs/temporal/names';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { retryNowSignal } from '../../workflows/delivery.workflow';
import { assertError, createSubscription, uniqueTemplate } from '../support/admin-api';
import { createTestDatabase } from '../support/database';
import { eventually, testSecretBox } from '../support/engine';
import { seedEvent, seedSubscription } from '../support/seed';
import { assertArrivedInOrder, orderedEvent, startOrderedReceiver, type OrderedReceiver } from '../support/ordered';
import { startStack, type TestStack } from '../support/stack';

describe('ordered delivery beside unordered delivery and the off switches', () => {
  let stack: TestStack;
  const receivers: OrderedReceiver[] = [];

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  const receiver = async (opts: Parameters<typeof startOrderedReceiver>[0]) => {
    const r = await startOrderedReceiver(opts);
    receivers.push(r);
    return r;
  };
  const post = async (body: Record<string, unknown>): Promise<void> => {
    const res = await stack.api('/v1/events', { method: 'POST', json: body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  };
  const deliveriesOf = (subscriptionId: string): Promise<Delivery[]> =>
    stack.db.dataSource.getRepository(Delivery).find({ where: { subscriptionId }, order: { createdAt: 'ASC' } });
  const bySequence = async (subscriptionId: string): Promise<Delivery[]> =>
    (await deliveriesOf(subscriptionId)).filter((d) => d.sequence !== null).sort((a, b) => a.sequence! - b.sequence!);
  /** Cuts short the schedule's wait of every retrying delivery of the subscription (its delivery workflow's `retryNow`). */
  const hurry = async (subscriptionId: string): Promise<void> => {
    for (const d of await stack.db.dataSource.getRepository(Delivery).findBy({ subscriptionId, status: 'retrying' })) {
      await stack.client.workflow
        .getHandle(deliveryWorkflowId(d.eventId, subscriptionId))
        .signal(retryNowSignal)
        .catch(() => undefined); // ended meanwhile
    }
  };
  /** Posts `n` events of key `key`; waits until the first is held retrying (two failures) and the rest wait behind it. */
  const blockedStream = async (subscriptionId: string, tpl: string, key: string, n: number): Promise<string[]> => {
    const ids = Array.from({ length: n }, (_, i) => `evt_${tpl}_${key}_${i}`);
    for (const id of ids) await post(orderedEvent(id, key, { templateId: tpl }));
    await eventually(
      async () => {
        const ds = await bySequence(subscriptionId);
        return ds.length === n && ds[0].status === 'retrying' && ds[0].attemptCount === 2 && ds.slice(1).every((d) => d.status === 'pending');
      },
      60_000,
      'the head to wait after two failures, the rest behind it',
    );
    return ids;
  };
  const streams = async (subscriptionId: string) => {
    const res = await stack.api(`/v1/subscriptions/${subscriptionId}/streams`);
    assert.equal(res.status, 200);
    return res.body.data as { orderingKey: string; headSequence: number; headStatus: string; behind: number; blocked: boolean }[];
  };

  it('one event, a fifo and an unordered subscription: the unordered delivery never waits on the stream', { timeout: 120_000 }, async () => {
    let headFails = true;
    const fifoRx = await receiver({ fail: (r) => headFails && r.sequence === 1 });
    const plainRx = await receiver({});
    const tpl = uniqueTemplate();
    const fifo = await createSubscription(stack, { url: fifoRx.url, templateIds: [tpl], ordering: 'fifo' });
    const plain = await createSubscription(stack, { url: plainRx.url, templateIds: [tpl] });
    const ids = await blockedStream(fifo.id, tpl, 'm', 4);

    // Every event's unordered delivery arrived, the ones whose fifo twin waits behind the head too.
    await eventually(async () => plainRx.requests.filter((r) => r.ok).length === ids.length, 30_000, 'the unordered deliveries to arrive');
    assert.ok(
      plainRx.requests.every((r) => r.sequence === 0 && r.key === ''),
      'the unordered deliveries carry no stream headers',
    );
    const plainDeliveries = await deliveriesOf(plain.id);
    assert.deepEqual(
      plainDeliveries.map((d) => [d.status, d.sequence, d.orderingKey]),
      ids.map(() => ['succeeded', null, null]),
    );
    assert.deepEqual(
      (await bySequence(fifo.id)).map((d) => [d.eventId, d.sequence, d.status]),
      ids.map((id, i) => [id, i + 1, i === 0 ? 'retrying' : 'pending']),
      'the fifo twins still wait behind the head, each in its place',
    );
    assert.equal(fifoRx.requests.filter((r) => r.sequence > 1).length, 0, 'nothing of the stream went past its head');

    headFails = false;
    await eventually(
      async () => {
        await hurry(fifo.id);
        return (await deliveriesOf(fifo.id)).every((d) => d.status === 'succeeded');
      },
      60_000,
      'the stream to go on once its head succeeds',
    );
    assertArrivedInOrder(fifoRx.requests, { m: ids.length });
  });

  it(
    '410 Gone from a head: it is dead-lettered, the subscription disabled, each delivery behind it cancelled in turn, the stream freed',
    { timeout: 120_000 },
    async () => {
      let gone = false;
      const rx = await receiver({ fail: (r) => r.key === 'g' && r.sequence === 1, failStatus: () => (gone ? 410 : 500) });
      const tpl = uniqueTemplate();
      const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl], ordering: 'fifo' });
      await blockedStream(sub.id, tpl, 'g', 4);
      const held = await streams(sub.id);
      assert.deepEqual(
        held.map((s) => [s.orderingKey, s.headSequence, s.headStatus, s.behind, s.blocked]),
        [['g', 1, 'retrying', 3, true]],
      );

      // The head's next attempt is answered 410: no wait for the hourly re-check, no operator.
      gone = true;
      await hurry(sub.id);
      await eventually(async () => (await deliveriesOf(sub.id)).every((d) => d.releasedAt !== null), 30_000, 'every delivery of the stream to end');
      const ended = await bySequence(sub.id);
      assert.deepEqual(
        ended.map((d) => [d.sequence, d.status, d.status === 'dead_lettered' ? d.lastStatusCode : d.lastError]),
        [
          [1, 'dead_lettered', 410],
          [2, 'cancelled', 'subscription disabled'],
          [3, 'cancelled', 'subscription disabled'],
          [4, 'cancelled', 'subscription disabled'],
        ],
      );
      assert.deepEqual(
        ended.map((d) => d.attemptCount),
        [3, 0, 0, 0],
        'the cancelled ones made no attempt',
      );
      const s = await stack.db.dataSource.getRepository(Subscription).findOneByOrFail({ id: sub.id });
      assert.equal(s.enabled, false);
      assert.match(s.disabledReason ?? '', /^gone: /);
      assert.deepEqual(
        rx.requests.map((r) => r.sequence),
        [1, 1, 1],
        'only the head was ever sent',
      );
      assert.deepEqual(await streams(sub.id), [], 'no stream is left open');
    },
  );

  it(
    'disable by hand (PATCH) with deliveries waiting: the head ends cancelled at its next attempt, the rest in turn, nothing more is sent',
    { timeout: 120_000 },
    async () => {
      const rx = await receiver({ fail: (r) => r.sequence === 1 });
      const tpl = uniqueTemplate();
      const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl], ordering: 'fifo' });
      await blockedStream(sub.id, tpl, 'd', 3);
      const patched = await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { enabled: false } });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.enabled, false);
      const sentAtDisable = rx.requests.length;

      // The head's next attempt (cut short here, else a minute later) finds the subscription disabled.
      await eventually(
        async () => {
          await hurry(sub.id);
          return (await deliveriesOf(sub.id)).every((d) => d.releasedAt !== null);
        },
        30_000,
        'every delivery of the stream to end',
      );
      assert.deepEqual(
        (await bySequence(sub.id)).map((d) => [d.sequence, d.status, d.lastError, d.attemptCount]),
        [
          [1, 'cancelled', 'subscription disabled', 2],
          [2, 'cancelled', 'subscription disabled', 0],
          [3, 'cancelled', 'subscription disabled', 0],
        ],
      );
      assert.equal(rx.requests.length, sentAtDisable, 'nothing was sent after the disable');
      assert.deepEqual(await streams(sub.id), [], 'no stream is left open');

      // Re-enabled, the stream takes new deliveries; its numbering goes on after the gap.
      assert.equal((await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { enabled: true } })).status, 200);
      await post(orderedEvent(`evt_${tpl}_d_after`, 'd', { templateId: tpl }));
      await eventually(async () => rx.requests.some((r) => r.sequence === 4 && r.ok), 30_000, 'the next delivery of the stream to arrive');
    },
  );
  it(
    "an operator's controls on a stream: a waiting delivery's retry is refused, its cancel skips it; the head's cancel lets the stream go on; its manual retry goes out of order",
    { timeout: 120_000 },
    async () => {
      let headFails = true;
      const rx = await receiver({ fail: (r) => headFails && r.sequence === 1 });
      const tpl = uniqueTemplate();
      const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl], ordering: 'fifo' });
      await blockedStream(sub.id, tpl, 'o', 4);
      const [head, second, third] = await bySequence(sub.id);

      // The operator finds the blocked head in the Temporal UI with the README's query (visibility is eventually consistent).
      const blocked = await eventually(
        async () => {
          const found: { id: string; key: unknown; sequence: unknown }[] = [];
          const query = `HeraldSequence > 0 AND HeraldDeliveryStatus IN ("retrying", "paused") AND ExecutionStatus = "Running" AND HeraldSubscriptionId = "${sub.id}"`;
          for await (const w of stack.client.workflow.list({ query })) {
            found.push({ id: w.workflowId, key: w.searchAttributes.HeraldOrderingKey?.[0], sequence: w.searchAttributes.HeraldSequence?.[0] });
          }
          return found.length > 0 && found;
        },
        15_000,
        'the blocked head in visibility',
      );
      assert.deepEqual(blocked, [{ id: deliveryWorkflowId(head.eventId, sub.id), key: 'o', sequence: 1 }]);

      // A delivery waiting its turn has no attempt to retry.
      const refused = assertError(await stack.api(`/v1/deliveries/${second.id}/retry`, { method: 'POST' }), 409, 'delivery_waiting_turn');
      assert.match(refused.message, new RegExp(head.id));
      // One cancelled while it waits ends at once, without an attempt; the head still holds the stream.
      assert.equal((await stack.api(`/v1/deliveries/${third.id}/cancel`, { method: 'POST' })).status, 202);
      await eventually(
        async () => {
          const d = await stack.db.dataSource.getRepository(Delivery).findOneByOrFail({ id: third.id });
          return d.status === 'cancelled' && d.releasedAt !== null;
        },
        20_000,
        '#3 to end cancelled',
      );
      assert.deepEqual(
        (await bySequence(sub.id)).map((d) => d.status),
        ['retrying', 'pending', 'cancelled', 'pending'],
      );

      // The head cancelled: the stream goes on at once (#2, then #4: #3 is skipped, a gap the receiver sees).
      assert.equal((await stack.api(`/v1/deliveries/${head.id}/cancel`, { method: 'POST' })).status, 202);
      await eventually(async () => rx.requests.filter((r) => r.ok).length === 2, 30_000, '#2 and #4 to arrive');
      assert.deepEqual(
        (await bySequence(sub.id)).map((d) => [d.sequence, d.status, d.attemptCount]),
        [
          [1, 'cancelled', 2],
          [2, 'succeeded', 1],
          [3, 'cancelled', 0],
          [4, 'succeeded', 1],
        ],
      );

      // A manual retry of the cancelled head: one attempt now, after #4 (out of order, on purpose), with its own sequence.
      headFails = false;
      const retried = await stack.api(`/v1/deliveries/${head.id}/retry`, { method: 'POST' });
      assert.equal(retried.status, 202);
      assert.equal(retried.body.mode, 'restarted');
      await eventually(
        async () => (await stack.db.dataSource.getRepository(Delivery).findOneByOrFail({ id: head.id })).status === 'succeeded',
        30_000,
        'the manual attempt to succeed',
      );
      assert.deepEqual(
        rx.requests.map((r) => [r.sequence, r.ok]),
        [
          [1, false],
          [1, false],
          [2, true],
          [4, true],
          [1, true],
        ],
      );
      const detail = await stack.api(`/v1/deliveries/${head.id}`);
      assert.deepEqual(
        detail.body.attempts.map((a: { trigger: string }) => a.trigger),
        ['scheduled', 'scheduled', 'manual'],
      );
      assert.equal(detail.body.sequence, 1);
      assert.equal(detail.body.stream, null, "it is no stream's head: its stream had moved on");
      assert.deepEqual(await streams(sub.id), []);
    },
  );

  it('a throttled fifo subscription keeps each key in order', { timeout: 120_000 }, async () => {
    const rx = await receiver({ failRate: 0.3 });
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl], ordering: 'fifo', rateLimitPerSecond: 4 });
    const keys = ['t1', 't2'];
    const perKey = 6;
    for (let i = 0; i < perKey; i++) for (const k of keys) await post(orderedEvent(`evt_${tpl}_${k}_${i}`, k, { templateId: tpl }));
    await eventually(
      async () => (await deliveriesOf(sub.id)).filter((d) => d.status === 'succeeded').length === keys.length * perKey,
      60_000,
      'every delivery to succeed',
    );
    assertArrivedInOrder(rx.requests, Object.fromEntries(keys.map((k) => [k, perKey])));
  });
});

describe('an earlier event fanned out by a later one, on Postgres', () => {
  it('stays in the outbox: its own event workflow, which holds its delivery, is still started by a dispatcher', async () => {
    // No dispatcher on this database: what the outbox would claim next is read directly.
    const db = await createTestDatabase();
    try {
      const stores = createStores(db.dataSource);
      const sub = await seedSubscription(db.dataSource, testSecretBox(), { url: 'http://127.0.0.1:9/hook', ordering: 'fifo' });
      // A was accepted first but no dispatcher has started its workflow yet; B's workflow runs and matches.
      const a = await seedEvent(db.dataSource, { orderingKey: 'r', workflowStartedAt: null, matched: false });
      const b = await seedEvent(db.dataSource, { orderingKey: 'r', matched: false });
      const match = matchSubscriptions(stores as unknown as ActivityDeps);
      const matched = await match({ eventId: b.id, holder: 'event' });
      assert.deepEqual(
        matched.deliveries.map((d) => d.stream?.sequence),
        [2],
        "B's delivery comes second",
      );
      const [ofA] = await db.dataSource.getRepository(Delivery).findBy({ eventId: a.id, subscriptionId: sub.id });
      assert.equal(ofA.sequence, 1, "A's delivery was created first, in acceptance order");
      assert.equal(ofA.workflowId, eventWorkflowId(a.id), "it is held by A's own event workflow");
      const rowA = await db.dataSource.getRepository(Event).findOneByOrFail({ id: a.id });
      assert.equal(rowA.matched, true);
      assert.equal(rowA.workflowStartedAt, null, "A's workflow is not started: the outbox must still start it");
      const claimed: string[] = [];
      await stores.events.dispatchUnstarted({ limit: 10, minAgeMs: 0 }, async (events) => {
        claimed.push(...events.map((e) => e.id));
        return [];
      });
      assert.deepEqual(claimed, [a.id], 'a dispatcher claims A, so the head of the stream gets a workflow to make its attempt');
    } finally {
      await db.drop();
    }
  });
});
