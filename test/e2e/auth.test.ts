/**
 * Authentication of the admin API. Every route of the live OpenAPI document but the probes
 * (/health, /ready) refuses a missing or wrong token (401) and the ingest token everywhere but
 * POST /v1/events (403); tokens are compared in constant time; and a client that keeps failing
 * gets 429 with Retry-After for its failing requests until its window has passed, while a valid
 * token from the same address is never refused.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it, mock } from 'node:test';
import { assertError } from '../support/admin-api';
import { TEST_ADMIN_TOKEN, TEST_INGEST_TOKEN } from '../support/config';
import { reportSecurity } from '../support/load';
import { startStack, type TestStack } from '../support/stack';

/** Every operation of the OpenAPI document; a new route changes this number on purpose. */
const EXPECTED_OPERATIONS = 39;
/** Documented as public (docs/architecture.md, "Admin API", and README): the probes, and the OpenAPI document itself. */
const PUBLIC_OPERATIONS = ['GET /health', 'GET /ready'];

interface Operation {
  method: string;
  path: string;
}

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

async function call(baseUrl: string, op: Operation, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(baseUrl + op.path, { method: op.method, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

function assertUnauthenticated(answer: Answer, what: string): void {
  assertError(answer, 401, 'unauthenticated');
  assert.equal(answer.headers.get('www-authenticate'), 'Bearer', `${what}: WWW-Authenticate`);
}

describe('every route but /health and /ready needs the right token', () => {
  let stack: TestStack;
  let operations: Operation[];
  before(async () => {
    // A limit no test here reaches: this part counts refusals, the next one the limit.
    stack = await startStack({ HERALD_AUTH_FAILURE_LIMIT: '100000' }, { worker: false });
    const doc = await fetch(`${stack.baseUrl}/docs-json`);
    assert.equal(doc.status, 200, 'the OpenAPI document is public');
    const paths = ((await doc.json()) as { paths: Record<string, Record<string, unknown>> }).paths;
    operations = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x') })),
    );
  });
  after(async () => {
    await stack?.stop();
  });

  it(`the OpenAPI document lists the ${EXPECTED_OPERATIONS} operations, the write routes among them`, () => {
    const names = operations.map((o) => `${o.method} ${o.path}`);
    assert.equal(operations.length, EXPECTED_OPERATIONS, names.join('\n'));
    for (const route of [
      'POST /v1/subscriptions',
      'PATCH /v1/subscriptions/x',
      'DELETE /v1/subscriptions/x',
      'POST /v1/subscriptions/x/pause',
      'POST /v1/subscriptions/x/resume',
      'POST /v1/subscriptions/x/rotate-secret',
      'POST /v1/subscriptions/x/test',
      'POST /v1/subscriptions/x/filter-test',
      'POST /v1/event-types',
      'PATCH /v1/event-types/x',
      'POST /v1/event-types/x/archive',
      'POST /v1/events',
      'POST /v1/deliveries/x/retry',
      'POST /v1/deliveries/x/cancel',
      'POST /v1/dead-letters/retry',
      'POST /v1/dead-letters/x/retry',
      'DELETE /v1/dead-letters/x',
      'GET /ready',
      'GET /metrics',
      'PUT /v1/tenants/x',
      'DELETE /v1/tenants/x',
      'POST /v1/tenants/x/portal-sessions',
      'GET /v1/tenants/x/stats',
      'GET /v1/subscriptions/x/stats',
      'GET /v1/subscriptions/x/streams',
      'GET /v1/whoami',
    ]) {
      assert.ok(names.includes(route), `${route} is documented`);
    }
  });

  it('/health, /ready, /docs and /docs-json answer without a token, and with a wrong one', async () => {
    for (const path of ['/health', '/ready', '/docs', '/docs-json']) {
      for (const headers of [{}, bearer('wrong-token-0123456789')]) {
        const res = await fetch(stack.baseUrl + path, { headers });
        assert.equal(res.status, 200, path);
      }
    }
  });

  it('refuses a missing token, a wrong token and another scheme with 401 on every other route', async () => {
    const guarded = operations.filter((o) => !PUBLIC_OPERATIONS.includes(`${o.method} ${o.path}`));
    assert.equal(guarded.length, EXPECTED_OPERATIONS - PUBLIC_OPERATIONS.length);
    for (const op of guarded) {
      const what = `${op.method} ${op.path}`;
      assertUnauthenticated(await call(stack.baseUrl, op, {}), `${what} without a token`);
      assertUnauthenticated(await call(stack.baseUrl, op, bearer('not-the-admin-token-012345')), `${what} with a wrong token`);
      assertUnauthenticated(await call(stack.baseUrl, op, bearer(`${TEST_ADMIN_TOKEN}x`)), `${what} with the admin token and one character more`);
      assertUnauthenticated(
        await call(stack.baseUrl, op, { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` }),
        `${what} with Basic auth`,
      );
      assertUnauthenticated(await call(stack.baseUrl, op, { authorization: TEST_ADMIN_TOKEN }), `${what} with the bare token`);
      // The admin token gets past the guard: the refusals above were the guard's.
      const admitted = await call(stack.baseUrl, op, bearer(TEST_ADMIN_TOKEN));
      assert.ok(![401, 403, 429].includes(admitted.status), `${what} with the admin token: ${admitted.status}`);
    }
    reportSecurity({
      check: 'admin API without the right token',
      cases: guarded.length * 5,
      refused: guarded.length * 5,
      through: 0,
      notes: `${guarded.length} routes (all but /health, /ready and the OpenAPI document) × missing, wrong, one character too long, Basic, bare token → 401; the ingest token → 403 outside POST /v1/events; SHA-256 digests compared with timingSafeEqual; a client failing repeatedly → 429 with Retry-After on its failing requests, a valid token never refused`,
    });
  });

  it('refuses the ingest token with 403 everywhere but POST /v1/events and GET /v1/whoami', async () => {
    const ingestRoutes: string[] = [];
    for (const op of operations.filter((o) => !PUBLIC_OPERATIONS.includes(`${o.method} ${o.path}`))) {
      const answer = await call(stack.baseUrl, op, bearer(TEST_INGEST_TOKEN));
      if (op.method === 'POST' && op.path === '/v1/events') {
        // Past the guard: the empty body is the only thing wrong.
        assertError(answer, 422, 'validation_failed');
        ingestRoutes.push(`${op.method} ${op.path}`);
      } else if (op.method === 'GET' && op.path === '/v1/whoami') {
        assert.deepEqual(answer.body, { kind: 'ingest', tenantId: null, expiresAt: null });
        ingestRoutes.push(`${op.method} ${op.path}`);
      } else {
        assertError(answer, 403, 'forbidden');
      }
    }
    assert.deepEqual(ingestRoutes.sort(), ['GET /v1/whoami', 'POST /v1/events']);
  });

  it('accepts the scheme in any case and surrounding spaces, as RFC 9110 allows', async () => {
    for (const authorization of [`bearer ${TEST_ADMIN_TOKEN}`, `BEARER  ${TEST_ADMIN_TOKEN} `]) {
      assert.equal((await call(stack.baseUrl, { method: 'GET', path: '/v1/subscriptions' }, { authorization })).status, 200, authorization);
    }
  });

  it('compares every configured token as a 32-byte digest with timingSafeEqual, whatever is presented', async () => {
    const safeEqual = mock.method(crypto, 'timingSafeEqual');
    try {
      const presented = [
        'a',
        'not-the-admin-token-012345',
        TEST_ADMIN_TOKEN.slice(0, -1),
        `${TEST_ADMIN_TOKEN}${'x'.repeat(4000)}`,
        TEST_INGEST_TOKEN,
        TEST_ADMIN_TOKEN,
      ];
      for (const token of presented) await call(stack.baseUrl, { method: 'GET', path: '/v1/subscriptions' }, bearer(token));
      const calls = safeEqual.mock.calls.filter((c) => (c.arguments as unknown as Buffer[]).every((b) => Buffer.isBuffer(b) && b.length === 32));
      // Two tokens configured (admin, ingest): both compared for every request, even after a match.
      assert.equal(calls.length, presented.length * 2);
      assert.equal(safeEqual.mock.calls.length, calls.length, 'no comparison of raw, unequal-length tokens');
    } finally {
      safeEqual.mock.restore();
    }
  });
});

describe('a client that keeps failing is rate limited', () => {
  const LIMIT = 5;
  const WINDOW_SECONDS = 2;
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ HERALD_AUTH_FAILURE_LIMIT: String(LIMIT), HERALD_AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS) }, { worker: false });
  });
  after(async () => {
    await stack?.stop();
  });

  /** The API trusts X-Forwarded-For from loopback (a local proxy), so each test client has an address of its own. */
  const as = (client: string, headers: Record<string, string> = {}): Record<string, string> => ({ 'x-forwarded-for': client, ...headers });
  const get = (headers: Record<string, string>, path = '/v1/subscriptions'): Promise<Answer> => call(stack.baseUrl, { method: 'GET', path }, headers);

  function assertRateLimited(answer: Answer): number {
    const error = assertError(answer, 429, 'rate_limited');
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_SECONDS, `Retry-After ${answer.headers.get('retry-after')}`);
    assert.equal(error.details.retryAfterSeconds, retryAfter);
    return retryAfter;
  }

  it(`answers 429 with Retry-After to the failing requests of a client past ${LIMIT} failures, until the window passes`, async () => {
    const attacker = '203.0.113.10';
    for (let i = 0; i < LIMIT; i++) assertUnauthenticated(await get(as(attacker, bearer(`guess-${i}-0123456789abcdef`))), `guess ${i}`);
    let retryAfter = assertRateLimited(await get(as(attacker, bearer('guess-next-0123456789abcdef'))));
    assertRateLimited(await get(as(attacker)));
    assertRateLimited(await call(stack.baseUrl, { method: 'POST', path: '/v1/events' }, as(attacker, bearer('guess-ingest-0123456789abcdef'))));
    // The probes stay public.
    assert.equal((await fetch(`${stack.baseUrl}/health`, { headers: as(attacker) })).status, 200);
    assert.equal((await fetch(`${stack.baseUrl}/ready`, { headers: as(attacker) })).status, 200);

    // Another client is not affected.
    const operator = '203.0.113.20';
    assert.equal((await get(as(operator, bearer(TEST_ADMIN_TOKEN)))).status, 200);
    assertUnauthenticated(await get(as(operator, bearer('one-typo-0123456789abcdef'))), 'one failure of another client');

    // After Retry-After the window has passed: a wrong token is a 401 again.
    retryAfter = assertRateLimited(await get(as(attacker, bearer('guess-late-0123456789abcdef'))));
    await sleep(retryAfter * 1000 + 100);
    assertUnauthenticated(await get(as(attacker, bearer('guess-again-0123456789abcdef'))), 'a failure in a new window');
  });

  it('never refuses a valid token, even from an address past the limit', async () => {
    const shared = '203.0.113.40';
    for (let i = 0; i < LIMIT * 2; i++) await get(as(shared, bearer(`guess-${i}-0123456789abcdef`)));
    assertRateLimited(await get(as(shared, bearer('guess-more-0123456789abcdef'))));
    // The operator behind the same address (a NAT, a proxy) keeps working, with either token.
    assert.equal((await get(as(shared, bearer(TEST_ADMIN_TOKEN)))).status, 200);
    assert.equal((await get(as(shared, bearer(TEST_ADMIN_TOKEN)), '/ready')).status, 200);
    assertError(await call(stack.baseUrl, { method: 'POST', path: '/v1/events' }, as(shared, bearer(TEST_INGEST_TOKEN))), 422, 'validation_failed');
    assertError(await get(as(shared, bearer(TEST_INGEST_TOKEN))), 403, 'forbidden');
    // …while its guesses are still slowed.
    assertRateLimited(await get(as(shared, bearer('guess-after-0123456789abcdef'))));
  });

  it('does not count probes without a token as failures: a tokenless readiness poller never locks its address out', async () => {
    const poller = '203.0.113.50';
    for (let i = 0; i < LIMIT * 4; i++) assert.equal((await fetch(`${stack.baseUrl}/ready`, { headers: as(poller) })).status, 200, `probe ${i}`);
    for (let i = 0; i < LIMIT - 1; i++) assertUnauthenticated(await get(as(poller, bearer('wrong-0123456789abcdef'))), `failure ${i}`);
    assertUnauthenticated(await get(as(poller, bearer('wrong-last-0123456789abcdef'))), 'the last failure within the limit');
  });

  it('counts only failed authentications: refused scopes and successes do not lock a client out', async () => {
    const client = '203.0.113.30';
    for (let i = 0; i < LIMIT * 2; i++) {
      assertError(await get(as(client, bearer(TEST_INGEST_TOKEN))), 403, 'forbidden');
      assert.equal((await get(as(client, bearer(TEST_ADMIN_TOKEN)))).status, 200);
    }
    for (let i = 0; i < LIMIT - 1; i++) assertUnauthenticated(await get(as(client, bearer('wrong-0123456789abcdef'))), `failure ${i}`);
    assert.equal((await get(as(client, bearer(TEST_ADMIN_TOKEN)))).status, 200, 'one failure short of the limit');
  });

  it('limits a client connecting directly (no proxy) by its own address', async () => {
    for (let i = 0; i < LIMIT; i++) assertUnauthenticated(await get({}), `attempt ${i}`);
    const retryAfter = assertRateLimited(await get({}));
    assert.equal((await get(bearer(TEST_ADMIN_TOKEN))).status, 200, 'a valid token meanwhile');
    await sleep(retryAfter * 1000 + 100);
    assertUnauthenticated(await get({}), 'a failure in a new window');
  });
});
