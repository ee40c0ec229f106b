import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consoleHeaders } from '../../apps/api/src/console/console';
import { ConfigError, loadConfig } from '../../libs/config/config';

const valid = {
  DATABASE_URL: 'postgres://u:p@localhost:5432/herald',
  HERALD_ADMIN_TOKEN: 'a'.repeat(24),
  HERALD_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe("the console's security headers", () => {
  it('forbid framing, inline script and foreign origins by default', () => {
    const h = consoleHeaders(loadConfig(valid).console.frameAncestors);
    const csp = h['content-security-policy'];
    for (const d of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ])
      assert.ok(csp.includes(d), d);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(h['x-frame-options'], 'DENY');
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
  });

  it('let the origins in HERALD_CONSOLE_FRAME_ANCESTORS embed it, and drop X-Frame-Options then', () => {
    const c = loadConfig({ ...valid, HERALD_CONSOLE_FRAME_ANCESTORS: 'https://app.example.com, https://*.example.org:8443' });
    assert.deepEqual(c.console.frameAncestors, ['https://app.example.com', 'https://*.example.org:8443']);
    const h = consoleHeaders(c.console.frameAncestors);
    assert.match(h['content-security-policy'], /frame-ancestors https:\/\/app\.example\.com https:\/\/\*\.example\.org:8443(;|$)/);
    assert.equal(h['x-frame-options'], undefined);
  });

  it('refuse a frame-ancestors value that is not an origin (no directive injection)', () => {
    for (const bad of ['*', 'https://a.example.com; script-src *', 'javascript:alert(1)', 'app.example.com', "'unsafe-inline'"]) {
      assert.throws(
        () => loadConfig({ ...valid, HERALD_CONSOLE_FRAME_ANCESTORS: bad }),
        (err: unknown) => err instanceof ConfigError && /HERALD_CONSOLE_FRAME_ANCESTORS/.test(err.message),
        bad,
      );
    }
  });
});
