/**
 * Tracing through Herald: the producer's W3C traceparent, posted with the event, reaches the
 * receiver on every attempt, and the envelope's traceId follows it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context', () => {
  let stack: TestStack;
  let flaky: Receiver;
  before(async () => {
    stack = await startStack();
    flaky = await startReceiver({
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 200 },
      ],
    });
  });
  after(async () => {
    await flaky?.close();
    await stack?.stop();
  });

  it('passes the producer traceparent on every attempt and carries its trace id in the envelope', async () => {
    const tpl = uniqueTemplate();
    await createSubscription(stack, { url: flaky.url, templateIds: [tpl], payloadFormat: 'envelope' });
    const id = await postEvent(stack, imageCreated({ templateId: tpl }), { traceparent: TRACEPARENT });
    const [first, second] = await flaky.waitForRequests(2, 30_000);
    for (const req of [first, second]) {
      assert.equal(req.headers.traceparent, TRACEPARENT);
      assert.equal(JSON.parse(req.body).traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    }
    assert.deepEqual([first.headers['x-herald-attempt'], second.headers['x-herald-attempt']], ['1', '2']);
    assert.equal((await stack.api(`/v1/events/${id}`)).body.traceparent, TRACEPARENT);
  });

  it('sends no traceparent when the producer sent none or a malformed one, and keeps the envelope traceId', async () => {
    const r = await startReceiver({ kind: 'status', status: 200 });
    try {
      const tpl = uniqueTemplate();
      await createSubscription(stack, { url: r.url, templateIds: [tpl], payloadFormat: 'envelope' });
      const plain = await postEvent(stack, imageCreated({ templateId: tpl }));
      const malformed = await postEvent(stack, imageCreated({ templateId: tpl, traceId: 'trace-own' }), { traceparent: '00-zz-yy-01' });
      const reqs = await r.waitForRequests(2, 30_000);
      for (const req of reqs) assert.equal(req.headers.traceparent, undefined);
      const byEvent = Object.fromEntries(reqs.map((q) => [JSON.parse(q.body).id, JSON.parse(q.body).traceId]));
      assert.equal(byEvent[plain], plain, 'no trace at all: the event id');
      assert.equal(byEvent[malformed], 'trace-own', "the producer's traceId");
      assert.equal((await stack.api(`/v1/events/${malformed}`)).body.traceparent, null);
    } finally {
      await r.close();
    }
  });

  it('refuses traceparent as a custom subscription header: Herald sets it', async () => {
    assertError(
      await stack.api('/v1/subscriptions', { method: 'POST', json: { url: flaky.url, eventTypes: ['image.created'], headers: { traceparent: TRACEPARENT } } }),
      422,
      'invalid_headers',
    );
  });
});
