import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type TestStack } from '../support/stack';

describe('the stack boots on real Postgres and a real Temporal dev server', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers /health without a token', async () => {
    const res = await fetch(`${stack.baseUrl}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('is /ready when Postgres and Temporal are reachable', async () => {
    const { status, body } = await stack.api('/ready');
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ready', checks: { postgres: 'up', temporal: 'up' } });
  });

  it('runs the worker against the Temporal server', () => {
    assert.equal(stack.worker.worker.getState(), 'RUNNING');
  });

  it('serves the OpenAPI document', async () => {
    const res = await fetch(`${stack.baseUrl}/docs-json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/ready']);
  });

  it('answers an unknown route with the shared error shape', async () => {
    const { status, body } = await stack.api('/nope');
    assert.equal(status, 404);
    assert.equal(body.error.code, 'route_not_found');
    assert.equal(typeof body.error.message, 'string');
    assert.deepEqual(body.error.details, {});
  });
});
