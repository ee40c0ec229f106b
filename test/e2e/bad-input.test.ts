/**
 * Every kind of bad input gets a 4xx in the one error shape `{ error: { code, message, details } }`
 * — never a 500 — and the API keeps answering afterwards. This stack has no SSRF allowlist and no
 * plain http, as in production.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { assertError, createSubscription, imageCreated } from '../support/admin-api';
import { TEST_ADMIN_TOKEN, TEST_INGEST_TOKEN } from '../support/config';
import { startStack, type TestStack } from '../support/stack';

type Token = 'admin' | 'ingest' | 'none' | 'wrong' | 'basic';

interface Row {
  name: string;
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `{sub}` is an existing subscription's id. */
  path: string;
  json?: unknown;
  /** A body sent as is, with `content-type: application/json` unless `headers` say otherwise. */
  raw?: string;
  headers?: Record<string, string>;
  token?: Token;
  status: number;
  /** The error code; absent for the rows that must succeed. */
  code?: string;
  /** Must not appear anywhere in the answer. */
  secret?: string;
}

const UNKNOWN = '01JD7X8M5Q4R2Z3TR3V19H6X7K';
const cursorOf = (id: string): string => Buffer.from(id).toString('base64url');
const sub = (fields: Record<string, unknown>): Record<string, unknown> => ({ url: 'https://hooks.herald.test/x', eventTypes: ['image.created'], ...fields });
const event = (fields: Record<string, unknown> = {}, data: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...imageCreated(),
  ...fields,
  data: { ...structuredClone(SAMPLE_IMAGE_CREATED), ...data },
});
const LEAKY_SECRET = 'whsec_not-base64-at-all!!';

