/**
 * Payload filters through the real matching path: a subscription per expression, an event per
 * column, ingested through the API; the event workflow's match activity creates a Delivery for
 * exactly the expected (expression, event) pairs. Plus bad filters (422 naming the path),
 * clearing with {} or null, and the filter-test route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Delivery } from '../../libs/db/entities';
import { eventWorkflowId } from '../../libs/temporal/names';
import { assertError, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { eventually } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

/** Events by name: image.created data with a few metadata variations. */
function events(tpl: string): Record<string, Record<string, unknown>> {
  const base = imageCreated({ templateId: tpl });
  const data = base.data as Record<string, unknown>;
  return {
    prod: { ...base, data: { ...data, metadata: { env: 'prod', width: 1080, tags: ['hero', 'spring'] } } },
    staging: { ...base, data: { ...data, metadata: { env: 'staging', width: 320 } } },
    bare: { ...base, data: { ...data, metadata: {} } },
    failed: { ...base, data: { ...data, status: 'failed', metadata: { env: 'prod', width: 64 } } },
  };
}

/** [expression, the events it lets through]. */
const TABLE: [Record<string, unknown>, string[]][] = [
  [{ data: { metadata: { env: { $eq: 'prod' } } } }, ['prod', 'failed']],
  [{ data: { metadata: { env: 'staging' } } }, ['staging']],
  [{ data: { metadata: { env: { $neq: 'prod' } } } }, ['staging', 'bare']],
  [{ data: { metadata: { env: { $in: ['prod', 'staging'] } } } }, ['prod', 'staging', 'failed']],
  [{ data: { metadata: { env: { $nin: ['prod'] } } } }, ['staging', 'bare']],
  [{ data: { metadata: { width: { $gte: 320, $lt: 2000 } } } }, ['prod', 'staging']],
  [{ data: { metadata: { width: { $gt: 1080 } } } }, []],
  [{ data: { metadata: { width: { $lte: 64 } } } }, ['failed']],
  [{ data: { metadata: { env: { $exists: false } } } }, ['bare']],
  [{ data: { metadata: { tags: 'spring' } } }, ['prod']],
  [{ data: { image_url: { $startsWith: 'https://usestencil.s3.amazonaws.com/' } } }, ['prod', 'staging', 'bare', 'failed']],
  [{ data: { status: 'completed' }, $not: { data: { metadata: { env: 'staging' } } } }, ['prod', 'bare']],
  [{ $or: [{ data: { status: 'failed' } }, { data: { metadata: { width: { $lt: 500 } } } }] }, ['staging', 'failed']],
  [{ $and: [{ data: { metadata: { env: 'prod' } } }, { data: { status: { $neq: 'failed' } } }] }, ['prod']],
  [{ type: 'image.created', templateId: { $startsWith: 'tpl_' } }, ['prod', 'staging', 'bare', 'failed']],
  [{ type: { $eq: 'video.render.completed' } }, []],
  [{ tenantId: 'default' }, ['prod', 'staging', 'bare', 'failed']],
];

