/**
 * A table of malformed requests against every write route of the admin API. Each one gets a 4xx
 * in the one error shape — never a 500, never a silent success — nothing it carried is stored,
 * no `__proto__` reaches Object.prototype, and the API keeps answering normally afterwards.
 *
 * Requests go out through node:http (or a raw socket) rather than fetch, so bodies, headers,
 * content types and paths are sent exactly as written: invalid UTF-8, `..` segments, no
 * content-type at all.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DeadLetter, Delivery, Subscription } from '../../libs/db/entities';
import { newId } from '../../libs/domain/ids';
import { imageCreated } from '../support/admin-api';
import { TEST_ADMIN_TOKEN } from '../support/config';
import { reportSecurity } from '../support/load';
import { seedDelivery, seedEvent } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

interface Case {
  name: string;
  method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Sent as is (no normalisation). `{sub}`, `{dlv}`, `{dlq}`, `{ten}`: an existing subscription, delivery, dead letter, tenant. */
  path: string;
  /** Serialised with JSON.stringify, sent as application/json. */
  json?: unknown;
  /** Sent byte for byte, as application/json unless `headers` say otherwise. */
  raw?: string | Buffer;
  /** Over the defaults (admin token, content-type and content-length when there is a body); null removes one. */
  headers?: Record<string, string | null>;
  /** A whole HTTP/1.1 request written to a socket, for what no HTTP client would send. */
  wire?: string;
  expect: { status: number; code: string; details?: Record<string, unknown> };
}

const UNKNOWN = '01JD7X8M5Q4R2Z3TR3V19H6X7K';
const KiB = 1024;
const MiB = 1024 * KiB;
/** The marker every pollution attempt tries to plant on Object.prototype. */
const MARK = 'heraldPolluted';

const sub = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  url: 'https://hooks.herald.test/fuzz',
  eventTypes: ['image.created'],
  ...fields,
});
const event = (fields: Record<string, unknown> = {}, data: Record<string, unknown> = {}): Record<string, unknown> => {
  const base = imageCreated();
  return { ...base, ...fields, data: { ...(base.data as Record<string, unknown>), ...data } };
};
/** JSON text with a raw fragment spliced in where JSON.stringify cannot produce it. */
const splice = (before: string, bytes: number[], after: string): Buffer => Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const invalid = (code = 'validation_failed', details?: Record<string, unknown>): Case['expect'] => ({ status: 422, code, details });
const malformed: Case['expect'] = { status: 400, code: 'malformed_json' };
const unsupported: Case['expect'] = { status: 415, code: 'unsupported_media_type' };
const tooLarge: Case['expect'] = { status: 413, code: 'payload_too_large' };
const forbiddenKey = (key: string, path: string): Case['expect'] => ({ status: 422, code: 'forbidden_key', details: { key, path } });
const notFound = (resource: string): Case['expect'] => ({ status: 404, code: `${resource}_not_found` });

const S = '/v1/subscriptions';
const E = '/v1/events';
const T = '/v1/tenants';
const ET = '/v1/event-types';
/** A valid new event type (none of the cases below gets it stored). */
const et = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'video.fuzz.done',
  description: 'fuzz',
  schema: { type: 'object' },
  example: {},
  ...fields,
});

/** The same malformed bodies, sent to a route: wrong framing is refused before any handler runs. */
function framing(method: Case['method'], path: string, label: string): Case[] {
  return [
    { name: `${label}: malformed JSON`, method, path, raw: '{"a": 1,}', expect: malformed },
    { name: `${label}: invalid UTF-8`, method, path, raw: splice('{"a": "', [0xc3, 0x28], '"}'), expect: malformed },
    { name: `${label}: text/plain`, method, path, raw: '{}', headers: { 'content-type': 'text/plain' }, expect: unsupported },
    { name: `${label}: a bare JSON array`, method, path, json: [], expect: invalid() },
    { name: `${label}: __proto__`, method, path, raw: `{"__proto__": {"${MARK}": true}}`, expect: forbiddenKey('__proto__', '/__proto__') },
  ];
}

