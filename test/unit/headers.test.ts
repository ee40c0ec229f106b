import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHeaders, MAX_CUSTOM_HEADERS, validateCustomHeaders } from '../../libs/delivery/headers';
import type { SignatureHeaders } from '../../libs/delivery/signing';

const signature: SignatureHeaders = { 'webhook-id': 'dlv_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,abc=' };
const build = (customHeaders?: Record<string, string>) =>
  buildHeaders({ signature, eventType: 'image.created', attemptNumber: 3, customHeaders, userAgentVersion: '1.2.3' });

describe('buildHeaders', () => {
  it("is exactly Herald's headers when the subscription has no custom ones", () => {
    assert.deepEqual(build(), {
      'content-type': 'application/json',
      'user-agent': 'Herald/1.2.3',
      'webhook-id': 'dlv_1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,abc=',
      'x-herald-event-type': 'image.created',
      'x-herald-attempt': '3',
    });
  });

  it('adds custom headers as the subscription spells them', () => {
    const headers = build({ Authorization: 'Bearer t0ken', 'X-Client-Id': 'acme' });
    assert.equal(headers.Authorization, 'Bearer t0ken');
    assert.equal(headers['X-Client-Id'], 'acme');
  });

  it('never lets a custom header replace or shadow a reserved one, whatever its case', () => {
    const attempts: Record<string, string> = {
      'Webhook-Signature': 'v1,forged',
      'WEBHOOK-ID': 'dlv_forged',
      'webhook-timestamp': '1',
      'Content-Type': 'text/plain',
      'Content-Length': '1',
      Host: 'internal.example',
      'User-Agent': 'curl/8',
      'X-Herald-Attempt': '1',
      'x-herald-event-type': 'image.deleted',
      'X-Herald-Anything': 'x',
      'Transfer-Encoding': 'chunked',
      Connection: 'close',
    };
    const { 'x-ok': kept, ...rest } = build({ ...attempts, 'x-ok': 'kept' });
    assert.deepEqual(rest, build(), "only Herald's own values, under lowercase names only");
    assert.equal(kept, 'kept');
  });

  it('drops a stored header that could split the request', () => {
    const headers = build({ 'x-evil': 'a\r\nx-injected: 1', 'bad name': 'v', 'x-fine': 'v' });
    assert.equal(headers['x-evil'], undefined);
    assert.equal(headers['bad name'], undefined);
    assert.equal(headers['x-fine'], 'v');
  });
});

describe('validateCustomHeaders', () => {
  const problemsOf = (headers: unknown) => validateCustomHeaders(headers);
  const onlyProblem = (headers: unknown, pattern: RegExp) => {
    const problems = problemsOf(headers);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0], pattern);
  };

  it('accepts ordinary headers and no headers at all', () => {
    assert.deepEqual(problemsOf({ Authorization: 'Bearer x', 'X-Api-Key': 'k', 'x-empty': '', 'X-Tab': 'a\tb' }), []);
    assert.deepEqual(problemsOf({}), []);
    assert.deepEqual(problemsOf(undefined), []);
  });

  it('refuses anything but an object of strings', () => {
    for (const bad of [null, 'x-a: b', ['x-a'], 42]) onlyProblem(bad, /must be an object/);
    onlyProblem({ 'x-n': 1 }, /"x-n" must have a string value/);
    onlyProblem({ 'x-o': { nested: 'v' } }, /"x-o" must have a string value/);
  });

  it('refuses names that are not HTTP tokens', () => {
    for (const name of ['', 'x a', 'x:a', 'x\r\ny', 'naïve', '(x)']) onlyProblem({ [name]: 'v' }, /is not a valid header name/);
  });

  it('refuses line breaks and NUL in values, which would split the request', () => {
    for (const value of ['a\rb', 'a\nb', 'a\r\nX-Injected: 1', 'a\0b']) onlyProblem({ 'x-v': value }, /"x-v" contains a line break or NUL/);
  });

  it('refuses other control and non-ASCII characters in values', () => {
    for (const value of ['a\x01b', 'a\x7fb', 'café']) onlyProblem({ 'x-v': value }, /printable ASCII/);
  });

  it('refuses every reserved name, whatever its case', () => {
    for (const name of [
      'webhook-signature',
      'Webhook-Id',
      'WEBHOOK-TIMESTAMP',
      'webhook-anything',
      'Content-Type',
      'content-length',
      'HOST',
      'User-Agent',
      'x-herald-attempt',
      'X-Herald-Event-Type',
      'x-herald-new',
      'Transfer-Encoding',
      'connection',
    ]) {
      onlyProblem({ [name]: 'v' }, /is set by Herald and cannot be overridden/);
    }
  });

  it('refuses the same name twice in different cases', () => {
    onlyProblem({ 'X-Api-Key': 'a', 'x-api-key': 'b' }, /"x-api-key" is given more than once/);
  });

  it('allows 50 headers and values of 4 KiB, not more', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']));
    assert.deepEqual(problemsOf(many(MAX_CUSTOM_HEADERS)), []);
    onlyProblem(many(MAX_CUSTOM_HEADERS + 1), /at most 50 custom headers/);
    assert.deepEqual(problemsOf({ 'x-big': 'a'.repeat(4096) }), []);
    onlyProblem({ 'x-big': 'a'.repeat(4097) }, /"x-big" is longer than 4096 bytes/);
  });

  it('reports every problem at once', () => {
    assert.equal(problemsOf({ 'bad name': 'v', 'x-v': 'a\nb', host: 'h' }).length, 3);
  });
});
