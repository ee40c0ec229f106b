import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { prepareRequest } from '../../libs/delivery/attempt';
import {
  hasPlaintextValues,
  maskHeaderValue,
  maskHeaderValues,
  openHeaderValues,
  sealHeaderValues,
  sealPlaintextValues,
} from '../../libs/delivery/header-values';
import { validateCustomHeaders } from '../../libs/delivery/headers';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { createSecretBox, isSealed, SecretBoxError } from '../../libs/delivery/secret-box';
import { generateSecret } from '../../libs/delivery/signing';

const box = createSecretBox({ current: randomBytes(32) });
const seal = (v: string) => box.seal(v);
const open = (v: string) => box.open(v);
const given = { Authorization: 'Bearer sk_live_51Hx9f3a', 'X-Customer-Id': 'acme', 'X-Empty': '', 'X-Five': '12345' };

describe('custom header values at rest', () => {
  it('seals every value, keeps the names, and opens back to what was given', () => {
    const stored = sealHeaderValues(given, seal);
    assert.deepEqual(Object.keys(stored), Object.keys(given));
    for (const [name, value] of Object.entries(stored)) {
      assert.ok(isSealed(value), name);
      if (given[name as keyof typeof given]) assert.ok(!value.includes(given[name as keyof typeof given]), `${name} is not readable`);
    }
    assert.deepEqual(openHeaderValues(stored, open), given);
    assert.equal(hasPlaintextValues(stored), false);
  });

  it('reads a legacy plaintext value as it is, and seals only those', () => {
    const sealedOne = seal('Bearer t0ken-xyz');
    const legacy = { Authorization: sealedOne, 'X-Old': 'plain-value' };
    assert.equal(hasPlaintextValues(legacy), true);
    assert.deepEqual(openHeaderValues(legacy, open), { Authorization: 'Bearer t0ken-xyz', 'X-Old': 'plain-value' });
    assert.deepEqual(maskHeaderValues(legacy, open), { Authorization: '••••-xyz', 'X-Old': '••••alue' });
    const swept = sealPlaintextValues(legacy, seal);
    assert.equal(swept.Authorization, sealedOne, 'an already sealed value is kept as it is');
    assert.ok(isSealed(swept['X-Old']));
    assert.deepEqual(openHeaderValues(swept, open), { Authorization: 'Bearer t0ken-xyz', 'X-Old': 'plain-value' });
  });

  it('masks with the last 4 characters, and whole when a value has 4 or fewer', () => {
    assert.equal(maskHeaderValue('Bearer sk_live_51Hx9f3a'), '••••9f3a');
    assert.equal(maskHeaderValue('12345'), '••••2345');
    assert.equal(maskHeaderValue('acme'), '••••');
    assert.equal(maskHeaderValue('a'), '••••');
    assert.equal(maskHeaderValue(''), '••••');
    assert.deepEqual(maskHeaderValues(sealHeaderValues(given, seal), open), {
      Authorization: '••••9f3a',
      'X-Customer-Id': '••••',
      'X-Empty': '••••',
      'X-Five': '••••2345',
    });
  });

  it('refuses a masked value sent back as if it were the value', () => {
    const problems = validateCustomHeaders({ Authorization: '••••9f3a' });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /Authorization.*masked value.*write-only/);
  });

  it('tells sealed values from plaintext by shape', () => {
    assert.ok(isSealed(seal('')));
    for (const plain of ['', 'v1.', 'v1.abc.def.ghi', 'Bearer v1.0011aabb.AAAAAAAAAAAAAAAA.x', seal('x').replace('v1.', 'v2.'), `${seal('x')}\n`])
      assert.equal(isSealed(plain), false, plain);
  });

  it('a value that looks sealed but does not open fails the request instead of being sent as it is', () => {
    const foreign = createSecretBox({ current: randomBytes(32) }).seal('other key');
    assert.throws(() => openHeaderValues({ 'X-A': foreign }, open), SecretBoxError);
  });

  it('prepareRequest sends the opened values, from sealed and legacy rows alike', () => {
    const subscription = {
      url: 'https://hooks.example.com/h',
      payloadFormat: 'flat' as const,
      userDefined: {},
      headers: { ...sealHeaderValues({ Authorization: 'Bearer sealed-token' }, seal), 'X-Legacy': 'legacy-token' },
      secretCiphertext: seal(generateSecret()),
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
    };
    const event = { id: 'evt_1', type: 'image.created', templateId: null, traceId: null, data: { ...SAMPLE_IMAGE_CREATED }, receivedAt: new Date() };
    const request = prepareRequest({ subscription, event, webhookId: 'dlv_1', attemptNumber: 1, now: new Date(), open, version: 'test' });
    assert.equal(request.headers.Authorization, 'Bearer sealed-token');
    assert.equal(request.headers['X-Legacy'], 'legacy-token');
  });
});
