/**
 * The event-type catalog through the admin API, on a real stack: create, list, get, change,
 * archive; events checked against the current schema (on another API replica too); families at
 * any depth reaching real receivers; and `herald event-types apply` loading
 * docs/catalog.example.json, twice.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApi } from '../../apps/api/src/app';
import { Delivery } from '../../libs/db/entities';
import { eventWorkflowId } from '../../libs/temporal/names';
import { run } from '../../scripts/herald';
import { assertError, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { testConfig, TEST_ADMIN_TOKEN } from '../support/config';
import { eventually } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

const CATALOG_FILE = join(__dirname, '..', '..', '..', 'docs', 'catalog.example.json');

const renderSchema = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'object',
  required: ['render_id', 'url'],
  properties: { render_id: { type: 'string' }, status: { type: 'string' }, url: { type: 'string', format: 'uri' }, duration: { type: 'number' }, ...extra },
  additionalProperties: false,
});
// docs/catalog.example.json's video.render.completed accepts it too, so `apply` may replace this schema.
const renderExample = { render_id: 'r1', status: 'done', url: 'https://cdn.example.com/r1.mp4' };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { env: { HERALD_API_URL: stackUrl, HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN }, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}
let stackUrl = '';

describe('the event-type catalog', () => {
  let stack: TestStack;
  let r: Receiver;
  before(async () => {
    stack = await startStack();
    stackUrl = stack.baseUrl;
    r = await startReceiver({ kind: 'status', status: 200 });
  });
  after(async () => {
    await r?.close();
    await stack?.stop();
  });

  const createType = (body: Record<string, unknown>) => stack.api('/v1/event-types', { method: 'POST', json: body });

  it('has image.created built in, with its documented schema and example', async () => {
    const res = await stack.api('/v1/event-types/image.created');
    assert.equal(res.status, 200);
    assert.equal(res.body.version, 1);
    assert.equal(res.body.group, 'image');
    assert.deepEqual(res.body.schema.required, ['image_url', 'image_url_jpg', 'metadata', 'modifications', 'status']);
    assert.equal(res.body.example.status, 'completed');
  });

  it('creates, lists and gets a type; refuses a duplicate, a bad name, a bad schema and an example its schema refuses', async () => {
    const created = await createType({
      name: 'video.render.completed',
      description: 'A render is done',
      schema: renderSchema(),
      example: renderExample,
      group: 'video',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.version, 1);
    assert.equal(created.body.archivedAt, null);
    assertError(
      await createType({ name: 'video.render.completed', description: 'again', schema: renderSchema(), example: renderExample }),
      409,
      'event_type_exists',
    );
    for (const name of ['Video.Render', 'video..render', 'a.b.c.d.e.f', 'video.render-done', '']) {
      assertError(await createType({ name, description: 'x', schema: renderSchema(), example: renderExample }), 422, 'validation_failed');
    }
    const badSchema = assertError(await createType({ name: 'video.bad', description: 'x', schema: { type: 'objekt' }, example: {} }), 422, 'invalid_schema');
    assert.equal(badSchema.details.field, 'schema');
    const unknownKeyword = assertError(
      await createType({ name: 'video.bad', description: 'x', schema: { type: 'object', requird: ['a'] }, example: {} }),
      422,
      'invalid_schema',
    );
    assert.match(String(unknownKeyword.details.reason), /requird/);
    const refused = assertError(
      await createType({ name: 'video.bad', description: 'x', schema: renderSchema(), example: { render_id: 1 } }),
      422,
      'incompatible_schema',
    );
    assert.equal(refused.details.example, 'given');
    assert.equal(refused.details.path, '/url');

    const list = await stack.api('/v1/event-types');
    assert.deepEqual(
      list.body.data.map((t: { name: string }) => t.name),
      [
        'herald.delivery.dead_lettered',
        'herald.subscription.disabled',
        'herald.subscription.failing',
        'herald.subscription.recovered',
        'image.created',
        'video.render.completed',
      ],
      'the built-in types (image.created, the operational herald.*) and the one created',
    );
    assert.deepEqual(
      (await stack.api('/v1/event-types?group=video')).body.data.map((t: { name: string }) => t.name),
      ['video.render.completed'],
    );
    assertError(await stack.api('/v1/event-types/video.render.missing'), 404, 'event_type_not_found');
    assertError(await stack.api('/v1/event-types/NOT%20A%20NAME'), 404, 'event_type_not_found');
  });

  it('checks events against the current schema, with the failing paths', async () => {
    const bad = assertError(
      await stack.api('/v1/events', { method: 'POST', json: { type: 'video.render.completed', data: { url: 'not a uri', extra: true } } }),
      422,
      'invalid_event_payload',
    );
    const paths = (bad.details.problems as { path: string }[]).map((p) => p.path).sort();
    assert.deepEqual(paths, ['/extra', '/render_id', '/url']);
    assertError(await stack.api('/v1/events', { method: 'POST', json: { type: 'video.render.unknown', data: {} } }), 422, 'unknown_event_type');
  });

  it('refuses a schema change that would refuse the stored example, naming the first path; a compatible one bumps the version and applies on every replica', async () => {
    const narrower = renderSchema({ duration: { type: 'number' } });
    (narrower.required as string[]).push('duration');
    const refused = assertError(
      await stack.api('/v1/event-types/video.render.completed', { method: 'PATCH', json: { schema: narrower } }),
      422,
      'incompatible_schema',
    );
    assert.equal(refused.details.example, 'stored');
    assert.equal(refused.details.path, '/duration');
    assert.match(refused.message, /stored example/);
    // The new example passes the new schema, but the stored one still must: refused.
    assertError(
      await stack.api('/v1/event-types/video.render.completed', { method: 'PATCH', json: { schema: narrower, example: { ...renderExample, duration: 3 } } }),
      422,
      'incompatible_schema',
    );

    // A second API replica on the same database has compiled (and cached) version 1.
    const replica = await createApi(
      testConfig({ DATABASE_URL: stack.db.url, TEMPORAL_ADDRESS: stack.config.temporal.address, HERALD_TASK_QUEUE: stack.config.temporal.taskQueue }),
      { logger: false },
    );
    try {
      await replica.listen(0, '127.0.0.1');
      const replicaUrl = `http://127.0.0.1:${(replica.getHttpServer().address() as AddressInfo).port}`;
      const postTo = (base: string, data: Record<string, unknown>): Promise<number> =>
        fetch(`${base}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'video.render.completed', data }),
        }).then((res) => res.status);
      const withCodec = { ...renderExample, codec: 'h264' };
      assert.equal(await postTo(replicaUrl, withCodec), 422, 'version 1 refuses the codec field');

      const wider = renderSchema({ codec: { type: 'string' } });
      const changed = await stack.api('/v1/event-types/video.render.completed', {
        method: 'PATCH',
        json: { schema: wider, description: 'A render is done (with its codec)' },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(changed.body.version, 2);
      assert.equal(await postTo(stack.baseUrl, withCodec), 202);
      assert.equal(await postTo(replicaUrl, withCodec), 202, 'the other replica validates with version 2 at once');

      const same = await stack.api('/v1/event-types/video.render.completed', { method: 'PATCH', json: { schema: wider } });
      assert.equal(same.body.version, 2, 'the same schema again is no change');
    } finally {
      await replica.close();
    }
  });

  it('delivers a family at any depth: video.render.* gets video.render.completed, not video.upload.completed', async () => {
    assert.equal((await createType({ name: 'video.upload.completed', description: 'An upload is done', schema: { type: 'object' }, example: {} })).status, 201);
    const tpl = uniqueTemplate();
    const renders = await createSubscription(stack, { url: r.url, eventTypes: ['video.render.*'], templateIds: [tpl] });
    const videos = await createSubscription(stack, { url: r.url, eventTypes: ['video.*'], templateIds: [tpl] });
    const render = await postEvent(stack, { type: 'video.render.completed', templateId: tpl, data: renderExample });
    const upload = await postEvent(stack, { type: 'video.upload.completed', templateId: tpl, data: {} });
    // The 202 comes before the dispatcher has started the workflow: wait until it exists, then for its end.
    for (const id of [render, upload])
      await eventually(
        () =>
          stack.client.workflow
            .getHandle(eventWorkflowId(id))
            .result()
            .catch(() => undefined),
        20_000,
        'the event workflow',
      );
    const repo = stack.db.dataSource.getRepository(Delivery);
    assert.deepEqual((await repo.findBy({ eventId: render })).map((d) => d.subscriptionId).sort(), [renders.id, videos.id].sort());
    assert.deepEqual(
      (await repo.findBy({ eventId: upload })).map((d) => d.subscriptionId),
      [videos.id],
    );
    await r.waitForRequests(3);
    assert.deepEqual(r.requests.map((q) => q.headers['x-herald-event-type']).sort(), [
      'video.render.completed',
      'video.render.completed',
      'video.upload.completed',
    ]);
  });

  it('subscriptions: an exact name must be in the catalog; families and * need not have types yet', async () => {
    assertError(
      await stack.api('/v1/subscriptions', { method: 'POST', json: { url: r.url, eventTypes: ['video.render.started'] } }),
      422,
      'unknown_event_type',
    );
    for (const eventTypes of [['audio.*'], ['*'], ['video.render.*', 'image.created']]) {
      assert.equal((await stack.api('/v1/subscriptions', { method: 'POST', json: { url: r.url, eventTypes } })).status, 201, JSON.stringify(eventTypes));
    }
    for (const bad of ['video.render.**', 'video.*.completed', 'VIDEO.*']) {
      assertError(await stack.api('/v1/subscriptions', { method: 'POST', json: { url: r.url, eventTypes: [bad] } }), 422, 'unknown_event_type');
    }
  });

  it('a replica whose validator of a type is cached refuses its events at once when the type is narrowed or archived elsewhere', async () => {
    const schema = { type: 'object', properties: { n: { type: 'number' } } };
    assert.equal((await createType({ name: 'image.cached.rendered', description: 'Cached', schema, example: { n: 1 } })).status, 201);
    const replica = await createApi(
      testConfig({ DATABASE_URL: stack.db.url, TEMPORAL_ADDRESS: stack.config.temporal.address, HERALD_TASK_QUEUE: stack.config.temporal.taskQueue }),
      { logger: false },
    );
    try {
      await replica.listen(0, '127.0.0.1');
      const replicaUrl = `http://127.0.0.1:${(replica.getHttpServer().address() as AddressInfo).port}`;
      const postToReplica = async (body: Record<string, unknown>): Promise<{ status: number; code?: string }> => {
        const res = await fetch(`${replicaUrl}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'image.cached.rendered', ...body }),
        });
        const json = (await res.json()) as { error?: { code: string } };
        return { status: res.status, code: json.error?.code };
      };
      // The replica compiles and caches version 1, which takes any n.
      assert.deepEqual(await postToReplica({ id: 'evt_cached_1', data: { n: 9 } }), { status: 202, code: undefined });
      const narrowed = await stack.api('/v1/event-types/image.cached.rendered', {
        method: 'PATCH',
        json: { schema: { type: 'object', properties: { n: { type: 'number', maximum: 5 } } } },
      });
      assert.equal(narrowed.body.version, 2);
      // Its cached version 1 passes n = 9; the accepting INSERT finds version 2, and version 2 refuses it.
      assert.deepEqual(await postToReplica({ data: { n: 9 } }), { status: 422, code: 'invalid_event_payload' });
      assert.deepEqual(await postToReplica({ data: { n: 4 } }), { status: 202, code: undefined });
      assert.equal((await stack.api('/v1/event-types/image.cached.rendered/archive', { method: 'POST' })).status, 200);
      assert.deepEqual(await postToReplica({ data: { n: 4 } }), { status: 422, code: 'event_type_archived' });
      assert.deepEqual(await postToReplica({ id: 'evt_cached_1', data: { n: 9 } }), { status: 202, code: undefined }, 'a retry of an event accepted before');
      const stored = await stack.db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = 'image.cached.rendered'`);
      assert.equal(stored[0].n, 2);
    } finally {
      await replica.close();
    }
  });

  it('archives a type: kept for history and for its subscribers, refused for new events and new subscriptions', async () => {
    assert.equal((await createType({ name: 'image.legacy.rendered', description: 'Old renders', schema: { type: 'object' }, example: {} })).status, 201);
    const sub = await createSubscription(stack, { url: r.url, eventTypes: ['image.legacy.rendered'] });
    const before = { id: 'evt_legacy_before_archive', type: 'image.legacy.rendered', data: { n: 1 } };
    assert.equal((await stack.api('/v1/events', { method: 'POST', json: before })).status, 202);
    const archived = await stack.api('/v1/event-types/image.legacy.rendered/archive', { method: 'POST' });
    assert.equal(archived.status, 200);
    assert.ok(archived.body.archivedAt);
    const again = await stack.api('/v1/event-types/image.legacy.rendered/archive', { method: 'POST' });
    assert.equal(again.body.archivedAt, archived.body.archivedAt, 'archiving again keeps the first time');

    const refusedEvent = assertError(
      await stack.api('/v1/events', { method: 'POST', json: { type: 'image.legacy.rendered', data: {} } }),
      422,
      'event_type_archived',
    );
    assert.match(refusedEvent.message, /archived/);
    const repeat = await stack.api('/v1/events', { method: 'POST', json: before });
    assert.deepEqual([repeat.status, repeat.body], [202, { id: before.id, status: 'accepted' }], "a producer's retry of an event accepted before archiving");
    assertError(await stack.api('/v1/events', { method: 'POST', json: { ...before, data: { n: 2 } } }), 409, 'idempotency_conflict');
    assertError(
      await stack.api('/v1/subscriptions', { method: 'POST', json: { url: r.url, eventTypes: ['image.legacy.rendered'] } }),
      422,
      'event_type_archived',
    );
    assertError(
      await stack
        .api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { eventTypes: ['image.created', 'video.upload.completed'] } })
        .then(async () => stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { eventTypes: ['image.legacy.rendered'] } })),
      422,
      'event_type_archived',
    );
    const kept = await createSubscription(stack, { url: r.url, eventTypes: ['image.*'] });
    assert.equal((await stack.api(`/v1/subscriptions/${kept.id}`, { method: 'PATCH', json: { description: 'still fine' } })).status, 200);

    assert.ok(
      !(await stack.api('/v1/event-types')).body.data.some((t: { name: string }) => t.name === 'image.legacy.rendered'),
      'left out of the default list',
    );
    assert.ok((await stack.api('/v1/event-types?includeArchived=true')).body.data.some((t: { name: string }) => t.name === 'image.legacy.rendered'));
    assert.equal((await stack.api('/v1/event-types/image.legacy.rendered')).status, 200, 'still readable');
    assert.equal((await postEvent(stack, imageCreated())).length > 0, true, 'other types are unaffected');
  });

  it('loads docs/catalog.example.json with `herald event-types apply`, idempotently', async () => {
    const file = JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as { eventTypes: { name: string; group: string }[] };
    const names = file.eventTypes.map((t) => t.name);
    for (const expected of [
      'image.generation.started',
      'image.generation.completed',
      'image.generation.failed',
      'video.processing.started',
      'video.processing.completed',
      'video.render.completed',
    ]) {
      assert.ok(names.includes(expected), expected);
    }
    const first = await cli(['event-types', 'apply', CATALOG_FILE, '--json']);
    assert.equal(first.code, 0, first.err);
    const outcomes = Object.fromEntries((JSON.parse(first.out) as { name: string; outcome: string }[]).map((x) => [x.name, x.outcome]));
    assert.equal(outcomes['image.generation.completed'], 'created');
    assert.equal(outcomes['video.render.completed'], 'updated', "the type created above takes the file's definition");

    const second = await cli(['event-types', 'apply', CATALOG_FILE]);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, new RegExp(`${names.length} event type\\(s\\): 0 created, 0 updated, ${names.length} unchanged`));
    const listed = await stack.api('/v1/event-types');
    for (const name of names)
      assert.ok(
        listed.body.data.some((t: { name: string }) => t.name === name),
        name,
      );
    const versions = await cli(['event-types', 'list']);
    assert.match(versions.out, /image\.generation\.failed\s+image\s+1/);

    const missing = await cli(['event-types', 'apply', '/nonexistent/catalog.json']);
    assert.equal(missing.code, 2);
  });
});