const ROWS: Row[] = [
  // Malformed and mistyped bodies
  {
    name: 'malformed JSON (subscription)',
    method: 'POST',
    path: '/v1/subscriptions',
    raw: '{"url": "https://hooks.herald.test/x",',
    status: 400,
    code: 'malformed_json',
  },
  { name: 'malformed JSON (event)', method: 'POST', path: '/v1/events', raw: '{"type": image.created}', status: 400, code: 'malformed_json' },
  { name: 'a JSON array as the body', method: 'POST', path: '/v1/subscriptions', json: [sub({})], status: 422, code: 'validation_failed' },
  {
    name: 'a body that is not JSON',
    method: 'POST',
    path: '/v1/subscriptions',
    raw: 'url=https://hooks.herald.test',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'no body at all', method: 'POST', path: '/v1/subscriptions', status: 422, code: 'validation_failed' },
  { name: 'url of the wrong type', method: 'POST', path: '/v1/subscriptions', json: sub({ url: 42 }), status: 422, code: 'validation_failed' },
  {
    name: 'eventTypes not an array',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ eventTypes: 'image.created' }),
    status: 422,
    code: 'validation_failed',
  },
  { name: 'eventTypes empty', method: 'POST', path: '/v1/subscriptions', json: sub({ eventTypes: [] }), status: 422, code: 'validation_failed' },
  {
    name: 'eventTypes missing',
    method: 'POST',
    path: '/v1/subscriptions',
    json: { url: 'https://hooks.herald.test/x' },
    status: 422,
    code: 'validation_failed',
  },
  { name: 'enabled as a string', method: 'POST', path: '/v1/subscriptions', json: sub({ enabled: 'yes' }), status: 422, code: 'validation_failed' },
  { name: 'an unknown field', method: 'POST', path: '/v1/subscriptions', json: sub({ retries: 10 }), status: 422, code: 'validation_failed' },
  { name: 'an unknown payload format', method: 'POST', path: '/v1/subscriptions', json: sub({ payloadFormat: 'xml' }), status: 422, code: 'validation_failed' },
  { name: 'templateIds with an empty id', method: 'POST', path: '/v1/subscriptions', json: sub({ templateIds: [''] }), status: 422, code: 'validation_failed' },
  { name: 'userDefined as an array', method: 'POST', path: '/v1/subscriptions', json: sub({ userDefined: ['a'] }), status: 422, code: 'validation_failed' },
  {
    name: 'userDefined over 8 KiB',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ userDefined: { blob: 'x'.repeat(9000) } }),
    status: 422,
    code: 'user_defined_too_large',
  },
  {
    name: 'a description too long',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ description: 'd'.repeat(1001) }),
    status: 422,
    code: 'validation_failed',
  },
  {
    name: 'a NUL character Postgres cannot store',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ description: 'a\u0000b' }),
    status: 422,
    code: 'invalid_value',
  },

  // URLs
  { name: 'an ftp: URL', method: 'POST', path: '/v1/subscriptions', json: sub({ url: 'ftp://hooks.herald.test/x' }), status: 422, code: 'invalid_url' },
  { name: 'a URL without a host', method: 'POST', path: '/v1/subscriptions', json: sub({ url: 'https://' }), status: 422, code: 'invalid_url' },
  { name: 'not a URL', method: 'POST', path: '/v1/subscriptions', json: sub({ url: 'hooks.herald.test/x' }), status: 422, code: 'invalid_url' },
  {
    name: 'a URL with credentials',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ url: 'https://user:pass@hooks.herald.test/x' }),
    status: 422,
    code: 'invalid_url',
    secret: 'pass@',
  },
  {
    name: 'plain http when not allowed',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ url: 'http://hooks.herald.test/x' }),
    status: 422,
    code: 'invalid_url',
  },
  { name: 'a private address', method: 'POST', path: '/v1/subscriptions', json: sub({ url: 'https://10.0.0.1/hook' }), status: 422, code: 'url_not_allowed' },
  {
    name: 'the cloud metadata address',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ url: 'https://169.254.169.254/latest/meta-data' }),
    status: 422,
    code: 'url_not_allowed',
  },
  { name: 'IPv6 loopback', method: 'POST', path: '/v1/subscriptions', json: sub({ url: 'https://[::1]:8443/hook' }), status: 422, code: 'url_not_allowed' },
  {
    name: 'IPv4 loopback, not allowlisted',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ url: 'https://127.0.0.1:8443/hook' }),
    status: 422,
    code: 'url_not_allowed',
  },
  {
    name: 'loopback spelled as a number',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ url: 'https://2130706433/hook' }),
    status: 422,
    code: 'url_not_allowed',
  },
  { name: 'localhost by name', method: 'POST', path: '/v1/subscriptions', json: sub({ url: 'https://localhost/hook' }), status: 422, code: 'url_not_allowed' },
  {
    name: 'a private address on PATCH',
    method: 'PATCH',
    path: '/v1/subscriptions/{sub}',
    json: { url: 'https://192.168.1.10/hook' },
    status: 422,
    code: 'url_not_allowed',
  },

  // Headers and secrets
  {
    name: 'CRLF in a header value',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ headers: { 'x-a': 'one\r\nx-injected: two' } }),
    status: 422,
    code: 'invalid_headers',
  },
  {
    name: 'a reserved signature header',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ headers: { 'webhook-signature': 'v1,forged' } }),
    status: 422,
    code: 'invalid_headers',
  },
  {
    name: 'a reserved content-type header',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ headers: { 'Content-Type': 'text/plain' } }),
    status: 422,
    code: 'invalid_headers',
  },
  {
    name: 'a reserved x-herald- header',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ headers: { 'x-herald-attempt': '9' } }),
    status: 422,
    code: 'invalid_headers',
  },
  {
    name: 'a header value that is not a string',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ headers: { 'x-n': 1 } }),
    status: 422,
    code: 'invalid_headers',
  },
  {
    name: 'an invalid header name',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ headers: { 'bad name': 'v' } }),
    status: 422,
    code: 'invalid_headers',
  },
  {
    name: 'a secret without whsec_',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ secret: 'my-shared-secret-value' }),
    status: 422,
    code: 'invalid_secret',
    secret: 'my-shared-secret-value',
  },
  {
    name: 'a whsec_ secret that is not base64',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ secret: LEAKY_SECRET }),
    status: 422,
    code: 'invalid_secret',
    secret: LEAKY_SECRET,
  },
  {
    name: 'a secret too short',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ secret: `whsec_${Buffer.alloc(8, 1).toString('base64')}` }),
    status: 422,
    code: 'invalid_secret',
  },
  {
    name: 'a bad secret on rotation',
    method: 'POST',
    path: '/v1/subscriptions/{sub}/rotate-secret',
    json: { secret: 'whsec_x' },
    status: 422,
    code: 'invalid_secret',
  },
  {
    name: 'a secret on PATCH (rotate instead)',
    method: 'PATCH',
    path: '/v1/subscriptions/{sub}',
    json: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    status: 422,
    code: 'validation_failed',
    secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  },
  { name: 'null for a required field on PATCH', method: 'PATCH', path: '/v1/subscriptions/{sub}', json: { url: null }, status: 422, code: 'validation_failed' },
  {
    name: 'an unknown event type filter',
    method: 'POST',
    path: '/v1/subscriptions',
    json: sub({ eventTypes: ['video.created'] }),
    status: 422,
    code: 'unknown_event_type',
  },
  {
    name: 'a malformed family wildcard',
    method: 'PATCH',
    path: '/v1/subscriptions/{sub}',
    json: { eventTypes: ['video.*.done'] },
    status: 422,
    code: 'unknown_event_type',
  },
  {
    name: 'an exact type not in the catalog',
    method: 'PATCH',
    path: '/v1/subscriptions/{sub}',
    json: { eventTypes: ['video.render.never'] },
    status: 422,
    code: 'unknown_event_type',
  },

  // Events
  { name: 'an unknown event type', method: 'POST', path: '/v1/events', json: event({ type: 'video.created' }), status: 422, code: 'unknown_event_type' },
  {
    name: 'a payload missing image_url',
    method: 'POST',
    path: '/v1/events',
    json: { type: 'image.created', data: { ...structuredClone(SAMPLE_IMAGE_CREATED), image_url: undefined } },
    status: 422,
    code: 'invalid_event_payload',
  },
  { name: 'image_url not a URI', method: 'POST', path: '/v1/events', json: event({}, { image_url: 'not a url' }), status: 422, code: 'invalid_event_payload' },
  {
    name: 'modifications not an array',
    method: 'POST',
    path: '/v1/events',
    json: event({}, { modifications: { name: 'x' } }),
    status: 422,
    code: 'invalid_event_payload',
  },
  {
    name: 'a modification without a name',
    method: 'POST',
    path: '/v1/events',
    json: event({}, { modifications: [{ text: 'x' }] }),
    status: 422,
    code: 'invalid_event_payload',
  },
  {
    name: 'user_defined sent by the producer',
    method: 'POST',
    path: '/v1/events',
    json: event({}, { user_defined: { a: 1 } }),
    status: 422,
    code: 'invalid_event_payload',
  },
  { name: 'data missing', method: 'POST', path: '/v1/events', json: { type: 'image.created' }, status: 422, code: 'validation_failed' },
  { name: 'data not an object', method: 'POST', path: '/v1/events', json: { type: 'image.created', data: 'x' }, status: 422, code: 'validation_failed' },
  { name: 'an event id with spaces', method: 'POST', path: '/v1/events', json: event({ id: 'my event' }), status: 422, code: 'validation_failed' },
  { name: 'an event id of 256 characters', method: 'POST', path: '/v1/events', json: event({ id: 'e'.repeat(256) }), status: 422, code: 'validation_failed' },
  { name: 'an event field that does not exist', method: 'POST', path: '/v1/events', json: event({ priority: 'high' }), status: 422, code: 'validation_failed' },
  {
    name: 'an Idempotency-Key too long',
    method: 'POST',
    path: '/v1/events',
    json: event(),
    headers: { 'idempotency-key': 'k'.repeat(256) },
    status: 422,
    code: 'invalid_idempotency_key',
  },
  {
    name: 'a NUL character in event data',
    method: 'POST',
    path: '/v1/events',
    json: event({ id: 'nul-in-data' }, { status: 'done\u0000' }),
    status: 422,
    code: 'invalid_value',
  },
  {
    name: 'a body over 256 KiB',
    method: 'POST',
    path: '/v1/events',
    raw: JSON.stringify(event({}, { metadata: { blob: 'x'.repeat(300 * 1024) } })),
    status: 413,
    code: 'payload_too_large',
  },

  // Unknown and malformed ids
  { name: 'an unknown subscription', path: `/v1/subscriptions/sub_${UNKNOWN}`, status: 404, code: 'subscription_not_found' },
  { name: 'a malformed subscription id', path: '/v1/subscriptions/nope', status: 404, code: 'subscription_not_found' },
  { name: 'an id of another kind', path: `/v1/subscriptions/dlv_${UNKNOWN}`, status: 404, code: 'subscription_not_found' },
  {
    name: 'PATCH of an unknown subscription',
    method: 'PATCH',
    path: `/v1/subscriptions/sub_${UNKNOWN}`,
    json: { enabled: false },
    status: 404,
    code: 'subscription_not_found',
  },
  { name: 'test send to an unknown subscription', method: 'POST', path: `/v1/subscriptions/sub_${UNKNOWN}/test`, status: 404, code: 'subscription_not_found' },
  { name: 'an unknown event', path: '/v1/events/evt_unknown', status: 404, code: 'event_not_found' },
  { name: 'a malformed event id', path: '/v1/events/bad%20id', status: 404, code: 'event_not_found' },
  { name: 'an unknown delivery', path: `/v1/deliveries/dlv_${UNKNOWN}`, status: 404, code: 'delivery_not_found' },
  { name: 'a malformed delivery id', path: '/v1/deliveries/dlv_lowercase0000000000000000', status: 404, code: 'delivery_not_found' },
  { name: 'retry of an unknown delivery', method: 'POST', path: `/v1/deliveries/dlv_${UNKNOWN}/retry`, status: 404, code: 'delivery_not_found' },
  { name: 'cancel of an unknown delivery', method: 'POST', path: `/v1/deliveries/dlv_${UNKNOWN}/cancel`, status: 404, code: 'delivery_not_found' },
  { name: 'an unknown dead letter', path: `/v1/dead-letters/dlq_${UNKNOWN}`, status: 404, code: 'dead_letter_not_found' },
  { name: 'discard of a malformed dead letter id', method: 'DELETE', path: '/v1/dead-letters/123', status: 404, code: 'dead_letter_not_found' },
  { name: 'an unknown route', path: '/v1/webhooks', status: 404, code: 'route_not_found' },

  // Query parameters
  { name: 'a made-up cursor', path: '/v1/subscriptions?cursor=garbage', status: 422, code: 'invalid_cursor' },
  { name: 'a cursor of another list', path: `/v1/deliveries?cursor=${cursorOf(`sub_${UNKNOWN}`)}`, status: 422, code: 'invalid_cursor' },
  { name: 'a cursor that is not base64url', path: '/v1/dead-letters?cursor=%2F%2F%2F', status: 422, code: 'invalid_cursor' },
  { name: 'limit 0', path: '/v1/subscriptions?limit=0', status: 422, code: 'validation_failed' },
  { name: 'limit 101', path: '/v1/deliveries?limit=101', status: 422, code: 'validation_failed' },
  { name: 'limit not a number', path: '/v1/dead-letters?limit=ten', status: 422, code: 'validation_failed' },
  { name: 'limit given twice', path: '/v1/subscriptions?limit=1&limit=2', status: 422, code: 'validation_failed' },
  { name: 'a date that is not ISO 8601', path: '/v1/deliveries?since=yesterday', status: 422, code: 'validation_failed' },
  { name: 'an impossible date', path: '/v1/dead-letters?until=2025-02-30T00:00:00Z', status: 422, code: 'validation_failed' },
  { name: 'since after until', path: '/v1/deliveries?since=2025-11-24T00:00:00Z&until=2025-11-23T00:00:00Z', status: 422, code: 'invalid_time_range' },
  { name: 'a bad date in a bulk retry', method: 'POST', path: '/v1/dead-letters/retry', json: { since: 'last week' }, status: 422, code: 'validation_failed' },
  { name: 'an unknown delivery status', path: '/v1/deliveries?status=lost', status: 422, code: 'validation_failed' },
  { name: 'a subscriptionId filter that is no id', path: '/v1/deliveries?subscriptionId=abc', status: 422, code: 'validation_failed' },
  { name: 'enabled neither true nor false', path: '/v1/subscriptions?enabled=maybe', status: 422, code: 'validation_failed' },
  { name: 'a malformed eventType filter', path: '/v1/subscriptions?eventType=video.*.x', status: 422, code: 'unknown_event_type' },
  { name: 'an unknown query parameter', path: '/v1/deliveries?sort=asc', status: 422, code: 'validation_failed' },

  // Authentication and scopes
  { name: 'no token', path: '/v1/subscriptions', token: 'none', status: 401, code: 'unauthenticated' },
  { name: 'a wrong token', path: '/v1/subscriptions', token: 'wrong', status: 401, code: 'unauthenticated' },
  { name: 'a non-bearer Authorization header', path: '/v1/deliveries', token: 'basic', status: 401, code: 'unauthenticated' },
  { name: 'the ingest token on an admin read', path: '/v1/subscriptions', token: 'ingest', status: 403, code: 'forbidden' },
  { name: 'the ingest token on an admin write', method: 'POST', path: '/v1/subscriptions', json: sub({}), token: 'ingest', status: 403, code: 'forbidden' },
  { name: 'the ingest token reading an event', path: '/v1/events/evt_unknown', token: 'ingest', status: 403, code: 'forbidden' },
  { name: 'the ingest token posting an event', method: 'POST', path: '/v1/events', json: event(), token: 'ingest', status: 202 },
  { name: 'the admin token posting an event', method: 'POST', path: '/v1/events', json: event(), status: 202 },
];

