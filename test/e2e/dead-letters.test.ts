/**
 * Dead letters through the admin API. A dead letter is made for real and fast: a delivery to an
 * always-500 receiver whose retry timers are cut short by `retryNow` until its 6 attempts are
 * spent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeadLetter, Delivery } from '../../libs/db/entities';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { MAX_ATTEMPTS } from '../../libs/domain/retry-schedule';
import { assertError, collectPages, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { deliveriesOf, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { eventually } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

interface DeadLetterJson {
  id: string;
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  [field: string]: unknown;
}

describe('dead letters API', () => {
  let stack: TestStack;
  const receivers: Receiver[] = [];
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  /** A subscription on its own always-500 receiver, scoped to its own template. */
  const brokenSubscription = async (): Promise<{ sub: { id: string }; receiver: Receiver; tpl: string }> => {
    const receiver = await startReceiver({ kind: 'status', status: 500, body: 'broken' });
    receivers.push(receiver);
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: receiver.url, templateIds: [tpl], userDefined: { auth: 'x' } });
    return { sub, receiver, tpl };
  };

  /** Posts an event and drives its delivery to a dead letter; returns the dead letter's id. */
  const deadLetter = async (tpl: string): Promise<{ delivery: Delivery; deadLetterId: string }> => {
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }));
    const [d] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    const delivery = await exhaustDelivery(stack.db.dataSource, stack.deliveries, d.id);
    const letter = await stack.db.dataSource.getRepository(DeadLetter).findOneByOrFail({ deliveryId: d.id });
    return { delivery, deadLetterId: letter.id };
  };

  const list = async (query: string): Promise<DeadLetterJson[]> => {
    const res = await stack.api(`/v1/dead-letters?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data;
  };

  it('lists and shows a dead letter after six failed attempts', async () => {
    const { sub, receiver, tpl } = await brokenSubscription();
    const { delivery, deadLetterId } = await deadLetter(tpl);
    assert.equal(delivery.attemptCount, MAX_ATTEMPTS);
    assert.equal(receiver.requests.length, MAX_ATTEMPTS);

    const bySub = await list(`subscriptionId=${sub.id}`);
    assert.deepEqual(
      bySub.map((l) => l.id),
      [deadLetterId],
    );
    assert.match(deadLetterId, /^dlq_[0-9A-Z]{26}$/);

    const res = await stack.api(`/v1/dead-letters/${deadLetterId}`);
    assert.equal(res.status, 200);
    const letter = res.body;
    assert.deepEqual(letter, bySub[0]);
    assert.equal(letter.deliveryId, delivery.id);
    assert.equal(letter.subscriptionId, sub.id);
    assert.equal(letter.eventId, delivery.eventId);
    assert.equal(letter.eventType, 'image.created');
    assert.equal(letter.attemptCount, MAX_ATTEMPTS);
    assert.equal(letter.lastStatusCode, 500);
    assert.equal(typeof letter.reason, 'string');
    assert.deepEqual(letter.payload, { ...SAMPLE_IMAGE_CREATED, user_defined: { auth: 'x' } });
    const retention = Date.parse(letter.expiresAt as string) - Date.parse(letter.createdAt as string);
    assert.ok(Math.abs(retention - 7 * 24 * 3600_000) < 60_000, 'kept 7 days');

    const detail = await stack.api(`/v1/deliveries/${delivery.id}`);
    assert.equal(detail.body.status, 'dead_lettered');
    assert.deepEqual(
      detail.body.attempts.map((a: { number: number }) => a.number),
      [1, 2, 3, 4, 5, 6],
    );

    // Filters and pagination.
    assert.deepEqual(await list(`subscriptionId=${sub.id}&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), []);
    assert.deepEqual(await list(`subscriptionId=${sub.id}&until=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`), []);
    assert.deepEqual(
      (await list(`subscriptionId=${sub.id}&eventType=image.created`)).map((l) => l.id),
      [deadLetterId],
    );
    const { items } = await collectPages<DeadLetterJson>(stack, '/v1/dead-letters', 1);
    assert.ok(items.some((l) => l.id === deadLetterId));
    assert.deepEqual(
      items.map((l) => l.id),
      [...items.map((l) => l.id)].sort().reverse(),
      'newest first',
    );
  });

  it('retries one dead letter: the delivery succeeds and the dead letter is gone', async () => {
    const { receiver, tpl } = await brokenSubscription();
    const { delivery, deadLetterId } = await deadLetter(tpl);

    receiver.setBehaviour({ kind: 'status', status: 200 });
    const res = await stack.api(`/v1/dead-letters/${deadLetterId}/retry`, { method: 'POST' });
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { id: deadLetterId, deliveryId: delivery.id, mode: 'restarted' });

    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded', { attempts: MAX_ATTEMPTS + 1 });
    await eventually(async () => (await stack.api(`/v1/dead-letters/${deadLetterId}`)).status === 404, 10_000, 'the dead letter to go');
    assertError(await stack.api(`/v1/dead-letters/${deadLetterId}`), 404, 'dead_letter_not_found');
    const detail = await stack.api(`/v1/deliveries/${delivery.id}`);
    assert.deepEqual(detail.body.attempts.at(-1).trigger, 'manual');
    assert.equal(detail.body.attempts.at(-1).ok, true);
    assert.equal(receiver.requests.at(-1)?.headers['x-herald-attempt'], String(MAX_ATTEMPTS + 1));
  });

  it('retries dead letters in bulk by subscription and says how many', async () => {
    const { sub, receiver, tpl } = await brokenSubscription();
    const other = await brokenSubscription();
    const made = await Promise.all([deadLetter(tpl), deadLetter(tpl)]);
    const untouched = await deadLetter(other.tpl);

    receiver.setBehaviour({ kind: 'status', status: 200 });
    const res = await stack.api('/v1/dead-letters/retry', { method: 'POST', json: { subscriptionId: sub.id } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { restarted: 2, remaining: 0 });

    await Promise.all(made.map(({ delivery }) => waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded', { attempts: MAX_ATTEMPTS + 1 })));
    await eventually(async () => (await list(`subscriptionId=${sub.id}`)).length === 0, 10_000, 'the dead letters to go');
    // The other subscription's dead letter was not touched.
    assert.deepEqual(
      (await list(`subscriptionId=${other.sub.id}`)).map((l) => l.id),
      [untouched.deadLetterId],
    );
    assert.equal(other.receiver.requests.length, MAX_ATTEMPTS);

    // Nothing left for this subscription; a time window that matches nothing restarts nothing.
    assert.deepEqual((await stack.api('/v1/dead-letters/retry', { method: 'POST', json: { subscriptionId: sub.id } })).body, { restarted: 0, remaining: 0 });
    assert.deepEqual((await stack.api('/v1/dead-letters/retry', { method: 'POST', json: { until: new Date(Date.now() - 3600_000).toISOString() } })).body, {
      restarted: 0,
      remaining: 0,
    });
  });

  it('discards a dead letter (204); the delivery stays in the log', async () => {
    const { tpl } = await brokenSubscription();
    const { delivery, deadLetterId } = await deadLetter(tpl);
    const res = await stack.api(`/v1/dead-letters/${deadLetterId}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    assertError(await stack.api(`/v1/dead-letters/${deadLetterId}`), 404, 'dead_letter_not_found');
    assertError(await stack.api(`/v1/dead-letters/${deadLetterId}`, { method: 'DELETE' }), 404, 'dead_letter_not_found');
    assertError(await stack.api(`/v1/dead-letters/${deadLetterId}/retry`, { method: 'POST' }), 404, 'dead_letter_not_found');
    const detail = await stack.api(`/v1/deliveries/${delivery.id}`);
    assert.equal(detail.body.status, 'dead_lettered');
    assert.equal(detail.body.attempts.length, MAX_ATTEMPTS);
  });
});
