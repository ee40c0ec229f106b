/**
 * Endpoint health through the API, with the real worker and the Temporal dev server: a 410 Gone
 * disables a subscription (its view says why), re-enabling clears the reason and the failing
 * clock, the operator's `_operator` subscription hears about it, signed; and the reserved
 * names (`herald.*`, `_operator`) are refused to producers with a clear 4xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATOR_TENANT_ID } from '../../libs/domain/tenants';
import { assertError, createSubscription, imageCreated, postEvent, verifySignature } from '../support/admin-api';
import { eventually } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

describe('endpoint health through the API', () => {
  let stack: TestStack;
  const receivers: Receiver[] = [];
  before(async () => {
    // The worker in this process raises the operational events; the API's sweep (1 s here) starts them.
    stack = await startStack({ HERALD_DISPATCH_SWEEP_SECONDS: '1' });
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  async function receiver(status: number): Promise<Receiver> {
    const r = await startReceiver({ kind: 'status', status });
    receivers.push(r);
    return r;
  }

  it('disables on 410 Gone with the reason in the view, tells _operator, and clears it all on re-enable', async () => {
    const gone = await receiver(410);
    const ops = await receiver(204);
    const tenant = `ws_${Date.now()}`;
    const operator = await createSubscription(stack, { url: ops.url, tenantId: OPERATOR_TENANT_ID, eventTypes: ['herald.subscription.disabled'] });
    const sub = await createSubscription(stack, { url: gone.url, tenantId: tenant });
    assert.equal(sub.disabledReason, null);
    assert.equal(sub.failingSince, null);

    await postEvent(stack, imageCreated({ tenantId: tenant }));
    const disabled = await eventually(
      async () => {
        const { body } = await stack.api(`/v1/subscriptions/${sub.id}`);
        return body.enabled === false ? body : undefined;
      },
      20_000,
      'the subscription disabled',
    );
    assert.match(disabled.disabledReason, /^gone: the endpoint answered 410 Gone at \d{4}-\d\d-\d\dT/);
    assert.notEqual(disabled.failingSince, null);
    assert.equal(disabled.consecutiveFailures, 1);
    assert.equal(gone.requests.length, 1, 'the delivery was not retried');

    const [req] = await ops.waitForRequests(1, 20_000);
    assert.equal(req.headers['x-herald-event-type'], 'herald.subscription.disabled');
    assert.deepEqual(verifySignature(operator.secret, req), {
      subscriptionId: sub.id,
      tenantId: tenant,
      reason: disabled.disabledReason,
      failingSince: disabled.failingSince,
      user_defined: {},
    });

    const reEnabled = await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { enabled: true } });
    assert.equal(reEnabled.status, 200);
    assert.equal(reEnabled.body.enabled, true);
    assert.equal(reEnabled.body.disabledReason, null);
    assert.equal(reEnabled.body.failingSince, null);
    assert.equal(reEnabled.body.consecutiveFailures, 0);
    const { body: again } = await stack.api(`/v1/subscriptions/${sub.id}`);
    assert.deepEqual([again.enabled, again.disabledReason, again.failingSince], [true, null, null], 'as stored');
  });

  it('lists the operational event types in the catalog', async () => {
    const { body } = await stack.api('/v1/event-types');
    const names = (body.data as { name: string }[]).map((t) => t.name);
    for (const name of ['herald.subscription.disabled', 'herald.subscription.failing', 'herald.subscription.recovered', 'herald.delivery.dead_lettered']) {
      assert.ok(names.includes(name), name);
    }
  });

  it('refuses herald.* events and events for _operator from producers, and herald.* event types', async () => {
    const example = { subscriptionId: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K', tenantId: 'x', reason: 'r', failingSince: new Date().toISOString() };
    assertError(await stack.api('/v1/events', { method: 'POST', json: { type: 'herald.subscription.disabled', data: example } }), 422, 'reserved_event_type');
    assertError(await stack.api('/v1/events', { method: 'POST', json: imageCreated({ tenantId: OPERATOR_TENANT_ID }) }), 422, 'operator_tenant_reserved');
    const schema = { type: 'object' };
    assertError(
      await stack.api('/v1/event-types', { method: 'POST', json: { name: 'herald.custom', description: 'x', schema, example: {} } }),
      422,
      'reserved_event_type',
    );
  });

  it('lets _operator subscribe to herald.* only', async () => {
    const res = await stack.api('/v1/subscriptions', {
      method: 'POST',
      json: { url: 'https://hooks.herald.test/ops', tenantId: OPERATOR_TENANT_ID, eventTypes: ['herald.*', 'image.created'] },
    });
    assertError(res, 422, 'operator_tenant_reserved');
  });
});
