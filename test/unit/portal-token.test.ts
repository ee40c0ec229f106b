/**
 * Portal-session tokens: signed with a key derived from HERALD_SECRET_KEY, still verified after
 * the key is rotated (HERALD_SECRET_KEY_PREVIOUS), refused when expired, altered or foreign.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PortalTokens } from '../../apps/api/src/common/portal-token';
import { loadConfig } from '../../libs/config/config';

const now = new Date('2026-01-01T12:00:00Z');
const claims = { tenantId: 'ws_4821', tenantCreatedAt: Date.parse('2025-12-01T00:00:00.123Z'), issuedAt: now, expiresAt: new Date(now.getTime() + 3600_000) };

describe('portal-session tokens', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('round-trips the claims and never contains the secret key', () => {
    const tokens = new PortalTokens({ current: oldKey });
    const token = tokens.issue(claims);
    assert.match(token, /^hpt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.ok(!token.includes(oldKey.toString('base64url')));
    assert.deepEqual(tokens.verify(token, now), claims);
  });

  it('keeps verifying tokens of the previous key after a rotation, and signs with the new one', () => {
    const before = new PortalTokens({ current: oldKey }).issue(claims);
    const rotated = new PortalTokens({ current: newKey, previous: oldKey });
    assert.deepEqual(rotated.verify(before, now), claims);
    const after = rotated.issue(claims);
    assert.equal(new PortalTokens({ current: oldKey }).verify(after, now), undefined, 'signed with the new key');
    assert.equal(new PortalTokens({ current: newKey }).verify(before, now), undefined, 'once the previous key is dropped, its tokens stop');
  });

  it('refuses expired, altered and foreign tokens', () => {
    const tokens = new PortalTokens({ current: oldKey });
    const token = tokens.issue(claims);
    assert.equal(tokens.verify(token, claims.expiresAt), undefined, 'expired at expiresAt');
    assert.equal(new PortalTokens({ current: newKey }).verify(token, now), undefined);
    const [body, sig] = token.split('.');
    const payload = JSON.parse(Buffer.from(body.slice(4), 'base64url').toString()) as Record<string, unknown>;
    for (const bad of [
      `hpt_${Buffer.from(JSON.stringify({ ...payload, tid: 'other' })).toString('base64url')}.${sig}`,
      `${body}.${sig}x`,
      `${body}.`,
      body,
      `hpx_${token.slice(4)}`,
      `${token}.${sig}`,
      '',
      'hpt_',
      `hpt_${'a'.repeat(2000)}.${sig}`,
    ])
      assert.equal(tokens.verify(bad, now), undefined, bad);
  });

  it('derives its key with HKDF: a token is not an HMAC under HERALD_SECRET_KEY itself', async () => {
    const { createHmac } = await import('node:crypto');
    const token = new PortalTokens({ current: oldKey }).issue(claims);
    const [body, sig] = token.split('.');
    assert.notEqual(createHmac('sha256', oldKey).update(body).digest('base64url'), sig);
  });
});

describe('HERALD_PUBLIC_URL', () => {
  const env = {
    DATABASE_URL: 'postgres://u:p@localhost:5432/herald',
    HERALD_ADMIN_TOKEN: 'test-admin-token-0123456789',
    HERALD_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
  };

  it('defaults to http://localhost:<port> and drops a trailing slash', () => {
    assert.equal(loadConfig(env).api.publicUrl, 'http://localhost:3000');
    assert.equal(loadConfig({ ...env, HERALD_API_PORT: '8080' }).api.publicUrl, 'http://localhost:8080');
    assert.equal(loadConfig({ ...env, HERALD_PUBLIC_URL: 'https://herald.example.com/' }).api.publicUrl, 'https://herald.example.com');
  });

  it('must be an http(s) URL', () => {
    assert.throws(() => loadConfig({ ...env, HERALD_PUBLIC_URL: 'ftp://herald.example.com' }), /HERALD_PUBLIC_URL/);
    assert.throws(() => loadConfig({ ...env, HERALD_PUBLIC_URL: 'herald.example.com' }), /HERALD_PUBLIC_URL/);
  });
});
