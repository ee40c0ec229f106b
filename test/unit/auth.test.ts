/**
 * Token comparison of the admin API's AuthGuard: correct for every kind of input, and always a
 * timingSafeEqual over two 32-byte digests, whatever the lengths of the tokens compared.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterEach, describe, it, mock } from 'node:test';
import { tokensEqual } from '../../apps/api/src/common/auth';
import { ConfigError, loadConfig } from '../../libs/config/config';

const TOKEN = 'test-admin-token-0123456789';

describe('tokensEqual', () => {
  afterEach(() => mock.restoreAll());

  const cases: [string, string, string, boolean][] = [
    ['the same token', TOKEN, TOKEN, true],
    ['a different token of the same length', TOKEN.replace(/9$/, '8'), TOKEN, false],
    ['a prefix', TOKEN.slice(0, -1), TOKEN, false],
    ['a longer token', `${TOKEN}0`, TOKEN, false],
    ['another case', TOKEN.toUpperCase(), TOKEN, false],
    ['empty against a token', '', TOKEN, false],
    ['empty against empty', '', '', true],
    ['the same unicode token', 'clé-\u{1F511}-\u05D0', 'clé-\u{1F511}-\u05D0', true],
    ['unicode told apart by normalisation (NFC vs NFD)', 'cl\u00e9', 'cle\u0301', false],
    ['a token with a NUL inside', `${TOKEN}\u0000`, TOKEN, false],
  ];
  for (const [name, presented, expected, equal] of cases) {
    it(`${name} → ${equal}`, () => {
      assert.equal(tokensEqual(presented, expected), equal);
    });
  }

  it('always compares two 32-byte digests with timingSafeEqual, so no length leaks', () => {
    const safeEqual = mock.method(crypto, 'timingSafeEqual');
    for (const [, presented, expected] of cases) tokensEqual(presented, expected);
    tokensEqual('x'.repeat(10_000), TOKEN);
    assert.equal(safeEqual.mock.callCount(), cases.length + 1);
    for (const call of safeEqual.mock.calls) {
      const [a, b] = call.arguments as unknown as [Buffer, Buffer];
      assert.ok(Buffer.isBuffer(a) && Buffer.isBuffer(b));
      assert.equal(a.length, 32);
      assert.equal(b.length, 32);
    }
  });
});

describe('authentication failure limit configuration', () => {
  const env = { DATABASE_URL: 'postgres://u:p@localhost:5432/herald', HERALD_ADMIN_TOKEN: TOKEN, HERALD_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') };

  it('defaults to 20 failures a minute', () => {
    assert.deepEqual(loadConfig(env).api.authFailures, { limit: 20, windowMs: 60_000 });
  });

  it('takes a limit and a window in seconds', () => {
    assert.deepEqual(loadConfig({ ...env, HERALD_AUTH_FAILURE_LIMIT: '5', HERALD_AUTH_FAILURE_WINDOW_SECONDS: '2' }).api.authFailures, {
      limit: 5,
      windowMs: 2_000,
    });
  });

  it('refuses a limit or window that is not a positive integer', () => {
    assert.throws(
      () => loadConfig({ ...env, HERALD_AUTH_FAILURE_LIMIT: '0' }),
      (err: unknown) => err instanceof ConfigError && /HERALD_AUTH_FAILURE_LIMIT/.test(err.message),
    );
    assert.throws(
      () => loadConfig({ ...env, HERALD_AUTH_FAILURE_WINDOW_SECONDS: 'soon' }),
      (err: unknown) => err instanceof ConfigError && /HERALD_AUTH_FAILURE_WINDOW_SECONDS/.test(err.message),
    );
  });
});