function authorization(token: Token): Record<string, string> {
  switch (token) {
    case 'admin':
      return { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    case 'ingest':
      return { authorization: `Bearer ${TEST_INGEST_TOKEN}` };
    case 'wrong':
      return { authorization: 'Bearer not-the-token-0123456789' };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` };
    case 'none':
      return {};
  }
}

describe('bad input is a 4xx in the one error shape', () => {
  let stack: TestStack;
  let subscriptionId: string;
  before(async () => {
    stack = await startStack({ HERALD_ALLOWED_TARGETS: '', HERALD_ALLOW_HTTP: 'false' });
    // Disabled: the events the table accepts have nowhere to go.
    subscriptionId = (await createSubscription(stack, { url: 'https://hooks.herald.test/bad-input', enabled: false })).id;
  });
  after(async () => {
    await stack?.stop();
  });

  assert.ok(ROWS.length >= 40);
  for (const row of ROWS) {
    it(`${row.method ?? 'GET'} ${row.path} — ${row.name} → ${row.status}${row.code ? ` ${row.code}` : ''}`, async () => {
      const body = row.raw ?? (row.json === undefined ? undefined : JSON.stringify(row.json));
      const res = await fetch(stack.baseUrl + row.path.replace('{sub}', subscriptionId), {
        method: row.method ?? 'GET',
        headers: { ...authorization(row.token ?? 'admin'), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...row.headers },
        body,
      });
      const text = await res.text();
      const json: unknown = text ? JSON.parse(text) : undefined;
      if (row.code) {
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assertError({ status: res.status, body: json }, row.status, row.code);
      } else {
        assert.equal(res.status, row.status, text);
      }
      if (row.secret) assert.ok(!text.includes(row.secret), 'the answer does not echo the secret');
    });
  }

  it('still answers /health after all of that', async () => {
    const res = await fetch(`${stack.baseUrl}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    const list = await stack.api('/v1/subscriptions');
    assert.equal(list.status, 200);
  });
});