describe('payload filters', () => {
  let stack: TestStack;
  let r: Receiver;
  before(async () => {
    stack = await startStack();
    r = await startReceiver({ kind: 'status', status: 200 });
  });
  after(async () => {
    await r?.close();
    await stack?.stop();
  });

  it('lets through exactly the events each expression selects, in the match activity', async () => {
    const tpl = uniqueTemplate();
    const subs = new Map<string, number>();
    for (const [i, [filter]] of TABLE.entries()) {
      const sub = await createSubscription(stack, { url: r.url, templateIds: [tpl], filter });
      assert.deepEqual(sub.filter, filter, 'stored as given');
      subs.set(sub.id, i);
    }
    const unfiltered = await createSubscription(stack, { url: r.url, templateIds: [tpl], filter: {} });
    assert.equal(unfiltered.filter, null, '{} is no filter');

    const got = new Map<number, string[]>(TABLE.map((_, i) => [i, []]));
    for (const [name, body] of Object.entries(events(tpl))) {
      const id = await postEvent(stack, body);
      // The 202 comes before the dispatcher has started the workflow: wait until it exists, then for its end.
      await eventually(
        () =>
          stack.client.workflow
            .getHandle(eventWorkflowId(id))
            .result()
            .catch(() => undefined),
        20_000,
        'the event workflow',
      );
      const deliveries = await stack.db.dataSource.getRepository(Delivery).findBy({ eventId: id });
      assert.ok(
        deliveries.some((d) => d.subscriptionId === unfiltered.id),
        `${name} reaches the unfiltered subscription`,
      );
      for (const d of deliveries) if (subs.has(d.subscriptionId)) got.get(subs.get(d.subscriptionId)!)!.push(name);
    }
    for (const [i, [filter, expected]] of TABLE.entries()) {
      assert.deepEqual(got.get(i)!.sort(), [...expected].sort(), JSON.stringify(filter));
    }
  });

  it('refuses a bad filter with 422 naming the path, on create and on patch', async () => {
    const cases: [unknown, string][] = [
      [{ data: { env: { $equals: 'prod' } } }, '/data/env/$equals'],
      [{ metadata: { env: 'prod' } }, '/metadata'],
      [{ data: { env: { $in: 'prod' } } }, '/data/env/$in'],
      [{ $or: [{ data: { a: 1 } }, { data: { b: { $gt: [] } } }] }, '/$or/1/data/b/$gt'],
    ];
    for (const [filter, path] of cases) {
      const e = assertError(
        await stack.api('/v1/subscriptions', { method: 'POST', json: { url: r.url, eventTypes: ['image.created'], filter } }),
        422,
        'invalid_filter',
      );
      assert.equal(e.details.path, path);
      assert.equal(e.details.field, 'filter');
    }
    assertError(
      await stack.api('/v1/subscriptions', { method: 'POST', json: { url: r.url, eventTypes: ['image.created'], filter: 'env=prod' } }),
      422,
      'validation_failed',
    );
    const sub = await createSubscription(stack, { url: r.url, filter: { data: { status: 'completed' } } });
    assertError(
      await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { filter: { data: { status: { $regex: '.*' } } } } }),
      422,
      'invalid_filter',
    );
    assert.deepEqual((await stack.api(`/v1/subscriptions/${sub.id}`)).body.filter, { data: { status: 'completed' } }, 'unchanged by a refused patch');
  });

  it('clears a filter with null or {}, and changes it with a patch', async () => {
    const sub = await createSubscription(stack, { url: r.url, filter: { data: { status: 'completed' } } });
    const changed = await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { filter: { data: { status: 'failed' } } } });
    assert.deepEqual(changed.body.filter, { data: { status: 'failed' } });
    assert.equal((await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { filter: null } })).body.filter, null);
    await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { filter: { data: { status: 'failed' } } } });
    assert.equal((await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { filter: {} } })).body.filter, null);
  });

  it('tries an event against a subscription with filter-test, explaining each check', async () => {
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: r.url, eventTypes: ['image.*'], templateIds: [tpl], filter: { data: { metadata: { env: 'prod' } } } });
    const test = (event: Record<string, unknown>) => stack.api(`/v1/subscriptions/${sub.id}/filter-test`, { method: 'POST', json: { event } });
    const yes = await test({ type: 'image.created', templateId: tpl, data: { metadata: { env: 'prod' } } });
    assert.equal(yes.status, 200);
    assert.deepEqual(yes.body, { matches: true, checks: { eventType: true, template: true, filter: true } });
    assert.deepEqual((await test({ type: 'image.created', templateId: tpl, data: { metadata: { env: 'dev' } } })).body, {
      matches: false,
      checks: { eventType: true, template: true, filter: false },
    });
    assert.deepEqual((await test({ type: 'video.render.completed', data: { metadata: { env: 'prod' } } })).body, {
      matches: false,
      checks: { eventType: false, template: false, filter: true },
    });
    assertError(await test({ data: {} }), 422, 'validation_failed');
    assertError(await stack.api(`/v1/subscriptions/${sub.id}/filter-test`, { method: 'POST', json: {} }), 422, 'validation_failed');
    assertError(
      await stack.api('/v1/subscriptions/sub_01JD7X8M5Q4R2Z3TR3V19H6X7K/filter-test', { method: 'POST', json: { event: { type: 'image.created' } } }),
      404,
      'subscription_not_found',
    );
  });
});