const CASES: Case[] = [
  // ---- POST /v1/subscriptions: every field of the wrong JSON type
  { name: 'url a number', method: 'POST', path: S, json: sub({ url: 42 }), expect: invalid() },
  { name: 'url an array', method: 'POST', path: S, json: sub({ url: ['https://hooks.herald.test/x'] }), expect: invalid() },
  { name: 'url an object', method: 'POST', path: S, json: sub({ url: { href: 'https://hooks.herald.test/x' } }), expect: invalid() },
  { name: 'url null', method: 'POST', path: S, json: sub({ url: null }), expect: invalid() },
  { name: 'url a boolean', method: 'POST', path: S, json: sub({ url: true }), expect: invalid() },
  { name: 'url empty', method: 'POST', path: S, json: sub({ url: '' }), expect: invalid() },
  { name: 'eventTypes a string', method: 'POST', path: S, json: sub({ eventTypes: 'image.created' }), expect: invalid() },
  { name: 'eventTypes of numbers', method: 'POST', path: S, json: sub({ eventTypes: [1] }), expect: invalid() },
  { name: 'eventTypes null', method: 'POST', path: S, json: sub({ eventTypes: null }), expect: invalid() },
  { name: 'eventTypes an array-like object', method: 'POST', path: S, json: sub({ eventTypes: { 0: 'image.created' } }), expect: invalid() },
  { name: 'templateIds a string', method: 'POST', path: S, json: sub({ templateIds: 'tpl_a' }), expect: invalid() },
  { name: 'templateIds of null', method: 'POST', path: S, json: sub({ templateIds: [null] }), expect: invalid() },
  { name: 'templateIds of objects', method: 'POST', path: S, json: sub({ templateIds: [{}] }), expect: invalid() },
  { name: 'description a number', method: 'POST', path: S, json: sub({ description: 7 }), expect: invalid() },
  { name: 'description an array', method: 'POST', path: S, json: sub({ description: ['a'] }), expect: invalid() },
  { name: 'secret a number', method: 'POST', path: S, json: sub({ secret: 12345 }), expect: invalid() },
  { name: 'secret an object', method: 'POST', path: S, json: sub({ secret: { value: 'whsec_x' } }), expect: invalid() },
  { name: 'headers an array', method: 'POST', path: S, json: sub({ headers: [['x-a', 'b']] }), expect: invalid() },
  { name: 'headers a string', method: 'POST', path: S, json: sub({ headers: 'x-a: b' }), expect: invalid() },
  { name: 'a header value a number', method: 'POST', path: S, json: sub({ headers: { 'x-a': 1 } }), expect: invalid('invalid_headers') },
  { name: 'a header value null', method: 'POST', path: S, json: sub({ headers: { 'x-a': null } }), expect: invalid('invalid_headers') },
  { name: 'userDefined a string', method: 'POST', path: S, json: sub({ userDefined: 'x' }), expect: invalid() },
  { name: 'userDefined a number', method: 'POST', path: S, json: sub({ userDefined: 3 }), expect: invalid() },
  { name: 'payloadFormat a number', method: 'POST', path: S, json: sub({ payloadFormat: 1 }), expect: invalid() },
  { name: 'payloadFormat in capitals', method: 'POST', path: S, json: sub({ payloadFormat: 'FLAT' }), expect: invalid() },
  { name: 'enabled the string "true"', method: 'POST', path: S, json: sub({ enabled: 'true' }), expect: invalid() },
  { name: 'enabled the number 1', method: 'POST', path: S, json: sub({ enabled: 1 }), expect: invalid() },
  { name: 'filter a string', method: 'POST', path: S, json: sub({ filter: 'data.env=prod' }), expect: invalid() },
  { name: 'filter an array', method: 'POST', path: S, json: sub({ filter: [{ data: {} }] }), expect: invalid() },
  {
    name: 'filter an unknown operator',
    method: 'POST',
    path: S,
    json: sub({ filter: { data: { env: { $regex: '.*' } } } }),
    expect: invalid('invalid_filter', { path: '/data/env/$regex' }),
  },
  {
    name: 'filter an unknown root field',
    method: 'POST',
    path: S,
    json: sub({ filter: { metadata: { env: 'prod' } } }),
    expect: invalid('invalid_filter', { path: '/metadata' }),
  },
  {
    name: 'filter $in not a list',
    method: 'POST',
    path: S,
    json: sub({ filter: { data: { env: { $in: 'prod' } } } }),
    expect: invalid('invalid_filter', { path: '/data/env/$in' }),
  },
  {
    name: 'filter operators beside fields',
    method: 'POST',
    path: S,
    json: sub({ filter: { data: { env: { $eq: 'prod', region: 'eu' } } } }),
    expect: invalid('invalid_filter', { path: '/data/env/region' }),
  },
  { name: 'filter $or empty', method: 'POST', path: S, json: sub({ filter: { $or: [] } }), expect: invalid('invalid_filter', { path: '/$or' }) },
  {
    name: 'filter nested 30 deep',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"filter":{"data":${nested(30)}}}`,
    expect: invalid('invalid_filter'),
  },
  {
    name: 'filter __proto__',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"filter":{"data":{"__proto__":{"${MARK}":1}}}}`,
    expect: forbiddenKey('__proto__', '/filter/data/__proto__'),
  },
  { name: 'an unknown exact event type', method: 'POST', path: S, json: sub({ eventTypes: ['video.never.defined'] }), expect: invalid('unknown_event_type') },
  { name: 'a malformed family', method: 'POST', path: S, json: sub({ eventTypes: ['video.*.done'] }), expect: invalid('unknown_event_type') },
  // missing and unknown fields
  { name: 'url missing', method: 'POST', path: S, json: { eventTypes: ['image.created'] }, expect: invalid() },
  { name: 'eventTypes missing', method: 'POST', path: S, json: { url: 'https://hooks.herald.test/x' }, expect: invalid() },
  { name: 'an empty object', method: 'POST', path: S, json: {}, expect: invalid() },
  { name: 'no body at all', method: 'POST', path: S, expect: invalid() },
  { name: 'an id chosen by the client', method: 'POST', path: S, json: sub({ id: `sub_${UNKNOWN}` }), expect: invalid() },
  { name: 'a storage field (secretCiphertext)', method: 'POST', path: S, json: sub({ secretCiphertext: 'v1.x' }), expect: invalid() },
  { name: 'a read-only field (createdAt)', method: 'POST', path: S, json: sub({ createdAt: '2020-01-01T00:00:00Z' }), expect: invalid() },
  // sizes
  { name: 'a description of 1 MB', method: 'POST', path: S, json: sub({ description: 'd'.repeat(MiB) }), expect: tooLarge },
  { name: 'a body just over 256 KiB', method: 'POST', path: S, json: sub({ userDefined: { pad: 'p'.repeat(256 * KiB) } }), expect: tooLarge },
  { name: 'a url of 3000 characters', method: 'POST', path: S, json: sub({ url: `https://hooks.herald.test/${'u'.repeat(3000)}` }), expect: invalid() },
  { name: '10k eventTypes', method: 'POST', path: S, json: sub({ eventTypes: many(10_000, (i) => `t${i}`) }), expect: invalid() },
  { name: '10k templateIds', method: 'POST', path: S, json: sub({ templateIds: many(10_000, (i) => `tpl_${i}`) }), expect: invalid() },
  {
    name: '10k custom headers',
    method: 'POST',
    path: S,
    json: sub({ headers: Object.fromEntries(many(10_000, (i) => [`x-h${i}`, 'v'])) }),
    expect: invalid('invalid_headers'),
  },
  {
    name: 'userDefined holding 10k items',
    method: 'POST',
    path: S,
    json: sub({ userDefined: { list: many(10_000, (i) => i) } }),
    expect: invalid('user_defined_too_large'),
  },
  {
    name: 'arrays nested 100k deep',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"userDefined":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    expect: invalid('too_deep'),
  },
  {
    name: 'objects nested 1000 deep',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"userDefined":${nested(1000)}}`,
    expect: invalid('too_deep'),
  },
  // encodings and framing
  {
    name: 'invalid UTF-8 in a string',
    method: 'POST',
    path: S,
    raw: splice('{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"description":"a', [0xff, 0xfe], '"}'),
    expect: malformed,
  },
  {
    name: 'an overlong UTF-8 sequence',
    method: 'POST',
    path: S,
    raw: splice('{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"description":"', [0xc0, 0xaf], '"}'),
    expect: malformed,
  },
  {
    name: 'a UTF-8 encoded surrogate (CESU-8)',
    method: 'POST',
    path: S,
    raw: splice('{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"description":"', [0xed, 0xa0, 0x80], '"}'),
    expect: malformed,
  },
  {
    name: 'a truncated UTF-8 sequence at the end',
    method: 'POST',
    path: S,
    raw: splice('{"url":"https://hooks.herald.test/x","eventTypes":["image.created"]}', [0xe2, 0x82], ''),
    expect: malformed,
  },
  { name: 'charset=latin1', method: 'POST', path: S, json: sub(), headers: { 'content-type': 'application/json; charset=latin1' }, expect: unsupported },
  { name: 'content-type text/plain', method: 'POST', path: S, json: sub(), headers: { 'content-type': 'text/plain' }, expect: unsupported },
  { name: 'no content-type with a JSON body', method: 'POST', path: S, json: sub(), headers: { 'content-type': null }, expect: unsupported },
  {
    name: 'a form-encoded body',
    method: 'POST',
    path: S,
    raw: 'url=https%3A%2F%2Fhooks.herald.test&eventTypes=image.created',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    expect: unsupported,
  },
  {
    name: 'a multipart body',
    method: 'POST',
    path: S,
    raw: '--b\r\ncontent-disposition: form-data; name="url"\r\n\r\nhttps://hooks.herald.test\r\n--b--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
    expect: unsupported,
  },
  { name: 'a trailing comma', method: 'POST', path: S, raw: '{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],}', expect: malformed },
  { name: 'single-quoted strings', method: 'POST', path: S, raw: "{'url':'https://hooks.herald.test/x'}", expect: malformed },
  { name: 'a truncated document', method: 'POST', path: S, raw: '{"url":"https://hooks.herald.test/x","eventTypes":["image.cr', expect: malformed },
  { name: 'a comment', method: 'POST', path: S, raw: '{/* hi */"url":"https://hooks.herald.test/x","eventTypes":["image.created"]}', expect: malformed },
  { name: 'NaN', method: 'POST', path: S, raw: '{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"description":NaN}', expect: malformed },
  { name: 'two documents', method: 'POST', path: S, raw: '{}{}', expect: malformed },
  { name: 'an empty body declared as JSON', method: 'POST', path: S, raw: '', expect: invalid() },
  { name: 'a bare JSON array', method: 'POST', path: S, json: [sub()], expect: invalid() },
  { name: 'a bare number', method: 'POST', path: S, raw: '42', expect: invalid() },
  { name: 'a bare null', method: 'POST', path: S, raw: 'null', expect: invalid() },
  { name: 'a bare string', method: 'POST', path: S, raw: '"https://hooks.herald.test/x"', expect: invalid() },
  { name: 'a bare true', method: 'POST', path: S, raw: 'true', expect: invalid() },
  { name: 'gzip that is not gzip', method: 'POST', path: S, json: sub(), headers: { 'content-encoding': 'gzip' }, expect: malformed },
  {
    name: 'a gzip bomb (2 MB inflated)',
    method: 'POST',
    path: S,
    raw: gzipSync(Buffer.from(JSON.stringify(sub({ description: ' '.repeat(2 * MiB) })))),
    headers: { 'content-encoding': 'gzip' },
    expect: tooLarge,
  },
  { name: 'an unknown content-encoding', method: 'POST', path: S, json: sub(), headers: { 'content-encoding': 'x-herald' }, expect: unsupported },
  // unicode
  {
    name: 'an RTL override in the url',
    method: 'POST',
    path: S,
    json: sub({ url: 'https://hooks.herald.test/\u202Egpj.exe' }),
    expect: invalid('invalid_url'),
  },
  {
    name: 'a zero-width space in the url host',
    method: 'POST',
    path: S,
    json: sub({ url: 'https://hooks.her\u200Bald.test/x' }),
    expect: invalid('invalid_url'),
  },
  {
    name: 'a NUL in the url',
    method: 'POST',
    path: S,
    json: sub({ url: 'https://hooks.herald.test/x\u0000' }),
    expect: invalid('invalid_value', { path: '/url' }),
  },
  { name: 'an emoji event type', method: 'POST', path: S, json: sub({ eventTypes: ['image.\u{1F5BC}'] }), expect: invalid('unknown_event_type') },
  {
    name: 'a zero-width joiner in an event type',
    method: 'POST',
    path: S,
    json: sub({ eventTypes: ['image.created\u200D'] }),
    expect: invalid('unknown_event_type'),
  },
  {
    name: 'an RTL override in an event type',
    method: 'POST',
    path: S,
    json: sub({ eventTypes: ['\u202Eimage.created'] }),
    expect: invalid('unknown_event_type'),
  },
  {
    name: 'a lone high surrogate',
    method: 'POST',
    path: S,
    raw: '{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"description":"a\\ud800b"}',
    expect: invalid('invalid_value', { path: '/description' }),
  },
  {
    name: 'a lone low surrogate',
    method: 'POST',
    path: S,
    raw: '{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"description":"\\udc00"}',
    expect: invalid('invalid_value', { path: '/description' }),
  },
  { name: 'a NUL in the description', method: 'POST', path: S, json: sub({ description: 'a\u0000b' }), expect: invalid('invalid_value') },
  {
    name: 'a lone surrogate in a userDefined key',
    method: 'POST',
    path: S,
    raw: '{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"userDefined":{"k\\ud83d":1}}',
    expect: invalid('invalid_value'),
  },
  { name: 'an emoji header value', method: 'POST', path: S, json: sub({ headers: { 'x-mood': '\u{1F600}' } }), expect: invalid('invalid_headers') },
  { name: 'a zero-width space in a header name', method: 'POST', path: S, json: sub({ headers: { 'x-\u200Ba': 'v' } }), expect: invalid('invalid_headers') },
  { name: 'an emoji secret', method: 'POST', path: S, json: sub({ secret: 'whsec_\u{1F511}\u{1F511}\u{1F511}' }), expect: invalid('invalid_secret') },
  // header injection
  { name: 'CRLF in a header value', method: 'POST', path: S, json: sub({ headers: { 'x-a': 'v\r\nx-injected: 1' } }), expect: invalid('invalid_headers') },
  { name: 'a bare LF in a header value', method: 'POST', path: S, json: sub({ headers: { 'x-a': 'v\nx-injected: 1' } }), expect: invalid('invalid_headers') },
  { name: 'a bare CR in a header value', method: 'POST', path: S, json: sub({ headers: { 'x-a': 'v\rx' } }), expect: invalid('invalid_headers') },
  { name: 'CRLF in a header name', method: 'POST', path: S, json: sub({ headers: { 'x-a\r\nx-injected': 'v' } }), expect: invalid('invalid_headers') },
  { name: 'a colon in a header name', method: 'POST', path: S, json: sub({ headers: { 'x-a: b\r\nx-c': 'v' } }), expect: invalid('invalid_headers') },
  {
    name: 'CRLF and a header in the url',
    method: 'POST',
    path: S,
    json: sub({ url: 'https://hooks.herald.test/x\r\nX-Injected: 1' }),
    expect: invalid('invalid_url'),
  },
  { name: 'a tab in the url', method: 'POST', path: S, json: sub({ url: 'https://hooks.herald.test/\tx' }), expect: invalid('invalid_url') },
  { name: 'a space in the url', method: 'POST', path: S, json: sub({ url: 'https://hooks.herald.test/a b' }), expect: invalid('invalid_url') },
  // prototype pollution
  {
    name: '__proto__ at the top',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"__proto__":{"${MARK}":true}}`,
    expect: forbiddenKey('__proto__', '/__proto__'),
  },
  {
    name: 'constructor.prototype at the top',
    method: 'POST',
    path: S,
    json: sub({ constructor: { prototype: { [MARK]: true } } }),
    expect: forbiddenKey('constructor', '/constructor'),
  },
  { name: 'prototype at the top', method: 'POST', path: S, json: sub({ prototype: { [MARK]: true } }), expect: forbiddenKey('prototype', '/prototype') },
  {
    name: '__proto__ in headers',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"headers":{"__proto__":{"${MARK}":"x"}}}`,
    expect: forbiddenKey('__proto__', '/headers/__proto__'),
  },
  {
    name: '__proto__ nested in userDefined',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":["image.created"],"userDefined":{"a":{"b":[{"__proto__":{"${MARK}":1}}]}}}`,
    expect: forbiddenKey('__proto__', '/userDefined/a/b/0/__proto__'),
  },
  {
    name: 'constructor.prototype in userDefined',
    method: 'POST',
    path: S,
    json: sub({ userDefined: { constructor: { prototype: { [MARK]: 1 } } } }),
    expect: forbiddenKey('constructor', '/userDefined/constructor'),
  },
  {
    name: 'toString as a userDefined key (would be dropped on the way in)',
    method: 'POST',
    path: S,
    json: sub({ userDefined: { toString: 'x' } }),
    expect: forbiddenKey('toString', '/userDefined/toString'),
  },
  {
    name: 'hasOwnProperty holding an object (would be lost on save)',
    method: 'POST',
    path: S,
    json: sub({ userDefined: { nested: { hasOwnProperty: { a: 1 } } } }),
    expect: forbiddenKey('hasOwnProperty', '/userDefined/nested/hasOwnProperty'),
  },
  {
    name: '__defineGetter__ in headers',
    method: 'POST',
    path: S,
    json: sub({ headers: { __defineGetter__: 'x' } }),
    expect: forbiddenKey('__defineGetter__', '/headers/__defineGetter__'),
  },
  {
    name: '__proto__ inside an eventTypes item',
    method: 'POST',
    path: S,
    raw: `{"url":"https://hooks.herald.test/x","eventTypes":[{"__proto__":{"${MARK}":1}}]}`,
    expect: forbiddenKey('__proto__', '/eventTypes/0/__proto__'),
  },

  // ---- PATCH /v1/subscriptions/:id
  { name: 'url null', method: 'PATCH', path: `${S}/{sub}`, json: { url: null }, expect: invalid() },
  { name: 'eventTypes empty', method: 'PATCH', path: `${S}/{sub}`, json: { eventTypes: [] }, expect: invalid() },
  { name: 'enabled "false"', method: 'PATCH', path: `${S}/{sub}`, json: { enabled: 'false' }, expect: invalid() },
  { name: 'payloadFormat null', method: 'PATCH', path: `${S}/{sub}`, json: { payloadFormat: null }, expect: invalid() },
  { name: 'headers null', method: 'PATCH', path: `${S}/{sub}`, json: { headers: null }, expect: invalid() },
  { name: 'templateIds a number', method: 'PATCH', path: `${S}/{sub}`, json: { templateIds: 5 }, expect: invalid() },
  {
    name: 'a secret (rotation is its own route)',
    method: 'PATCH',
    path: `${S}/{sub}`,
    json: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    expect: invalid(),
  },
  { name: 'a new id', method: 'PATCH', path: `${S}/{sub}`, json: { id: `sub_${UNKNOWN}` }, expect: invalid() },
  {
    name: '__proto__ disabling it',
    method: 'PATCH',
    path: `${S}/{sub}`,
    raw: '{"__proto__":{"enabled":false}}',
    expect: forbiddenKey('__proto__', '/__proto__'),
  },
  { name: 'constructor', method: 'PATCH', path: `${S}/{sub}`, json: { constructor: 1, enabled: false }, expect: forbiddenKey('constructor', '/constructor') },
  { name: 'a lone surrogate in the description', method: 'PATCH', path: `${S}/{sub}`, raw: '{"description":"\\ud800"}', expect: invalid('invalid_value') },
  { name: 'CRLF in the url', method: 'PATCH', path: `${S}/{sub}`, json: { url: 'https://hooks.herald.test/x\r\nHost: evil' }, expect: invalid('invalid_url') },
  { name: 'CRLF in a header value', method: 'PATCH', path: `${S}/{sub}`, json: { headers: { 'x-a': '1\r\n\r\n<html>' } }, expect: invalid('invalid_headers') },
  { name: 'a body over 256 KiB', method: 'PATCH', path: `${S}/{sub}`, json: { description: 'd'.repeat(300 * KiB) }, expect: tooLarge },
  { name: 'filter a number', method: 'PATCH', path: `${S}/{sub}`, json: { filter: 1 }, expect: invalid() },
  {
    name: 'filter $gt an object',
    method: 'PATCH',
    path: `${S}/{sub}`,
    json: { filter: { data: { w: { $gt: { n: 1 } } } } },
    expect: invalid('invalid_filter', { path: '/data/w/$gt' }),
  },
  {
    name: 'filter $exists a string',
    method: 'PATCH',
    path: `${S}/{sub}`,
    json: { filter: { data: { w: { $exists: 'yes' } } } },
    expect: invalid('invalid_filter', { path: '/data/w/$exists' }),
  },
  ...framing('PATCH', `${S}/{sub}`, 'PATCH'),
  { name: 'an unknown subscription', method: 'PATCH', path: `${S}/sub_${UNKNOWN}`, json: { enabled: false }, expect: notFound('subscription') },
  { name: 'a percent-encoded ../ id', method: 'PATCH', path: `${S}/..%2F..%2Fevents`, json: { enabled: false }, expect: notFound('subscription') },
  { name: 'a raw ../ path', method: 'PATCH', path: `${S}/../../v1/subscriptions`, json: { enabled: false }, expect: { status: 404, code: 'route_not_found' } },
  { name: 'an id of 10k characters', method: 'PATCH', path: `${S}/sub_${'A'.repeat(10_000)}`, json: { enabled: false }, expect: notFound('subscription') },
  {
    name: 'an id of 20k characters (over the header limit)',
    method: 'PATCH',
    path: `${S}/sub_${'A'.repeat(20_000)}`,
    json: { enabled: false },
    expect: { status: 431, code: 'headers_too_large' },
  },
  { name: 'a unicode id', method: 'PATCH', path: `${S}/sub_%E2%80%AE%F0%9F%98%80`, json: { enabled: false }, expect: notFound('subscription') },
  {
    name: 'an id that is not valid percent-encoding',
    method: 'PATCH',
    path: `${S}/sub_%ff%`,
    json: { enabled: false },
    expect: { status: 400, code: 'bad_request' },
  },
  { name: 'an id with an encoded NUL', method: 'PATCH', path: `${S}/{sub}%00`, json: { enabled: false }, expect: notFound('subscription') },
  { name: 'PUT, which is not a route', method: 'PUT', path: `${S}/{sub}`, json: sub(), expect: { status: 404, code: 'route_not_found' } },

  // ---- DELETE /v1/subscriptions/:id
  { name: 'a body with a field', method: 'DELETE', path: `${S}/{sub}`, json: { force: true }, expect: invalid() },
  ...framing('DELETE', `${S}/{sub}`, 'DELETE'),
  { name: 'an unknown subscription', method: 'DELETE', path: `${S}/sub_${UNKNOWN}`, expect: notFound('subscription') },
  { name: 'an id of another kind', method: 'DELETE', path: `${S}/dlv_${UNKNOWN}`, expect: notFound('subscription') },
  { name: 'a percent-encoded ../ id', method: 'DELETE', path: `${S}/%2E%2E%2F%2E%2E`, expect: notFound('subscription') },
  { name: 'an emoji id', method: 'DELETE', path: `${S}/%F0%9F%92%A3`, expect: notFound('subscription') },

  // ---- POST /v1/subscriptions/:id/rotate-secret
  { name: 'secret a number', method: 'POST', path: `${S}/{sub}/rotate-secret`, json: { secret: 42 }, expect: invalid() },
  { name: 'secret an array', method: 'POST', path: `${S}/{sub}/rotate-secret`, json: { secret: ['whsec_x'] }, expect: invalid() },
  {
    name: 'secret with emoji',
    method: 'POST',
    path: `${S}/{sub}/rotate-secret`,
    json: { secret: `whsec_${'\u{1F511}'.repeat(16)}` },
    expect: invalid('invalid_secret'),
  },
  { name: 'secret of 1 MB', method: 'POST', path: `${S}/{sub}/rotate-secret`, json: { secret: `whsec_${'A'.repeat(MiB)}` }, expect: tooLarge },
  { name: 'an unknown field', method: 'POST', path: `${S}/{sub}/rotate-secret`, json: { keepOld: false }, expect: invalid() },
  ...framing('POST', `${S}/{sub}/rotate-secret`, 'rotate'),
  { name: 'a bare null (not: rotate with a generated secret)', method: 'POST', path: `${S}/{sub}/rotate-secret`, raw: 'null', expect: invalid() },
  { name: 'an unknown subscription', method: 'POST', path: `${S}/sub_${UNKNOWN}/rotate-secret`, json: {}, expect: notFound('subscription') },

  // ---- POST /v1/subscriptions/:id/test
  { name: 'a url to test instead', method: 'POST', path: `${S}/{sub}/test`, json: { url: 'https://evil.test/' }, expect: invalid() },
  ...framing('POST', `${S}/{sub}/test`, 'test send'),
  { name: 'an unknown subscription', method: 'POST', path: `${S}/sub_${UNKNOWN}/test`, expect: notFound('subscription') },

  // ---- POST /v1/subscriptions/:id/filter-test
  { name: 'no event', method: 'POST', path: `${S}/{sub}/filter-test`, json: {}, expect: invalid() },
  { name: 'event a string', method: 'POST', path: `${S}/{sub}/filter-test`, json: { event: 'image.created' }, expect: invalid() },
  { name: 'event without a type', method: 'POST', path: `${S}/{sub}/filter-test`, json: { event: { data: {} } }, expect: invalid() },
  { name: 'event data an array', method: 'POST', path: `${S}/{sub}/filter-test`, json: { event: { type: 'image.created', data: [] } }, expect: invalid() },
  {
    name: 'an unknown field beside the event',
    method: 'POST',
    path: `${S}/{sub}/filter-test`,
    json: { event: { type: 'image.created' }, send: true },
    expect: invalid(),
  },
  {
    name: 'an unknown field in the event',
    method: 'POST',
    path: `${S}/{sub}/filter-test`,
    json: { event: { type: 'image.created', receivedAt: 'now' } },
    expect: invalid(),
  },
  ...framing('POST', `${S}/{sub}/filter-test`, 'filter test'),
  {
    name: 'an unknown subscription',
    method: 'POST',
    path: `${S}/sub_${UNKNOWN}/filter-test`,
    json: { event: { type: 'image.created' } },
    expect: notFound('subscription'),
  },

  // ---- POST /v1/event-types
  { name: 'name missing', method: 'POST', path: ET, json: { description: 'x', schema: {}, example: {} }, expect: invalid() },
  { name: 'name a number', method: 'POST', path: ET, json: et({ name: 7 }), expect: invalid() },
  { name: 'name in capitals', method: 'POST', path: ET, json: et({ name: 'Video.Done' }), expect: invalid() },
  { name: 'name of 6 segments', method: 'POST', path: ET, json: et({ name: 'a.b.c.d.e.f' }), expect: invalid() },
  { name: 'name with a wildcard', method: 'POST', path: ET, json: et({ name: 'video.*' }), expect: invalid() },
  { name: 'name with an empty segment', method: 'POST', path: ET, json: et({ name: 'video..done' }), expect: invalid() },
  { name: 'name with a zero-width space', method: 'POST', path: ET, json: et({ name: 'video.\u200Bdone' }), expect: invalid() },
  { name: 'the name of the built-in type', method: 'POST', path: ET, json: et({ name: 'image.created' }), expect: { status: 409, code: 'event_type_exists' } },
  { name: 'description missing', method: 'POST', path: ET, json: { name: 'video.fuzz.done', schema: {}, example: {} }, expect: invalid() },
  { name: 'description of 2000 characters', method: 'POST', path: ET, json: et({ description: 'd'.repeat(2000) }), expect: invalid() },
  { name: 'schema a string', method: 'POST', path: ET, json: et({ schema: '{"type":"object"}' }), expect: invalid() },
  { name: 'schema with an unknown type', method: 'POST', path: ET, json: et({ schema: { type: 'objekt' } }), expect: invalid('invalid_schema') },
  {
    name: 'schema with an unknown keyword',
    method: 'POST',
    path: ET,
    json: et({ schema: { type: 'object', requird: ['a'] } }),
    expect: invalid('invalid_schema'),
  },
  {
    name: 'schema of another draft',
    method: 'POST',
    path: ET,
    json: et({ schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' } }),
    expect: invalid('invalid_schema'),
  },
  {
    name: 'schema with a remote $ref',
    method: 'POST',
    path: ET,
    json: et({ schema: { $ref: 'https://evil.test/schema.json' } }),
    expect: invalid('invalid_schema'),
  },
  { name: 'schema with a bad pattern', method: 'POST', path: ET, json: et({ schema: { type: 'string', pattern: '(' } }), expect: invalid('invalid_schema') },
  {
    name: 'schema over 64 KiB',
    method: 'POST',
    path: ET,
    json: et({ schema: { type: 'object', description: 'd'.repeat(70 * KiB) } }),
    expect: invalid('invalid_schema'),
  },
  { name: 'example missing', method: 'POST', path: ET, json: { name: 'video.fuzz.done', description: 'x', schema: {} }, expect: invalid() },
  {
    name: 'example refused by the schema',
    method: 'POST',
    path: ET,
    json: et({ schema: { type: 'object', required: ['url'] }, example: {} }),
    expect: invalid('incompatible_schema', { path: '/url' }),
  },
  { name: 'example an array', method: 'POST', path: ET, json: et({ example: [] }), expect: invalid() },
  { name: 'group with spaces', method: 'POST', path: ET, json: et({ group: 'my group' }), expect: invalid() },
  { name: 'an unknown field', method: 'POST', path: ET, json: et({ version: 3 }), expect: invalid() },
  {
    name: '__proto__ in the schema',
    method: 'POST',
    path: ET,
    raw: `{"name":"video.fuzz.done","description":"x","example":{},"schema":{"__proto__":{"${MARK}":1}}}`,
    expect: forbiddenKey('__proto__', '/schema/__proto__'),
  },
  ...framing('POST', ET, 'event type'),

  // ---- PATCH /v1/event-types/:name and POST /v1/event-types/:name/archive
  {
    name: 'a schema refusing the stored example',
    method: 'PATCH',
    path: `${ET}/{et}`,
    json: { schema: { type: 'object', required: ['render_id'] } },
    expect: invalid('incompatible_schema', { path: '/render_id', example: 'stored' }),
  },
  {
    name: 'an example refused by the stored schema',
    method: 'PATCH',
    path: `${ET}/{et}`,
    json: { example: { image_url: 5 } },
    expect: invalid('incompatible_schema'),
  },
  { name: 'an invalid schema', method: 'PATCH', path: `${ET}/{et}`, json: { schema: { type: 12 } }, expect: invalid('invalid_schema') },
  { name: 'description null', method: 'PATCH', path: `${ET}/{et}`, json: { description: null }, expect: invalid() },
  { name: 'a new name', method: 'PATCH', path: `${ET}/{et}`, json: { name: 'image.renamed' }, expect: invalid() },
  { name: 'archivedAt', method: 'PATCH', path: `${ET}/{et}`, json: { archivedAt: null }, expect: invalid() },
  ...framing('PATCH', `${ET}/{et}`, 'event type PATCH'),
  {
    name: 'an unknown type',
    method: 'PATCH',
    path: `${ET}/video.never.defined`,
    json: { description: 'x' },
    expect: { status: 404, code: 'event_type_not_found' },
  },
  {
    name: 'a name that is no name',
    method: 'PATCH',
    path: `${ET}/..%2F..%2Fevents`,
    json: { description: 'x' },
    expect: { status: 404, code: 'event_type_not_found' },
  },
  {
    name: 'a name of 10k characters',
    method: 'PATCH',
    path: `${ET}/${'a'.repeat(10_000)}`,
    json: { description: 'x' },
    expect: { status: 404, code: 'event_type_not_found' },
  },
  { name: 'a body with a field', method: 'POST', path: `${ET}/{et}/archive`, json: { reason: 'old' }, expect: invalid() },
  ...framing('POST', `${ET}/{et}/archive`, 'archive'),
  { name: 'an unknown type', method: 'POST', path: `${ET}/video.never.defined/archive`, expect: { status: 404, code: 'event_type_not_found' } },
  { name: 'an emoji name', method: 'POST', path: `${ET}/%F0%9F%8E%AC/archive`, expect: { status: 404, code: 'event_type_not_found' } },

  // ---- POST /v1/events
  { name: 'type a number', method: 'POST', path: E, json: event({ type: 1 }), expect: invalid() },
  { name: 'type null', method: 'POST', path: E, json: event({ type: null }), expect: invalid() },
  { name: 'type an array', method: 'POST', path: E, json: event({ type: ['image.created'] }), expect: invalid() },
  { name: 'type empty', method: 'POST', path: E, json: event({ type: '' }), expect: invalid() },
  { name: 'type missing', method: 'POST', path: E, json: { data: {} }, expect: invalid() },
  { name: 'data a number', method: 'POST', path: E, json: { type: 'image.created', data: 1 }, expect: invalid() },
  { name: 'data an array', method: 'POST', path: E, json: { type: 'image.created', data: [] }, expect: invalid() },
  { name: 'data null', method: 'POST', path: E, json: { type: 'image.created', data: null }, expect: invalid() },
  { name: 'data missing', method: 'POST', path: E, json: { type: 'image.created' }, expect: invalid() },
  { name: 'id a number', method: 'POST', path: E, json: event({ id: 12345 }), expect: invalid() },
  { name: 'id with ../', method: 'POST', path: E, json: event({ id: '../../etc/passwd' }), expect: invalid() },
  { name: 'id with an RTL override', method: 'POST', path: E, json: event({ id: 'evt\u202Ecod' }), expect: invalid() },
  { name: 'id of 300 characters', method: 'POST', path: E, json: event({ id: 'e'.repeat(300) }), expect: invalid() },
  { name: 'templateId a number', method: 'POST', path: E, json: event({ templateId: 9 }), expect: invalid() },
  { name: 'templateId empty', method: 'POST', path: E, json: event({ templateId: '' }), expect: invalid() },
  { name: 'traceId an object', method: 'POST', path: E, json: event({ traceId: { id: 't' } }), expect: invalid() },
  { name: 'an unknown field', method: 'POST', path: E, json: event({ receivedAt: '2020-01-01T00:00:00Z' }), expect: invalid() },
  { name: 'image_url a number', method: 'POST', path: E, json: event({}, { image_url: 5 }), expect: invalid('invalid_event_payload') },
  {
    name: '10k modifications',
    method: 'POST',
    path: E,
    json: event({}, { modifications: many(10_000, () => ({ name: 'm' })) }),
    expect: invalid('invalid_event_payload'),
  },
  { name: 'a zero-width space in the type', method: 'POST', path: E, json: event({ type: 'image.\u200Bcreated' }), expect: invalid('unknown_event_type') },
  { name: 'an emoji type', method: 'POST', path: E, json: event({ type: '\u{1F5BC}.created' }), expect: invalid('unknown_event_type') },
  {
    name: 'a malformed traceparent is ignored, the bad data is not',
    method: 'POST',
    path: E,
    json: event({}, { image_url: 5 }),
    headers: { traceparent: '00-xyz' },
    expect: invalid('invalid_event_payload'),
  },
  {
    name: '__proto__ in data.metadata',
    method: 'POST',
    path: E,
    raw: JSON.stringify(event({}, { metadata: { pre: 1 } })).replace('"metadata":{', `"metadata":{"__proto__":{"${MARK}":1},`),
    expect: forbiddenKey('__proto__', '/data/metadata/__proto__'),
  },
  {
    name: 'constructor.prototype in data',
    method: 'POST',
    path: E,
    json: event({}, { constructor: { prototype: { [MARK]: 1 } } }),
    expect: forbiddenKey('constructor', '/data/constructor'),
  },
  {
    name: 'valueOf in data',
    method: 'POST',
    path: E,
    json: event({}, { metadata: { valueOf: { v: 1 } } }),
    expect: forbiddenKey('valueOf', '/data/metadata/valueOf'),
  },
  {
    name: 'a lone surrogate in data',
    method: 'POST',
    path: E,
    raw: JSON.stringify(event({}, { metadata: { pre: 1 } })).replace('"metadata":{', '"metadata":{"title":"\\udfff",'),
    expect: invalid('invalid_value', { path: '/data/metadata/title' }),
  },
  { name: 'a NUL in a data key', method: 'POST', path: E, json: event({}, { metadata: { 'a\u0000b': 1 } }), expect: invalid('invalid_value') },
  { name: 'a 1 MB string in data', method: 'POST', path: E, json: event({}, { metadata: { blob: 'b'.repeat(MiB) } }), expect: tooLarge },
  { name: 'a body just over 256 KiB', method: 'POST', path: E, json: event({}, { metadata: { blob: 'b'.repeat(256 * KiB) } }), expect: tooLarge },
  {
    name: 'an Idempotency-Key with a non-ASCII byte',
    method: 'POST',
    path: E,
    json: event(),
    headers: { 'idempotency-key': 'key-\u00e9' },
    expect: invalid('invalid_idempotency_key'),
  },
  {
    name: 'an Idempotency-Key of 256 characters',
    method: 'POST',
    path: E,
    json: event(),
    headers: { 'idempotency-key': 'k'.repeat(256) },
    expect: invalid('invalid_idempotency_key'),
  },
  {
    name: 'an Idempotency-Key of 20k characters (over the header limit)',
    method: 'POST',
    path: E,
    json: event(),
    headers: { 'idempotency-key': 'k'.repeat(20_000) },
    expect: { status: 431, code: 'headers_too_large' },
  },
  ...framing('POST', E, 'event'),
  { name: 'a bare null', method: 'POST', path: E, raw: 'null', expect: invalid() },

  // ---- POST /v1/deliveries/:id/retry and /cancel
  { name: 'a body with a field', method: 'POST', path: '/v1/deliveries/{dlv}/retry', json: { force: true }, expect: invalid() },
  ...framing('POST', '/v1/deliveries/{dlv}/retry', 'delivery retry'),
  { name: 'an unknown delivery', method: 'POST', path: `/v1/deliveries/dlv_${UNKNOWN}/retry`, expect: notFound('delivery') },
  { name: 'a percent-encoded ../ id', method: 'POST', path: '/v1/deliveries/..%2F..%2Fsubscriptions/retry', expect: notFound('delivery') },
  { name: 'an id of 10k characters', method: 'POST', path: `/v1/deliveries/dlv_${'Z'.repeat(10_000)}/retry`, expect: notFound('delivery') },
  { name: 'an emoji id', method: 'POST', path: '/v1/deliveries/dlv_%F0%9F%93%A6/retry', expect: notFound('delivery') },
  { name: 'an id that is not valid percent-encoding', method: 'POST', path: '/v1/deliveries/%E0%A4%A/retry', expect: { status: 400, code: 'bad_request' } },
  { name: 'a body with a reason', method: 'POST', path: '/v1/deliveries/{dlv}/cancel', json: { reason: 'because' }, expect: invalid() },
  ...framing('POST', '/v1/deliveries/{dlv}/cancel', 'delivery cancel'),
  { name: 'an unknown delivery', method: 'POST', path: `/v1/deliveries/dlv_${UNKNOWN}/cancel`, expect: notFound('delivery') },
  { name: 'an id of another kind', method: 'POST', path: `/v1/deliveries/sub_${UNKNOWN}/cancel`, expect: notFound('delivery') },
  { name: 'a lowercase id', method: 'POST', path: `/v1/deliveries/dlv_${UNKNOWN.toLowerCase()}/cancel`, expect: notFound('delivery') },
  {
    name: 'a raw ../ path to a subscription',
    method: 'POST',
    path: '/v1/deliveries/../subscriptions/{sub}/test',
    expect: { status: 404, code: 'route_not_found' },
  },

  // ---- POST /v1/dead-letters/retry (bulk)
  { name: 'subscriptionId a number', method: 'POST', path: '/v1/dead-letters/retry', json: { subscriptionId: 1 }, expect: invalid() },
  { name: 'subscriptionId an array', method: 'POST', path: '/v1/dead-letters/retry', json: { subscriptionId: [`sub_${UNKNOWN}`] }, expect: invalid() },
  { name: 'subscriptionId with ../', method: 'POST', path: '/v1/dead-letters/retry', json: { subscriptionId: 'sub_../../x' }, expect: invalid() },
  { name: 'since a number', method: 'POST', path: '/v1/dead-letters/retry', json: { since: 1700000000 }, expect: invalid() },
  { name: 'since in words', method: 'POST', path: '/v1/dead-letters/retry', json: { since: 'yesterday' }, expect: invalid() },
  { name: 'until an object', method: 'POST', path: '/v1/dead-letters/retry', json: { until: { date: '2025-01-01' } }, expect: invalid() },
  {
    name: 'since after until',
    method: 'POST',
    path: '/v1/dead-letters/retry',
    json: { since: '2025-02-01T00:00:00Z', until: '2025-01-01T00:00:00Z' },
    expect: invalid('invalid_time_range'),
  },
  { name: 'an unknown filter', method: 'POST', path: '/v1/dead-letters/retry', json: { status: 'failed' }, expect: invalid() },
  { name: 'a bare null (not: retry everything)', method: 'POST', path: '/v1/dead-letters/retry', raw: 'null', expect: invalid() },
  {
    name: 'constructor (not: retry everything)',
    method: 'POST',
    path: '/v1/dead-letters/retry',
    json: { constructor: 1 },
    expect: forbiddenKey('constructor', '/constructor'),
  },
  { name: 'subscriptionId of 1 MB', method: 'POST', path: '/v1/dead-letters/retry', json: { subscriptionId: `sub_${'A'.repeat(MiB)}` }, expect: tooLarge },
  ...framing('POST', '/v1/dead-letters/retry', 'bulk retry'),

  // ---- POST /v1/dead-letters/:id/retry and DELETE /v1/dead-letters/:id
  { name: 'a body with a field', method: 'POST', path: '/v1/dead-letters/{dlq}/retry', json: { all: true }, expect: invalid() },
  ...framing('POST', '/v1/dead-letters/{dlq}/retry', 'dead letter retry'),
  { name: 'an unknown dead letter', method: 'POST', path: `/v1/dead-letters/dlq_${UNKNOWN}/retry`, expect: notFound('dead_letter') },
  { name: 'a unicode id', method: 'POST', path: '/v1/dead-letters/dlq_%D8%A7%D9%84%D8%B1%D8%B3%D8%A7%D9%84%D8%A9/retry', expect: notFound('dead_letter') },
  { name: 'a body with a field', method: 'DELETE', path: '/v1/dead-letters/{dlq}', json: { confirm: true }, expect: invalid() },
  ...framing('DELETE', '/v1/dead-letters/{dlq}', 'discard'),
  { name: 'an unknown dead letter', method: 'DELETE', path: `/v1/dead-letters/dlq_${UNKNOWN}`, expect: notFound('dead_letter') },
  { name: 'an encoded NUL id', method: 'DELETE', path: '/v1/dead-letters/%00', expect: notFound('dead_letter') },
  {
    name: 'a raw ../ path to a subscription',
    method: 'DELETE',
    path: '/v1/dead-letters/../subscriptions/{sub}',
    expect: { status: 404, code: 'route_not_found' },
  },

  // ---- PUT /v1/tenants/:id, PATCH and DELETE /v1/tenants/:id, POST /v1/tenants/:id/portal-sessions
  { name: 'name a number', method: 'PUT', path: `${T}/fuzz_new`, json: { name: 7 }, expect: invalid() },
  { name: 'name empty', method: 'PUT', path: `${T}/fuzz_new`, json: { name: '' }, expect: invalid() },
  { name: 'name of 300 characters', method: 'PUT', path: `${T}/fuzz_new`, json: { name: 'n'.repeat(300) }, expect: invalid() },
  { name: 'metadata an array', method: 'PUT', path: `${T}/fuzz_new`, json: { metadata: [1] }, expect: invalid() },
  { name: 'metadata a string', method: 'PUT', path: `${T}/fuzz_new`, json: { metadata: 'plan=pro' }, expect: invalid() },
  {
    name: 'metadata over 8 KiB',
    method: 'PUT',
    path: `${T}/fuzz_new`,
    json: { metadata: { pad: 'p'.repeat(9 * KiB) } },
    expect: invalid('metadata_too_large'),
  },
  {
    name: '__proto__ in metadata',
    method: 'PUT',
    path: `${T}/fuzz_new`,
    raw: `{"metadata":{"__proto__":{"${MARK}":1}}}`,
    expect: forbiddenKey('__proto__', '/metadata/__proto__'),
  },
  { name: 'weight 0', method: 'PUT', path: `${T}/fuzz_new`, json: { weight: 0 }, expect: invalid() },
  { name: 'weight 101', method: 'PUT', path: `${T}/fuzz_new`, json: { weight: 101 }, expect: invalid() },
  { name: 'weight 1.5', method: 'PUT', path: `${T}/fuzz_new`, json: { weight: 1.5 }, expect: invalid() },
  { name: 'weight a string', method: 'PUT', path: `${T}/fuzz_new`, json: { weight: '4' }, expect: invalid() },
  { name: 'weight 1e309 (Infinity)', method: 'PUT', path: `${T}/fuzz_new`, raw: '{"weight":1e309}', expect: invalid() },
  { name: 'an id chosen in the body', method: 'PUT', path: `${T}/fuzz_new`, json: { id: 'other' }, expect: invalid() },
  { name: 'a read-only field (createdAt)', method: 'PUT', path: `${T}/fuzz_new`, json: { createdAt: '2020-01-01T00:00:00Z' }, expect: invalid() },
  { name: 'an id of 65 characters', method: 'PUT', path: `${T}/${'t'.repeat(65)}`, json: {}, expect: invalid('invalid_tenant_id') },
  { name: 'an id with a space', method: 'PUT', path: `${T}/a%20b`, json: {}, expect: invalid('invalid_tenant_id') },
  { name: 'an emoji id', method: 'PUT', path: `${T}/%F0%9F%92%A3`, json: {}, expect: invalid('invalid_tenant_id') },
  { name: 'an id with an encoded NUL', method: 'PUT', path: `${T}/ten%00`, json: {}, expect: invalid('invalid_tenant_id') },
  { name: 'a percent-encoded ../ id', method: 'PUT', path: `${T}/..%2F..%2Fsubscriptions`, json: {}, expect: invalid('invalid_tenant_id') },
  ...framing('PUT', `${T}/fuzz_new`, 'tenant PUT'),
  { name: 'name null', method: 'PATCH', path: `${T}/{ten}`, json: { name: null }, expect: invalid() },
  { name: 'metadata null', method: 'PATCH', path: `${T}/{ten}`, json: { metadata: null }, expect: invalid() },
  { name: 'weight null', method: 'PATCH', path: `${T}/{ten}`, json: { weight: null }, expect: invalid() },
  { name: 'weight -4', method: 'PATCH', path: `${T}/{ten}`, json: { weight: -4 }, expect: invalid() },
  { name: 'a new id', method: 'PATCH', path: `${T}/{ten}`, json: { id: 'other' }, expect: invalid() },
  { name: 'an unknown tenant', method: 'PATCH', path: `${T}/nobody`, json: { name: 'x' }, expect: notFound('tenant') },
  { name: 'a lone surrogate in the name', method: 'PATCH', path: `${T}/{ten}`, raw: '{"name":"\\ud800"}', expect: invalid('invalid_value') },
  ...framing('PATCH', `${T}/{ten}`, 'tenant PATCH'),
  { name: 'a body with a field', method: 'DELETE', path: `${T}/{ten}`, json: { cascade: false }, expect: invalid() },
  { name: 'the built-in tenant', method: 'DELETE', path: `${T}/default`, expect: { status: 409, code: 'default_tenant_protected' } },
  { name: 'an unknown tenant', method: 'DELETE', path: `${T}/nobody`, expect: notFound('tenant') },
  { name: 'a percent-encoded ../ id', method: 'DELETE', path: `${T}/%2E%2E%2F%2E%2E`, expect: notFound('tenant') },
  ...framing('DELETE', `${T}/{ten}`, 'tenant DELETE'),
  { name: 'expiresIn over 7 days', method: 'POST', path: `${T}/{ten}/portal-sessions`, json: { expiresIn: 604_801 }, expect: invalid() },
  { name: 'expiresIn negative', method: 'POST', path: `${T}/{ten}/portal-sessions`, json: { expiresIn: -1 }, expect: invalid() },
  { name: 'expiresIn a fraction', method: 'POST', path: `${T}/{ten}/portal-sessions`, json: { expiresIn: 60.5 }, expect: invalid() },
  { name: 'expiresIn a string', method: 'POST', path: `${T}/{ten}/portal-sessions`, json: { expiresIn: '3600' }, expect: invalid() },
  { name: 'expiresIn 1e309 (Infinity)', method: 'POST', path: `${T}/{ten}/portal-sessions`, raw: '{"expiresIn":1e309}', expect: invalid() },
  { name: 'a tenant id in the body', method: 'POST', path: `${T}/{ten}/portal-sessions`, json: { tenantId: 'default' }, expect: invalid() },
  { name: 'an unknown tenant', method: 'POST', path: `${T}/nobody/portal-sessions`, json: {}, expect: notFound('tenant') },
  ...framing('POST', `${T}/{ten}/portal-sessions`, 'portal session'),
  // tenantId on the other write routes
  { name: 'tenantId a number', method: 'POST', path: S, json: sub({ tenantId: 5 }), expect: invalid() },
  { name: 'tenantId of 65 characters', method: 'POST', path: S, json: sub({ tenantId: 't'.repeat(65) }), expect: invalid() },
  { name: 'tenantId with ../', method: 'POST', path: S, json: sub({ tenantId: '../default' }), expect: invalid() },
  { name: 'tenantId moved by PATCH', method: 'PATCH', path: `${S}/{sub}`, json: { tenantId: 'other' }, expect: invalid() },
  { name: 'tenantId an array', method: 'POST', path: E, json: event({ tenantId: ['a'] }), expect: invalid() },
  { name: 'tenantId empty', method: 'POST', path: E, json: event({ tenantId: '' }), expect: invalid() },
  { name: 'tenantId with a zero-width space', method: 'POST', path: E, json: event({ tenantId: 'ws\u200B1' }), expect: invalid() },
  { name: 'bulk retry tenantId with a space', method: 'POST', path: '/v1/dead-letters/retry', json: { tenantId: 'a b' }, expect: invalid() },

  // ---- HTTP no client would send (the server's parser refuses it before any route)
  {
    name: 'a CR inside a request header',
    method: 'POST',
    path: S,
    wire: `POST ${S} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nx-a: b\rinjected: c\r\ncontent-length: 2\r\n\r\n{}`,
    expect: { status: 400, code: 'bad_request' },
  },
  {
    name: 'a space in a request header name',
    method: 'POST',
    path: S,
    wire: `POST ${S} HTTP/1.1\r\nhost: x\r\nbad name: v\r\ncontent-length: 2\r\n\r\n{}`,
    expect: { status: 400, code: 'bad_request' },
  },
  {
    name: 'content-length and chunked together (smuggling)',
    method: 'POST',
    path: E,
    wire: `POST ${E} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TEST_ADMIN_TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
    expect: { status: 400, code: 'bad_request' },
  },
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(baseUrl: string, c: Case, path: string): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  if (c.wire !== undefined) return sendWire(hostname, Number(port), c.wire);
  const body = c.raw ?? (c.json === undefined ? undefined : JSON.stringify(c.json));
  const headers: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  for (const [name, value] of Object.entries(c.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: c.method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413, 431) and close before reading everything; the answer is what counts.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(body);
  });
}

function sendWire(host: string, port: number, wire: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.end(wire));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = raw.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: rest.join('\r\n\r\n') });
    });
  });
}

/** Herald's one error shape, every field of it, and nothing else. */
function assertErrorShape(answer: Answer, expect: Case['expect']): void {
  assert.equal(answer.status, expect.status, `expected ${expect.status} ${expect.code}, got ${answer.status} ${answer.text.slice(0, 500)}`);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  const body = JSON.parse(answer.text) as { error: { code: unknown; message: unknown; details: unknown } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'details', 'message']);
  assert.equal(body.error.code, expect.code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok((body.error.message as string).length > 0, 'a message');
  assert.ok(!/\n\s+at /.test(body.error.message as string), 'no stack trace');
  assert.equal(typeof body.error.details, 'object');
  assert.ok(body.error.details !== null && !Array.isArray(body.error.details), 'details is an object');
  for (const [k, v] of Object.entries(expect.details ?? {})) assert.deepEqual((body.error.details as Record<string, unknown>)[k], v, `details.${k}`);
}

describe('fuzzed write requests are refused with a 4xx in the one error shape', () => {
  let stack: TestStack;
  const ids = { sub: '', dlv: '', dlq: '', ten: 'fuzz_tenant' };
  let rowsBefore: Record<string, unknown[]>;
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  /** Every row a refused request could have written or changed. */
  const snapshot = async (): Promise<Record<string, unknown[]>> => {
    const q = (sql: string): Promise<unknown[]> => stack.db.dataSource.query(sql);
    return {
      subscriptions: await q('SELECT * FROM subscriptions ORDER BY id'),
      events: await q('SELECT * FROM events ORDER BY id'),
      deliveries: await q('SELECT * FROM deliveries ORDER BY id'),
      attempts: await q('SELECT * FROM attempts ORDER BY id'),
      deadLetters: await q('SELECT * FROM dead_letters ORDER BY id'),
      tenants: await q('SELECT * FROM tenants ORDER BY id'),
      eventTypes: await q('SELECT * FROM event_types ORDER BY name'),
    };
  };

  before(async () => {
    // No worker: nothing refused may start a workflow anyway, and the table runs faster alone.
    stack = await startStack({}, { worker: false });
    assert.equal((await stack.api(`/v1/tenants/${ids.ten}`, { method: 'PUT', json: { name: 'Fuzz' } })).status, 201);
    const created = await stack.api('/v1/subscriptions', { method: 'POST', json: sub({ url: 'https://hooks.herald.test/fuzz', enabled: false }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.sub = created.body.id;
    const ds = stack.db.dataSource;
    const subscription = await ds.getRepository(Subscription).findOneByOrFail({ id: ids.sub });
    ids.dlv = (await seedDelivery(ds, await seedEvent(ds), subscription)).id;
    const dead = await seedDelivery(ds, await seedEvent(ds), subscription);
    await ds.getRepository(Delivery).update({ id: dead.id }, { status: 'dead_lettered', attemptCount: 8 });
    ids.dlq = newId('deadLetter');
    const now = new Date();
    await ds.getRepository(DeadLetter).insert({
      id: ids.dlq,
      deliveryId: dead.id,
      subscriptionId: ids.sub,
      tenantId: 'default',
      eventId: dead.eventId,
      eventType: 'image.created',
      reason: 'schedule exhausted',
      lastStatusCode: 500,
      attemptCount: 8,
      payload: {},
      createdAt: now,
      updatedAt: now,
      expiresAt: new Date(now.getTime() + 7 * 86_400_000),
    });
    rowsBefore = await snapshot();
  });
  after(async () => {
    await stack?.stop();
  });

  it('covers every write route with at least 100 cases', () => {
    assert.ok(CASES.length >= 100, `${CASES.length} cases`);
    const routes = new Set(
      CASES.filter((c) => !c.wire).map(
        (c) =>
          `${c.method} ${c.path.replace(/\/v1\/tenants\/[^/]+/, '/v1/tenants/:id').replace(/\/(sub|dlv|dlq)_[^/]*|\/\{(sub|dlv|dlq|et)\}(%00)?|\/[^/]*%[^/]*/g, '/:id')}`,
      ),
    );
    for (const route of [
      'POST /v1/subscriptions',
      'PATCH /v1/subscriptions/:id',
      'DELETE /v1/subscriptions/:id',
      'POST /v1/subscriptions/:id/rotate-secret',
      'POST /v1/subscriptions/:id/test',
      'POST /v1/subscriptions/:id/filter-test',
      'POST /v1/event-types',
      'PATCH /v1/event-types/:id',
      'POST /v1/event-types/:id/archive',
      'POST /v1/events',
      'POST /v1/deliveries/:id/retry',
      'POST /v1/deliveries/:id/cancel',
      'POST /v1/dead-letters/retry',
      'POST /v1/dead-letters/:id/retry',
      'DELETE /v1/dead-letters/:id',
      'PUT /v1/tenants/:id',
      'PATCH /v1/tenants/:id',
      'DELETE /v1/tenants/:id',
      'POST /v1/tenants/:id/portal-sessions',
    ])
      assert.ok(routes.has(route), `no case for ${route}`);
  });

  const statuses: number[] = [];
  let refused = 0;
  for (const [i, c] of CASES.entries()) {
    it(
      `#${i + 1} ${c.method} ${c.path.length > 60 ? `${c.path.slice(0, 60)}…` : c.path} — ${c.name} → ${c.expect.status} ${c.expect.code}`,
      { timeout: 20_000 },
      async () => {
        const path = c.path
          .replace('{sub}', ids.sub)
          .replace('{dlv}', ids.dlv)
          .replace('{dlq}', ids.dlq)
          .replace('{ten}', ids.ten)
          .replace('{et}', 'image.created');
        const answer = await send(stack.baseUrl, c, path);
        statuses.push(answer.status);
        assert.ok(answer.status >= 400 && answer.status < 500, `a 4xx, got ${answer.status} ${answer.text.slice(0, 300)}`);
        assertErrorShape(answer, c.expect);
        assert.equal(({} as Record<string, unknown>)[MARK], undefined, 'Object.prototype is not polluted');
        refused++;
      },
    );
  }

  it('left Object.prototype as it was', () => {
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
    assert.equal(({} as Record<string, unknown>)[MARK], undefined);
    assert.equal((Object.create(null) as Record<string, unknown>)[MARK], undefined);
  });

  it('stored and changed nothing for any of them', async () => {
    assert.deepEqual(await snapshot(), rowsBefore);
  });

  it('still answers /health and /ready, and a valid create still works', async () => {
    const health = await fetch(`${stack.baseUrl}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await stack.api('/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.status, 'ready');

    // Unicode that is well-formed is data like any other, kept as sent.
    const userDefined = { emoji: '\u{1F600}', rtl: '\u202Eabc', zwj: 'a\u200Db', nested: { deep: [{ '\u{1F511}': 'k' }] } };
    const created = await stack.api('/v1/subscriptions', { method: 'POST', json: sub({ description: 'after the fuzz \u{1F9EA}', userDefined }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.userDefined, userDefined);
    const got = await stack.api(`/v1/subscriptions/${created.body.id}`);
    assert.deepEqual(got.body.userDefined, userDefined);
    assert.equal(got.body.description, 'after the fuzz \u{1F9EA}');
    const list = await stack.api('/v1/subscriptions');
    assert.equal(list.body.data.length, rowsBefore.subscriptions.length + 1);

    const byStatus = [...new Set(statuses)]
      .sort()
      .map((st) => `${st}×${statuses.filter((x) => x === st).length}`)
      .join(', ');
    reportSecurity({
      check: 'fuzzed write requests',
      cases: CASES.length,
      refused,
      through: statuses.filter((st) => st >= 500).length,
      notes: `every write route; answers ${byStatus}, each in the error shape; nothing stored, Object.prototype untouched, /health and /ready 200 afterwards`,
    });
  });
});
