import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { prepareRequest, sendRequest, type AttemptSubscription } from '../../libs/delivery/attempt';
import type { HttpSender, OutgoingRequest } from '../../libs/delivery/http-sender';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { sentRequest } from '../../libs/delivery/sent-request';
import { createSecretBox } from '../../libs/delivery/secret-box';
import { generateSecret } from '../../libs/delivery/signing';

const box = createSecretBox({ current: randomBytes(32) });
const seal = (v: string) => box.seal(v);
const open = (v: string) => box.open(v);

function subscription(overrides: Partial<AttemptSubscription> = {}): AttemptSubscription {
  return {
    url: 'https://hooks.example.com/h',
    payloadFormat: 'flat',
    userDefined: { team: 'imaging' },
    headers: { Authorization: seal('Bearer s3cr3t-token-abcd'), 'X-Env': seal('prod') },
    secretCiphertext: seal(generateSecret()),
    previousSecretCiphertext: null,
    previousSecretExpiresAt: null,
    ...overrides,
  };
}

const event = {
  id: 'evt_1',
  type: 'image.created',
  templateId: null,
  traceId: null,
  traceparent: null,
  data: { ...SAMPLE_IMAGE_CREATED },
  receivedAt: new Date(),
};

describe("an attempt's record of what it sent", () => {
  it('keeps the public headers as sent, masks custom values and signatures, and keeps the body as hash and size', () => {
    const request = prepareRequest({ subscription: subscription(), event, webhookId: 'dlv_1', attemptNumber: 2, now: new Date(), open, version: '1.2.3' });
    const sent = sentRequest(request);
    assert.equal(sent.headers['user-agent'], 'Herald/1.2.3');
    assert.equal(sent.headers['webhook-id'], 'dlv_1');
    assert.equal(sent.headers['webhook-timestamp'], request.headers['webhook-timestamp']);
    assert.equal(sent.headers['x-herald-attempt'], '2');
    assert.equal(sent.headers.Authorization, '••••abcd');
    assert.equal(sent.headers['X-Env'], '••••', 'a value of 4 characters or fewer is masked whole');
    assert.equal(sent.headers['webhook-signature'], `v1,••••${request.headers['webhook-signature'].slice(-4)}`);
    assert.deepEqual(Object.keys(sent.headers).sort(), Object.keys(request.headers).sort(), 'every header, by name');
    assert.equal(sent.bodySha256, createHash('sha256').update(request.body).digest('hex'));
    assert.equal(sent.bodyBytes, Buffer.byteLength(request.body));
    assert.deepEqual(sent.signatureKeyIds, ['current']);
    assert.ok(!JSON.stringify(sent).includes('s3cr3t-token'), 'no custom header value in clear');
    assert.ok(!JSON.stringify(sent).includes('imaging'), 'nothing of the body in clear');
  });

  it("keeps a fifo delivery's place in its stream as sent: receivers check it for gaps and duplicates", () => {
    const request = prepareRequest({
      subscription: subscription(),
      event,
      webhookId: 'dlv_1',
      attemptNumber: 1,
      now: new Date(),
      open,
      version: '1',
      stream: { key: 'vid_42', sequence: 12345 },
    });
    const sent = sentRequest(request);
    assert.equal(sent.headers['x-herald-ordering-key'], 'vid_42');
    assert.equal(sent.headers['x-herald-sequence'], '12345');
  });

  it('names both keys while a rotated-out secret still signs, and the current one alone after it expired', () => {
    const now = new Date();
    const rotating = subscription({ previousSecretCiphertext: seal(generateSecret()), previousSecretExpiresAt: new Date(now.getTime() + 60_000) });
    const both = sentRequest(prepareRequest({ subscription: rotating, event, webhookId: 'dlv_1', attemptNumber: 1, now, open, version: '1' }));
    assert.deepEqual(both.signatureKeyIds, ['current', 'previous']);
    assert.equal(both.headers['webhook-signature'].split(' ').length, 2);
    assert.match(both.headers['webhook-signature'], /^v1,••••\S{4} v1,••••\S{4}$/);
    const expired = { ...rotating, previousSecretExpiresAt: new Date(now.getTime() - 1) };
    assert.deepEqual(
      sentRequest(prepareRequest({ subscription: expired, event, webhookId: 'dlv_1', attemptNumber: 1, now, open, version: '1' })).signatureKeyIds,
      ['current'],
    );
    // A request sealed before key ids were kept: the signing order tells them.
    assert.deepEqual(sentRequest({ headers: { 'webhook-signature': 'v1,aaaa v1,bbbb' }, body: '{}' }).signatureKeyIds, ['current', 'previous']);
  });

  it('comes back with the outcome of the send, from the very request the sender got', async () => {
    const got: OutgoingRequest[] = [];
    const sender: HttpSender = {
      send: async (req) => {
        got.push(req);
        return { ok: false, statusCode: 503, errorKind: 'http_status', error: 'HTTP 503', durationMs: 12, responseExcerpt: 'down' };
      },
      close: async () => undefined,
    };
    const request = prepareRequest({ subscription: subscription(), event, webhookId: 'dlv_1', attemptNumber: 1, now: new Date(), open, version: '1' });
    const outcome = await sendRequest(sender, 'https://hooks.example.com/h', request);
    assert.equal(got.length, 1);
    assert.deepEqual(Object.keys(got[0]), ['url', 'headers', 'body'], 'the key ids are not sent');
    assert.deepEqual(outcome.request, sentRequest(request));
    assert.equal(outcome.request!.bodySha256, createHash('sha256').update(got[0].body).digest('hex'));
  });
});
