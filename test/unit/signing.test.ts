import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateSecret, isValidSecret, sign, signatureHeaders } from '../../libs/delivery/signing';

const body = JSON.stringify({ image_url: 'https://cdn.example/i.png', status: 'completed', user_defined: { auth: 'test' } });

describe('signing secrets', () => {
  it('are generated as whsec_ plus base64 of 32 random bytes', () => {
    const secret = generateSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
    assert.ok(isValidSecret(secret));
    assert.notEqual(generateSecret(), secret);
  });

  it('are accepted from 24 to 64 bytes, as the spec bounds them', () => {
    const of = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;
    assert.ok(isValidSecret(of(24)));
    assert.ok(isValidSecret(of(64)));
    assert.ok(isValidSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), 'a Svix-issued secret');
    assert.ok(!isValidSecret(of(23)));
    assert.ok(!isValidSecret(of(65)));
  });

  it('are refused without the prefix or with anything but canonical base64', () => {
    for (const bad of [
      '',
      'whsec_',
      randomBytes(32).toString('base64'),
      `WHSEC_${randomBytes(32).toString('base64')}`,
      `whsec_${randomBytes(32).toString('base64url')}`,
      `whsec_${randomBytes(32).toString('base64')} `,
      `whsec_${randomBytes(32).toString('base64').replace('=', '')}`,
      'whsec_not base64 at all, but long enough to decode to something',
    ]) {
      assert.equal(isValidSecret(bad), false, JSON.stringify(bad));
    }
  });
});

describe('sign', () => {
  it('matches the Svix/Standard Webhooks reference vector', () => {
    assert.equal(
      sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('changes with the id, the timestamp and every byte of the body', () => {
    const secret = generateSecret();
    const base = sign(secret, 'dlv_1', 1_700_000_000, body);
    assert.notEqual(sign(secret, 'dlv_2', 1_700_000_000, body), base);
    assert.notEqual(sign(secret, 'dlv_1', 1_700_000_001, body), base);
    assert.notEqual(sign(secret, 'dlv_1', 1_700_000_000, `${body} `), base);
    assert.notEqual(sign(generateSecret(), 'dlv_1', 1_700_000_000, body), base);
  });

  it('refuses an invalid secret or a fractional timestamp instead of signing with garbage', () => {
    assert.throws(() => sign('not-a-secret', 'dlv_1', 1_700_000_000, body), TypeError);
    assert.throws(() => sign(generateSecret(), 'dlv_1', 1_700_000_000.5, body), TypeError);
  });
});

describe('signature headers, checked by the standardwebhooks verifier', () => {
  it('are accepted by a receiver holding the secret', () => {
    const secret = generateSecret();
    const headers = signatureHeaders({ webhookId: 'dlv_01HZY', timestamp: new Date(), body, secrets: [secret] });
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  });

  it('carry the id, whole unix seconds and one v1 signature', () => {
    const at = new Date('2025-01-02T03:04:05.678Z');
    const headers = signatureHeaders({ webhookId: 'dlv_01HZY', timestamp: at, body, secrets: [generateSecret()] });
    assert.deepEqual(Object.keys(headers), ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    assert.equal(headers['webhook-id'], 'dlv_01HZY');
    assert.equal(headers['webhook-timestamp'], '1735787045');
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('sign with both secrets during a rotation, current first, each verifying on its own', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const headers = signatureHeaders({ webhookId: 'dlv_rot', timestamp: new Date(), body, secrets: [current, previous] });
    const signatures = headers['webhook-signature'].split(' ');
    assert.equal(signatures.length, 2);
    assert.equal(signatures[0], sign(current, 'dlv_rot', Number(headers['webhook-timestamp']), body));
    assert.equal(signatures[1], sign(previous, 'dlv_rot', Number(headers['webhook-timestamp']), body));
    assert.doesNotThrow(() => new Webhook(current).verify(body, { ...headers }));
    assert.doesNotThrow(() => new Webhook(previous).verify(body, { ...headers }));
    assert.throws(() => new Webhook(generateSecret()).verify(body, { ...headers }), WebhookVerificationError);
  });

  it('are rejected for a tampered body, id or timestamp', () => {
    const secret = generateSecret();
    const now = new Date();
    const headers = signatureHeaders({ webhookId: 'dlv_1', timestamp: now, body, secrets: [secret] });
    const wh = new Webhook(secret);
    assert.throws(() => wh.verify(body.replace('completed', 'failed'), { ...headers }), WebhookVerificationError);
    assert.throws(() => wh.verify(body, { ...headers, 'webhook-id': 'dlv_2' }), WebhookVerificationError);
    assert.throws(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }), WebhookVerificationError);
  });

  it('sign once when the same secret is given twice, and never with none', () => {
    const secret = generateSecret();
    const headers = signatureHeaders({ webhookId: 'dlv_1', timestamp: new Date(), body, secrets: [secret, secret] });
    assert.equal(headers['webhook-signature'].split(' ').length, 1);
    assert.throws(() => signatureHeaders({ webhookId: 'dlv_1', timestamp: new Date(), body, secrets: [] }), TypeError);
  });
});
