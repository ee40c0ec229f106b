/**
 * Subscriptions through the admin API: CRUD, filters and pagination, secrets shown only on
 * create and rotate, rotation signing with both secrets, custom header values sealed and masked,
 * and the synchronous test send.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HeaderSealingService } from '../../apps/api/src/subscriptions/header-sealing.service';
import { Attempt, Delivery, Subscription } from '../../libs/db/entities';
import { generateSecret } from '../../libs/delivery/signing';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { assertError, collectPages, createSubscription, imageCreated, postEvent, uniqueTemplate, verifySignature } from '../support/admin-api';
import { deliveriesOf, waitForDelivery } from '../support/deliveries';
import { eventually, testSecretBox } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

const SECRET_FIELDS = ['secret', 'secretCiphertext', 'previousSecretCiphertext'];

function assertNoSecret(view: Record<string, unknown>, ...secrets: string[]): void {
  for (const f of SECRET_FIELDS) assert.ok(!(f in view), `${f} must not be shown`);
  const text = JSON.stringify(view);
  for (const s of secrets) assert.ok(!text.includes(s), 'the secret must not appear anywhere');
  assert.ok(!text.includes('whsec_'));
}

describe('subscriptions API', () => {
  let stack: TestStack;
  let receiver: Receiver;
  before(async () => {
    stack = await startStack();
    receiver = await startReceiver({ kind: 'status', status: 200, body: 'thanks' });
  });
  after(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it('creates a subscription with defaults and a generated secret, shown once', async () => {
    const created = await createSubscription(stack, { url: 'https://hooks.herald.test/herald', description: 'prod' });
    assert.match(created.id, /^sub_[0-9A-Z]{26}$/);
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(
      {
        url: created.url,
        eventTypes: created.eventTypes,
        templateIds: created.templateIds,
        description: created.description,
        headers: created.headers,
        userDefined: created.userDefined,
        payloadFormat: created.payloadFormat,
        enabled: created.enabled,
        previousSecretExpiresAt: created.previousSecretExpiresAt,
      },
      {
        url: 'https://hooks.herald.test/herald',
        eventTypes: ['image.created'],
        templateIds: [],
        description: 'prod',
        headers: {},
        userDefined: {},
        payloadFormat: 'flat',
        enabled: true,
        previousSecretExpiresAt: null,
      },
    );
    assert.ok(!Number.isNaN(Date.parse(created.createdAt as string)));

    const got = await stack.api(`/v1/subscriptions/${created.id}`);
    assert.equal(got.status, 200);
    assertNoSecret(got.body, created.secret);
    const { secret: _secret, ...withoutSecret } = created;
    assert.deepEqual(got.body, withoutSecret);

    // At rest the secret is sealed, never plain.
    const row = await stack.db.dataSource.getRepository(Subscription).findOneByOrFail({ id: created.id });
    assert.ok(!row.secretCiphertext.includes(created.secret.slice(6)));
    assert.match(row.secretCiphertext, /^v1\./);
  });

  it('keeps a secret given on create, and every field', async () => {
    const secret = generateSecret();
    const created = await createSubscription(stack, {
      url: 'https://hooks.herald.test/all',
      eventTypes: ['image.*'],
      templateIds: ['tpl_a', 'tpl_b'],
      secret,
      headers: { 'x-customer-id': 'acme', Authorization: 'Bearer receiver-token' },
      userDefined: { auth: 'stencil-secret-xyz', nested: { n: 1 } },
      payloadFormat: 'envelope',
      enabled: false,
    });
    assert.equal(created.secret, secret);
    assert.deepEqual(created.eventTypes, ['image.*']);
    assert.deepEqual(created.templateIds, ['tpl_a', 'tpl_b']);
    assert.deepEqual(created.headers, { 'x-customer-id': '••••', Authorization: '••••oken' }, 'header values are shown masked');
    assert.deepEqual(created.userDefined, { auth: 'stencil-secret-xyz', nested: { n: 1 } });
    assert.equal(created.payloadFormat, 'envelope');
    assert.equal(created.enabled, false);
  });

  it('lists with filters, never showing secrets', async () => {
    const family = await createSubscription(stack, { url: 'https://hooks.herald.test/family', eventTypes: ['image.*'] });
    const all = await createSubscription(stack, { url: 'https://hooks.herald.test/star', eventTypes: ['*'] });
    const off = await createSubscription(stack, { url: 'https://hooks.herald.test/off', enabled: false });

    const everything = await stack.api('/v1/subscriptions?limit=100');
    assert.equal(everything.status, 200);
    assert.deepEqual(Object.keys(everything.body).sort(), ['data', 'nextCursor']);
    for (const s of everything.body.data) assertNoSecret(s, family.secret, all.secret, off.secret);

    const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((s) => s.id);
    const exact = await stack.api('/v1/subscriptions?eventType=image.created&limit=100');
    assert.ok(
      [family.id, all.id, off.id].every((id) => ids(exact).includes(id)),
      'an exact type finds the wildcard subscriptions that receive it',
    );
    const wildcard = await stack.api('/v1/subscriptions?eventType=image.*&limit=100');
    assert.ok(ids(wildcard).includes(family.id));
    assert.ok(!ids(wildcard).includes(all.id) && !ids(wildcard).includes(off.id));

    const disabled = await stack.api('/v1/subscriptions?enabled=false&limit=100');
    assert.ok(ids(disabled).includes(off.id));
    assert.ok(disabled.body.data.every((s: { enabled: boolean }) => s.enabled === false));
    const enabled = await stack.api('/v1/subscriptions?enabled=true&limit=100');
    assert.ok(ids(enabled).includes(family.id) && !ids(enabled).includes(off.id));
  });

  it('paginates by id with an opaque cursor, oldest first', async () => {
    for (let i = 0; i < 5; i++) await createSubscription(stack, { url: `https://hooks.herald.test/page/${i}` });
    const whole = await stack.api('/v1/subscriptions?limit=100');
    assert.equal(whole.body.nextCursor, null);
    const expected = whole.body.data.map((s: { id: string }) => s.id);
    assert.ok(expected.length >= 5);
    assert.deepEqual(expected, [...expected].sort(), 'ids ascending');

    const { items, pages } = await collectPages<{ id: string }>(stack, '/v1/subscriptions', 2);
    assert.deepEqual(
      items.map((s) => s.id),
      expected,
    );
    assert.equal(pages, Math.ceil(expected.length / 2));

    const first = await stack.api('/v1/subscriptions');
    assert.equal(first.body.data.length, Math.min(50, expected.length), 'default limit is 50');
  });

  it('updates any field; the update shows in get and never shows the secret', async () => {
    const created = await createSubscription(stack, { url: 'https://hooks.herald.test/before', description: 'old', headers: { 'x-a': '1' } });
    const patched = await stack.api(`/v1/subscriptions/${created.id}`, {
      method: 'PATCH',
      json: {
        url: 'https://hooks.herald.test/after',
        description: null,
        enabled: false,
        payloadFormat: 'envelope',
        eventTypes: ['*'],
        templateIds: ['tpl_x'],
        headers: { 'x-b': '2' },
        userDefined: { k: 'v' },
      },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assertNoSecret(patched.body, created.secret);
    assert.equal(patched.body.url, 'https://hooks.herald.test/after');
    assert.equal(patched.body.description, null);
    assert.equal(patched.body.enabled, false);
    assert.equal(patched.body.payloadFormat, 'envelope');
    assert.deepEqual(patched.body.eventTypes, ['*']);
    assert.deepEqual(patched.body.templateIds, ['tpl_x']);
    assert.deepEqual(patched.body.headers, { 'x-b': '••••' });
    assert.deepEqual(patched.body.userDefined, { k: 'v' });
    assert.ok(Date.parse(patched.body.updatedAt) >= Date.parse(created.updatedAt as string));

    const reenabled = await stack.api(`/v1/subscriptions/${created.id}`, { method: 'PATCH', json: { enabled: true } });
    assert.equal(reenabled.body.enabled, true);
    assert.equal(reenabled.body.url, 'https://hooks.herald.test/after', 'fields left out stay as they were');
    const got = await stack.api(`/v1/subscriptions/${created.id}`);
    assert.deepEqual(got.body, reenabled.body);
  });

  it('deletes a subscription (204), after which it is gone', async () => {
    const created = await createSubscription(stack, { url: 'https://hooks.herald.test/gone' });
    const del = await stack.api(`/v1/subscriptions/${created.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal(del.body, undefined);
    assertError(await stack.api(`/v1/subscriptions/${created.id}`), 404, 'subscription_not_found');
    assertError(await stack.api(`/v1/subscriptions/${created.id}`, { method: 'DELETE' }), 404, 'subscription_not_found');
    const list = await stack.api('/v1/subscriptions?limit=100');
    assert.ok(!list.body.data.some((s: { id: string }) => s.id === created.id));
  });

  it('rotates the secret: shown once, and deliveries carry both signatures for 24 h', async () => {
    const tpl = uniqueTemplate();
    const created = await createSubscription(stack, { url: receiver.url, templateIds: [tpl] });
    const rotated = await stack.api(`/v1/subscriptions/${created.id}/rotate-secret`, { method: 'POST' });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const newSecret: string = rotated.body.secret;
    assert.match(newSecret, /^whsec_/);
    assert.notEqual(newSecret, created.secret);
    const expires = Date.parse(rotated.body.previousSecretExpiresAt);
    assert.ok(Math.abs(expires - (Date.now() + 24 * 3600_000)) < 60_000, 'the previous secret signs for 24 h');
    assertNoSecret((await stack.api(`/v1/subscriptions/${created.id}`)).body, created.secret, newSecret);

    const before = receiver.requests.length;
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }));
    const delivery = (await deliveriesOf(stack.db.dataSource, eventId)).find((d) => d.subscriptionId === created.id);
    assert.ok(delivery);
    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded');
    const req = receiver.requests.slice(before).find((r) => r.headers['webhook-id'] === delivery.id);
    assert.ok(req, 'the receiver got the delivery');
    const signatures = req.headers['webhook-signature'].split(' ');
    assert.equal(signatures.length, 2, 'two signatures while the previous secret is valid');
    assert.ok(signatures.every((s) => s.startsWith('v1,')));
    // Current secret first; each signature verifies on its own with its own secret.
    assert.ok(verifySignature(newSecret, req, signatures[0]));
    assert.ok(verifySignature(created.secret, req, signatures[1]));
    assert.throws(() => verifySignature(newSecret, req, signatures[1]));
    // A receiver holding either secret accepts the request as sent.
    assert.deepEqual(verifySignature(newSecret, req), verifySignature(created.secret, req));
  });

  it('rotates to a secret of the caller’s choosing, but not to the current one', async () => {
    const created = await createSubscription(stack, { url: 'https://hooks.herald.test/rotate' });
    const chosen = generateSecret();
    const rotated = await stack.api(`/v1/subscriptions/${created.id}/rotate-secret`, { method: 'POST', json: { secret: chosen } });
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.secret, chosen);
    const again = await stack.api(`/v1/subscriptions/${created.id}/rotate-secret`, { method: 'POST', json: { secret: chosen } });
    const error = assertError(again, 422, 'invalid_secret');
    assert.ok(!JSON.stringify(error).includes(chosen), 'the error does not echo the secret');
  });

  it('keeps custom header values as credentials: sealed at rest, masked in every view, write-only, opened only to send', async () => {
    const token = `Bearer hdr-${randomBytes(8).toString('hex')}`;
    const created = await createSubscription(stack, { url: receiver.url, headers: { Authorization: token, 'x-tiny': 'abc' }, enabled: false });
    const masked = { Authorization: `••••${token.slice(-4)}`, 'x-tiny': '••••' };
    assert.deepEqual(created.headers, masked);
    assert.deepEqual((await stack.api(`/v1/subscriptions/${created.id}`)).body.headers, masked);
    const listed = (await stack.api('/v1/subscriptions?limit=100')).body.data.find((s: { id: string }) => s.id === created.id);
    assert.deepEqual(listed.headers, masked);

    const stored = async (): Promise<{ headers: Record<string, string>; updated_at: Date }> =>
      (await stack.db.dataSource.query('SELECT headers, updated_at FROM subscriptions WHERE id = $1', [created.id]))[0];
    const row = await stored();
    assert.ok(!JSON.stringify(row.headers).includes(token.slice('Bearer '.length)), 'no plaintext value in Postgres');
    assert.match(row.headers.Authorization, /^v1\./);
    assert.equal(testSecretBox().open(row.headers.Authorization), token);

    // A view's masked value sent back is refused, and nothing changes.
    assertError(
      await stack.api(`/v1/subscriptions/${created.id}`, { method: 'PATCH', json: { headers: { ...masked, 'x-new': 'v' } } }),
      422,
      'invalid_headers',
    );
    assert.deepEqual((await stored()).headers, row.headers);
    // Other fields leave the sealed values alone; `headers` replaces the whole map.
    await stack.api(`/v1/subscriptions/${created.id}`, { method: 'PATCH', json: { description: 'd' } });
    assert.deepEqual((await stored()).headers, row.headers);

    const before = receiver.requests.length;
    assert.equal((await stack.api(`/v1/subscriptions/${created.id}/test`, { method: 'POST' })).status, 200);
    assert.equal(receiver.requests[before].headers.authorization, token, 'the receiver gets the real value');
    assert.equal(receiver.requests[before].headers['x-tiny'], 'abc');

    const replaced = await stack.api(`/v1/subscriptions/${created.id}`, { method: 'PATCH', json: { headers: { 'x-other': 'new-value-9876' } } });
    assert.deepEqual(replaced.body.headers, { 'x-other': '••••9876' });
    assert.deepEqual(Object.keys((await stored()).headers), ['x-other']);
  });

  it('reads custom header values stored in plaintext before sealing, and the start-up sweep seals them', async () => {
    const created = await createSubscription(stack, { url: receiver.url, enabled: false });
    const legacy = { 'x-legacy': 'legacy-credential-4321', Authorization: testSecretBox().seal('Bearer already-sealed') };
    await stack.db.dataSource.query(`UPDATE subscriptions SET headers = $2::jsonb, updated_at = '2025-01-01T00:00:00Z' WHERE id = $1`, [
      created.id,
      JSON.stringify(legacy),
    ]);

    assert.deepEqual((await stack.api(`/v1/subscriptions/${created.id}`)).body.headers, { 'x-legacy': '••••4321', Authorization: '••••aled' });
    let before = receiver.requests.length;
    await stack.api(`/v1/subscriptions/${created.id}/test`, { method: 'POST' });
    assert.equal(receiver.requests[before].headers['x-legacy'], 'legacy-credential-4321');

    assert.ok((await stack.app.get(HeaderSealingService).sealLegacyHeaderValues()) >= 1);
    const [row]: Array<{ headers: Record<string, string>; updated_at: Date }> = await stack.db.dataSource.query(
      'SELECT headers, updated_at FROM subscriptions WHERE id = $1',
      [created.id],
    );
    assert.ok(!JSON.stringify(row.headers).includes('legacy-credential'), 'sealed now');
    assert.equal(testSecretBox().open(row.headers['x-legacy']), 'legacy-credential-4321');
    assert.equal(row.headers.Authorization, legacy.Authorization, 'a sealed value is left as it was');
    assert.equal(row.updated_at.toISOString(), '2025-01-01T00:00:00.000Z', 're-encoding is not an update');
    assert.equal(await stack.app.get(HeaderSealingService).sealLegacyHeaderValues(), 0, 'nothing left to seal');

    before = receiver.requests.length;
    await stack.api(`/v1/subscriptions/${created.id}/test`, { method: 'POST' });
    assert.equal(receiver.requests[before].headers['x-legacy'], 'legacy-credential-4321');
    assert.equal(receiver.requests[before].headers.authorization, 'Bearer already-sealed');
  });

  it('sends a test event synchronously and records it as an Attempt with trigger test', async () => {
    const created = await createSubscription(stack, { url: receiver.url, userDefined: { auth: 'xyz' }, headers: { 'x-customer-id': 'acme' }, enabled: false });
    const before = receiver.requests.length;
    const res = await stack.api(`/v1/subscriptions/${created.id}/test`, { method: 'POST' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const attempt = res.body;
    assert.match(attempt.id, /^atm_/);
    assert.equal(attempt.deliveryId, null);
    assert.equal(attempt.subscriptionId, created.id);
    assert.equal(attempt.trigger, 'test');
    assert.equal(attempt.number, 1);
    assert.equal(attempt.ok, true);
    assert.equal(attempt.statusCode, 200);
    assert.equal(attempt.error, null);
    assert.equal(attempt.responseExcerpt, 'thanks');
    assert.equal(attempt.url, receiver.url);
    assert.equal(typeof attempt.durationMs, 'number');

    // Synchronous: the request has already arrived when the API answers.
    assert.equal(receiver.requests.length, before + 1);
    const req = receiver.requests[before];
    assert.deepEqual(verifySignature(created.secret, req), { ...SAMPLE_IMAGE_CREATED, user_defined: { auth: 'xyz' } });
    assert.equal(req.headers['x-herald-event-type'], 'image.created');
    assert.equal(req.headers['x-customer-id'], 'acme');

    const row = await stack.db.dataSource.getRepository(Attempt).findOneByOrFail({ id: attempt.id });
    assert.equal(row.trigger, 'test');
    assert.equal(row.deliveryId, null);
    assert.equal(row.ok, true);
  });

  it('records a failed test send as a failed Attempt, not an API error', async () => {
    const failing = await startReceiver({ kind: 'status', status: 500, body: 'boom' });
    try {
      const created = await createSubscription(stack, { url: failing.url, enabled: false });
      const res = await stack.api(`/v1/subscriptions/${created.id}/test`, { method: 'POST' });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.statusCode, 500);
      assert.equal(res.body.errorKind, 'http_status');
      assert.equal(res.body.responseExcerpt, 'boom');
      assert.equal(res.body.trigger, 'test');
    } finally {
      await failing.close();
    }
  });

  it('pauses and resumes, idempotently: events are matched meanwhile and their delivery waits, then arrives once', async () => {
    const r = await startReceiver({ kind: 'status', status: 200 });
    try {
      await pauseAndResume(r);
    } finally {
      await r.close();
    }
  });

  async function pauseAndResume(r: Receiver): Promise<void> {
    const templateId = uniqueTemplate();
    const created = await createSubscription(stack, { url: r.url, templateIds: [templateId] });
    assert.equal(created.paused, false);
    assert.equal(created.pausedAt, null);

    const paused = await stack.api(`/v1/subscriptions/${created.id}/pause`, { method: 'POST' });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.equal(paused.body.paused, true);
    assert.ok(!Number.isNaN(Date.parse(paused.body.pausedAt)));
    assert.equal(paused.body.enabled, true, 'pause is not disable');
    const again = await stack.api(`/v1/subscriptions/${created.id}/pause`, { method: 'POST' });
    assert.equal(again.status, 200);
    assert.equal(again.body.pausedAt, paused.body.pausedAt, 'pausing again keeps the first pausedAt');

    const eventId = await postEvent(stack, imageCreated({ templateId }));
    // Other subscriptions of this file take every template: this one's delivery is the one to watch.
    const delivery = await eventually(
      () => stack.db.dataSource.getRepository(Delivery).findOneBy({ eventId, subscriptionId: created.id }),
      20_000,
      'the delivery to the paused subscription',
    );
    const parked = await waitForDelivery(stack.db.dataSource, delivery.id, 'paused');
    assert.equal(parked.attemptCount, 0);
    const listed = await stack.api(`/v1/deliveries?subscriptionId=${created.id}&status=paused`);
    assert.deepEqual(
      listed.body.data.map((d: { id: string }) => d.id),
      [delivery.id],
    );
    assert.equal(r.requests.length, 0, 'nothing sent while paused');

    const resumed = await stack.api(`/v1/subscriptions/${created.id}/resume`, { method: 'POST' });
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.paused, false);
    assert.equal(resumed.body.pausedAt, null);
    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded', { attempts: 1 });
    assert.equal((await stack.api(`/v1/subscriptions/${created.id}/resume`, { method: 'POST' })).status, 200, 'resuming again is a no-op');
    await r.waitForRequests(1);
    assert.equal(r.requests.length, 1);
  }

  it('answers 404 with the shared error shape to pause or resume an unknown subscription, and refuses a body', async () => {
    for (const action of ['pause', 'resume']) {
      assertError(await stack.api(`/v1/subscriptions/sub_01JD7X8M5Q4R2Z3TR3V19H6X7K/${action}`, { method: 'POST' }), 404, 'subscription_not_found');
      assertError(await stack.api(`/v1/subscriptions/nonsense/${action}`, { method: 'POST' }), 404, 'subscription_not_found');
    }
    const created = await createSubscription(stack, { url: 'https://hooks.herald.test/pause-body' });
    const res = await stack.api(`/v1/subscriptions/${created.id}/pause`, { method: 'POST', json: { paused: true } });
    assert.ok(res.status >= 400 && res.status < 500, `a body is refused: ${res.status}`);
    assert.equal((await stack.api(`/v1/subscriptions/${created.id}`)).body.paused, false);
  });

  it('takes rateLimitPerSecond 1–10,000 or null on create and PATCH, and refuses anything else with 422', async () => {
    const created = await createSubscription(stack, { url: 'https://hooks.herald.test/throttled', rateLimitPerSecond: 10 });
    assert.equal(created.rateLimitPerSecond, 10);
    assert.equal((await createSubscription(stack, { url: 'https://hooks.herald.test/unlimited' })).rateLimitPerSecond, null);
    for (const value of [1, 10_000]) {
      const ok = await stack.api(`/v1/subscriptions/${created.id}`, { method: 'PATCH', json: { rateLimitPerSecond: value } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.rateLimitPerSecond, value);
    }
    for (const bad of [0, -1, 10_001, 2.5, '5', true, {}]) {
      const onCreate = await stack.api('/v1/subscriptions', {
        method: 'POST',
        json: { url: 'https://hooks.herald.test/bad', eventTypes: ['image.created'], rateLimitPerSecond: bad },
      });
      assertError(onCreate, 422, 'validation_failed');
      assertError(await stack.api(`/v1/subscriptions/${created.id}`, { method: 'PATCH', json: { rateLimitPerSecond: bad } }), 422, 'validation_failed');
    }
    const cleared = await stack.api(`/v1/subscriptions/${created.id}`, { method: 'PATCH', json: { rateLimitPerSecond: null } });
    assert.equal(cleared.body.rateLimitPerSecond, null);
    assert.equal((await stack.api(`/v1/subscriptions/${created.id}`)).body.rateLimitPerSecond, null);
  });
});
