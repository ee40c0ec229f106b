/**
 * Ordered delivery (#23) on real Temporal and Postgres: the worker runs as a process of its own
 * (so it can be killed with SIGKILL), events come through two API replicas on one database.
 *
 * Retries must not wait the schedule's real minutes here: the receiver fails a delivery at most
 * once at random (its retry, attempt 2, goes at once), and an attempt interrupted by the kill is
 * hurried with the `retryNow` signal. The full schedule is proven in virtual time
 * (test/workflows/ordered.test.ts).
 */
import assert from 'node:assert/strict';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApi } from '../../apps/api/src/app';
import { Delivery } from '../../libs/db/entities';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { retryNowSignal } from '../../workflows/delivery.workflow';
import { createSubscription, uniqueTemplate } from '../support/admin-api';
import { TEST_ADMIN_TOKEN } from '../support/config';
import { eventually } from '../support/engine';
import { assertArrivedInOrder, orderedEvent, produceOrdered, startOrderedReceiver, type OrderedReceiver } from '../support/ordered';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startStack, type TestStack } from '../support/stack';

const KEYS = Array.from({ length: 10 }, (_, i) => `job_${i}`);
// The proof at its full length: 10 keys × 100 events (161 s on the shared 2-core machine,
// 2026-12-02; the suite has the room).
const PER_KEY = 100;

