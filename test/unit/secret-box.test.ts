import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSecretBox, keyId, SecretBoxError } from '../../libs/delivery/secret-box';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('secret box', () => {
  it('opens what it sealed, unicode included', () => {
    const box = createSecretBox({ current: keyA });
    assert.equal(box.open(box.seal(secret)), secret);
    const request = JSON.stringify({ headers: { authorization: 'Bearer t' }, body: '{"user_defined":{"note":"café ☕"}}' });
    assert.equal(box.open(box.seal(request)), request);
    assert.equal(box.open(box.seal('')), '');
  });

  it('writes v1.<keyId>.<iv>.<ciphertext>, with the key id derived from the key and the plaintext not visible', () => {
    const sealed = createSecretBox({ current: keyA }).seal(secret);
    const [version, id, iv, body] = sealed.split('.');
    assert.equal(version, 'v1');
    assert.equal(id, createHash('sha256').update(keyA).digest('hex').slice(0, 8));
    assert.equal(id, keyId(keyA));
    assert.equal(Buffer.from(iv, 'base64url').length, 12);
    assert.equal(Buffer.from(body, 'base64url').length, Buffer.byteLength(secret) + 16, 'ciphertext + 16-byte tag');
    assert.match(sealed, /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes('MfKQ9r8G'));
  });

  it('uses a fresh iv every time: sealing twice gives two different values', () => {
    const box = createSecretBox({ current: keyA });
    const values = new Set(Array.from({ length: 100 }, () => box.seal(secret)));
    assert.equal(values.size, 100);
  });

  it('still opens values sealed with the previous key after a rotation, and seals with the new one', () => {
    const before = createSecretBox({ current: keyA });
    const old = before.seal(secret);
    const after = createSecretBox({ current: keyB, previous: keyA });
    assert.equal(after.open(old), secret);
    const fresh = after.seal(secret);
    assert.equal(fresh.split('.')[1], keyId(keyB));
    assert.throws(
      () => before.open(fresh),
      (err: Error) => err instanceof SecretBoxError && err.message.includes(keyId(keyB)),
    );
  });

  it('refuses a value sealed with a key it does not hold', () => {
    const sealed = createSecretBox({ current: keyA }).seal(secret);
    assert.throws(() => createSecretBox({ current: keyB }).open(sealed), SecretBoxError);
  });

  it('detects tampering with the ciphertext, the iv or the key id', () => {
    const box = createSecretBox({ current: keyA, previous: keyB });
    const [version, id, iv, body] = box.seal(secret).split('.');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64url');
      bytes[0] ^= 1;
      return bytes.toString('base64url');
    };
    assert.throws(() => box.open([version, id, iv, flip(body)].join('.')), /failed authentication/);
    assert.throws(() => box.open([version, id, flip(iv), body].join('.')), /failed authentication/);
    assert.throws(() => box.open([version, keyId(keyB), iv, body].join('.')), /failed authentication/, 'relabelled with another key id');
  });

  it('refuses malformed values with a SecretBoxError', () => {
    const box = createSecretBox({ current: keyA });
    const id = keyId(keyA);
    for (const bad of [
      '',
      secret,
      'v2.a.b.c',
      `v1.${id}.abc`,
      `v1.${id}.${Buffer.alloc(12).toString('base64url')}.AAAA`,
      `v1.${id}.AAAA.${Buffer.alloc(32).toString('base64url')}`,
    ]) {
      assert.throws(() => box.open(bad), SecretBoxError, bad);
    }
  });

  it('refuses keys that are not 32 bytes', () => {
    assert.throws(() => createSecretBox({ current: randomBytes(16) }), /current secret key must be 32 bytes/);
    assert.throws(() => createSecretBox({ current: keyA, previous: randomBytes(31) }), /previous secret key must be 32 bytes/);
  });
});