describe('ordered delivery on real Temporal and Postgres', () => {
  let stack: TestStack;
  let replica: INestApplication;
  let replicaUrl: string;
  const workers: HeraldProcess[] = [];
  const receivers: OrderedReceiver[] = [];

  before(async () => {
    stack = await startStack({}, { worker: false });
    // A second API replica: its own Nest app and connection pool, the same database and Temporal.
    replica = await createApi(stack.config, { logger: false });
    await replica.listen(0, '127.0.0.1');
    replicaUrl = `http://127.0.0.1:${(replica.getHttpServer().address() as AddressInfo).port}`;
    workers.push(spawnHerald('worker', envFor(stack.config)));
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(receivers.map((r) => r.close()));
    await replica?.close();
    await stack?.stop();
  });

  const receiver = async (opts: Parameters<typeof startOrderedReceiver>[0]) => {
    const r = await startOrderedReceiver(opts);
    receivers.push(r);
    return r;
  };
  /** POSTs an event through replica 0 (the stack's API) or 1; answers the HTTP status. */
  const post = async (body: Record<string, unknown>, via = 0): Promise<number> => {
    const res = await fetch(`${via === 0 ? stack.baseUrl : replicaUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const deliveriesOf = (subscriptionId: string): Promise<Delivery[]> =>
    stack.db.dataSource.getRepository(Delivery).find({ where: { subscriptionId }, order: { createdAt: 'ASC' } });
  const allSucceeded = (subscriptionId: string, n: number) => async () =>
    (await stack.db.dataSource.getRepository(Delivery).countBy({ subscriptionId, status: 'succeeded' })) === n;
  /** Cuts short the schedule's wait of every retrying delivery of the subscription (its delivery workflow's `retryNow`). */
  const hurry = async (subscriptionId: string): Promise<void> => {
    const waiting = await stack.db.dataSource.getRepository(Delivery).findBy({ subscriptionId, status: 'retrying' });
    for (const d of waiting) {
      await stack.client.workflow
        .getHandle(deliveryWorkflowId(d.eventId, subscriptionId))
        .signal(retryNowSignal)
        .catch(() => undefined); // not handed over yet, or ended meanwhile
    }
  };

  it(
    `${KEYS.length} keys × ${PER_KEY} events, 20 % failures, two producers on the same keys through two replicas, kill -9 of the worker mid-run`,
    { timeout: 480_000 },
    async () => {
      const rx = await receiver({ failRate: 0.2 });
      const tpl = uniqueTemplate();
      const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl], ordering: 'fifo' });
      assert.equal(sub.ordering, 'fifo');

      // Two producers on every key, their posts alternating between the replicas; each waits for its 202 before its next.
      let turn = 0;
      const producing = produceOrdered((body) => post(body, turn++ % 2), {
        keys: KEYS,
        perKey: PER_KEY,
        producers: 2,
        prefix: `evt_${tpl}`,
        fields: { templateId: tpl },
      });
      const total = KEYS.length * PER_KEY;
      await eventually(async () => rx.requests.length >= total / 3, 120_000, 'a third of the deliveries to arrive');
      await workers[0].kill9();
      const atKill = rx.requests.length;
      workers.push(spawnHerald('worker', envFor(stack.config)));
      const order = await producing;

      await eventually(
        async () => {
          await hurry(sub.id); // attempts the kill interrupted wait the schedule (1 min after a second failure)
          return allSucceeded(sub.id, total)();
        },
        180_000,
        'every delivery to succeed',
      );
      assert.ok(atKill < rx.requests.length, 'the kill happened mid-run');

      // The receiver's view: per key, arrivals never go back, first successes 1…PER_KEY without a gap.
      assertArrivedInOrder(rx.requests, Object.fromEntries(KEYS.map((k) => [k, PER_KEY])));
      const deliveries = await deliveriesOf(sub.id);
      assert.equal(deliveries.length, total, 'one delivery per event');
      assert.ok(
        deliveries.every((d) => rx.requests.some((r) => r.deliveryId === d.id && r.ok)),
        'every delivery arrived',
      );
      // Acceptance order: each producer's events of a key got increasing sequences, in the order of its 202s.
      const sequenceOf = new Map(deliveries.map((d) => [d.eventId, d.sequence!]));
      for (const [producerKey, ids] of order) {
        const seqs = ids.map((id) => sequenceOf.get(id)!);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          `${producerKey}: sequences follow the 202s`,
        );
      }
      // Some deliveries failed at random (and were retried), not too many were sent twice.
      assert.ok(
        rx.requests.some((r) => !r.ok),
        'the receiver failed some requests',
      );
    },
  );

  it('a pause mid-stream holds every key; resume lets them go on, in order', { timeout: 120_000 }, async () => {
    const rx = await receiver({ failRate: 0.2, delayMs: 20 });
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl], ordering: 'fifo' });
    const keys = ['a', 'b', 'c'];
    const perKey = 20;
    await produceOrdered(post, { keys, perKey, producers: 1, prefix: `evt_${tpl}`, fields: { templateId: tpl } });
    await eventually(async () => rx.requests.filter((r) => r.ok).length >= 10, 60_000, 'some deliveries to arrive');
    assert.equal((await stack.api(`/v1/subscriptions/${sub.id}/pause`, { method: 'POST' })).status, 200);
    // What was on the wire at the pause lands; then nothing more.
    let seen = -1;
    await eventually(
      async () => {
        const now = rx.requests.length;
        const settled = now === seen;
        seen = now;
        return settled;
      },
      30_000,
      'the requests in flight at the pause to land',
    );
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(rx.requests.length, seen, 'nothing is sent while paused');
    const held = await deliveriesOf(sub.id);
    assert.ok(
      held.some((d) => d.status === 'paused'),
      'a head waits paused',
    );
    assert.ok(held.filter((d) => d.status !== 'succeeded').length > 0, 'deliveries wait behind the pause');

    assert.equal((await stack.api(`/v1/subscriptions/${sub.id}/resume`, { method: 'POST' })).status, 200);
    await eventually(allSucceeded(sub.id, keys.length * perKey), 90_000, 'every delivery to succeed after the resume');
    assertArrivedInOrder(rx.requests, Object.fromEntries(keys.map((k) => [k, perKey])));
  });

  it('switching ordering with deliveries in flight: none → fifo orders only the deliveries created after it', { timeout: 120_000 }, async () => {
    const rx = await receiver({ delayMs: 1500 });
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl] });
    assert.equal(sub.ordering, 'none');
    const before: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = `evt_${tpl}_before_${i}`;
      assert.equal(await post(orderedEvent(id, 'k', { templateId: tpl })), 202);
      before.push(id);
    }
    // Matched (their rows exist) and on the wire (the receiver holds each answer 1.5 s).
    await eventually(async () => (await deliveriesOf(sub.id)).length === 3 && rx.requests.length > 0, 30_000, 'the unordered deliveries in flight');
    const patched = await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { ordering: 'fifo' } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.ordering, 'fifo');
    const afterIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = `evt_${tpl}_after_${i}`;
      assert.equal(await post(orderedEvent(id, 'k', { templateId: tpl })), 202);
      afterIds.push(id);
    }
    await eventually(allSucceeded(sub.id, 6), 60_000, 'all six to succeed');
    const byEvent = new Map((await deliveriesOf(sub.id)).map((d) => [d.eventId, d]));
    assert.deepEqual(
      before.map((id) => byEvent.get(id)!.sequence),
      [null, null, null],
      'matched under none: unordered',
    );
    assert.deepEqual(
      afterIds.map((id) => [byEvent.get(id)!.orderingKey, byEvent.get(id)!.sequence]),
      [
        ['k', 1],
        ['k', 2],
        ['k', 3],
      ],
      'matched under fifo: a stream of their own, from 1',
    );
    // The unordered ones carry no stream headers; the ordered ones arrive one after the other.
    assert.ok(rx.requests.filter((r) => r.sequence === 0).length === 3);
    assertArrivedInOrder(
      rx.requests.filter((r) => r.sequence > 0),
      { k: 3 },
    );
  });

  it('switching ordering with deliveries in flight: fifo → none leaves the waiting ones in order, new ones go at once', { timeout: 120_000 }, async () => {
    let headFails = true;
    const rx = await receiver({ fail: (r) => headFails && r.key === 'x' && r.sequence === 1 });
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: rx.url, templateIds: [tpl], ordering: 'fifo' });
    for (let i = 0; i < 3; i++) assert.equal(await post(orderedEvent(`evt_${tpl}_fifo_${i}`, 'x', { templateId: tpl })), 202);
    // The head failed twice: it waits a minute before attempt 3; #2 and #3 wait their turn.
    await eventually(
      async () => (await deliveriesOf(sub.id)).some((d) => d.sequence === 1 && d.status === 'retrying' && d.attemptCount === 2),
      60_000,
      'the head to wait after two failures',
    );
    const patched = await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { ordering: 'none' } });
    assert.equal(patched.body.ordering, 'none');
    for (let i = 0; i < 2; i++) assert.equal(await post(orderedEvent(`evt_${tpl}_none_${i}`, 'x', { templateId: tpl })), 202);
    // The new ones are unordered: they do not wait for the blocked head.
    await eventually(async () => rx.requests.filter((r) => r.sequence === 0 && r.ok).length === 2, 30_000, 'the unordered deliveries to arrive');
    const waiting = await deliveriesOf(sub.id);
    assert.deepEqual(
      waiting
        .filter((d) => d.sequence !== null)
        .sort((a, b) => a.sequence! - b.sequence!)
        .map((d) => [d.sequence, d.status]),
      [
        [1, 'retrying'],
        [2, 'pending'],
        [3, 'pending'],
      ],
      'the stream is still held by its head',
    );
    // The head recovers: the ones behind it go, in order.
    headFails = false;
    await eventually(
      async () => {
        await hurry(sub.id);
        return allSucceeded(sub.id, 5)();
      },
      60_000,
      'every delivery to succeed',
    );
    assertArrivedInOrder(
      rx.requests.filter((r) => r.sequence > 0),
      { x: 3 },
    );
    const firstOkOfHead = rx.requests.findIndex((r) => r.key === 'x' && r.sequence === 1 && r.ok);
    assert.ok(
      rx.requests.slice(0, firstOkOfHead).filter((r) => r.sequence === 0).length === 2,
      'the unordered deliveries arrived while the head was still being retried',
    );
  });
});
