/**
 * Event ingest end to end: a posted image.created reaches real receivers signed, in the
 * subscription's format, once per matching enabled subscription — and exactly once however often
 * the producer posts it.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApi } from '../../apps/api/src/app';
import { Delivery, Event } from '../../libs/db/entities';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { freePort } from '../../libs/devstack/ports';
import { eventWorkflowId } from '../../libs/temporal/names';
import { HERALD_VERSION } from '../../libs/version';
import { assertError, createSubscription, imageCreated, postEvent, uniqueTemplate, verifySignature } from '../support/admin-api';
import { testConfig, TEST_ADMIN_TOKEN } from '../support/config';
import { deliveriesOf, waitForDelivery } from '../support/deliveries';
import { eventually, testSecretBox } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

describe('events API', () => {
  let stack: TestStack;
  const receivers: Receiver[] = [];
  const receiver = async (): Promise<Receiver> => {
    const r = await startReceiver({ kind: 'status', status: 200 });
    receivers.push(r);
    return r;
  };
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  /** Every Delivery of the event has finished (the event workflow has matched them all by then). */
  const settled = async (eventId: string, count: number): Promise<Delivery[]> => {
    const rows = await deliveriesOf(stack.db.dataSource, eventId, count);
    return Promise.all(rows.map((d) => waitForDelivery(stack.db.dataSource, d.id, 'succeeded')));
  };

  it('delivers an image.created signed, flat, with user_defined and Herald headers', async () => {
    const tpl = uniqueTemplate();
    const r = await receiver();
    const sub = await createSubscription(stack, {
      url: r.url,
      templateIds: [tpl],
      userDefined: { auth: 'stencil-secret-xyz', environment: 'staging' },
      headers: { 'x-customer-id': 'acme' },
    });
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }));
    assert.match(eventId, /^evt_[0-9A-Z]{26}$/);

    const [delivery] = await settled(eventId, 1);
    const [req] = await r.waitForRequests(1);
    assert.equal(req.method, 'POST');
    assert.deepEqual(verifySignature(sub.secret, req), { ...SAMPLE_IMAGE_CREATED, user_defined: { auth: 'stencil-secret-xyz', environment: 'staging' } });
    assert.equal(req.headers['webhook-id'], delivery.id);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['user-agent'], `Herald/${HERALD_VERSION}`);
    assert.equal(req.headers['x-herald-event-type'], 'image.created');
    assert.equal(req.headers['x-herald-attempt'], '1');
    assert.equal(req.headers['x-customer-id'], 'acme');
    assert.ok(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000) < 60);
  });

  it('delivers the envelope format with the producer id and trace id', async () => {
    const tpl = uniqueTemplate();
    const r = await receiver();
    const sub = await createSubscription(stack, { url: r.url, templateIds: [tpl], payloadFormat: 'envelope', userDefined: { k: 1 } });
    const producerId = `render:${tpl}.1`;
    const eventId = await postEvent(stack, imageCreated({ id: producerId, templateId: tpl, traceId: 'trace-abc' }));
    assert.equal(eventId, producerId, "the producer's id is echoed");
    await settled(eventId, 1);
    const [req] = await r.waitForRequests(1);
    const body = verifySignature(sub.secret, req) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['data', 'id', 'timestamp', 'traceId', 'type', 'user_defined']);
    assert.equal(body.id, producerId);
    assert.equal(body.type, 'image.created');
    assert.equal(body.traceId, 'trace-abc');
    assert.deepEqual(body.data, SAMPLE_IMAGE_CREATED);
    assert.deepEqual(body.user_defined, { k: 1 });
    const stored = await stack.db.dataSource.getRepository(Event).findOneByOrFail({ id: producerId });
    assert.equal(body.timestamp, stored.receivedAt.toISOString());
  });

  it('is idempotent by id: a repeat gets the same answer and starts nothing new; another body is a conflict', async () => {
    const tpl = uniqueTemplate();
    const r = await receiver();
    await createSubscription(stack, { url: r.url, templateIds: [tpl] });
    const event = imageCreated({ id: `idem-${tpl}`, templateId: tpl });
    const first = await stack.api('/v1/events', { method: 'POST', json: event });
    const second = await stack.api('/v1/events', { method: 'POST', json: event });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.deepEqual(second.body, first.body);
    assert.deepEqual(first.body, { id: `idem-${tpl}`, status: 'accepted' });

    await settled(first.body.id, 1);
    // Keys in another order are the same body.
    const reordered = {
      data: Object.fromEntries(Object.entries(structuredClone(SAMPLE_IMAGE_CREATED)).reverse()),
      templateId: tpl,
      type: 'image.created',
      id: `idem-${tpl}`,
    };
    assert.equal((await stack.api('/v1/events', { method: 'POST', json: reordered })).status, 202);
    await new Promise((res) => setTimeout(res, 500)); // a second delivery would have arrived by now
    assert.equal(r.requests.length, 1);
    assert.equal(await stack.db.dataSource.getRepository(Delivery).countBy({ eventId: first.body.id }), 1);

    const changed = imageCreated({ id: `idem-${tpl}`, templateId: tpl, data: { ...structuredClone(SAMPLE_IMAGE_CREATED), status: 'failed' } });
    const error = assertError(await stack.api('/v1/events', { method: 'POST', json: changed }), 409, 'idempotency_conflict');
    assert.equal(error.details.id, `idem-${tpl}`);
    assertError(await stack.api('/v1/events', { method: 'POST', json: { ...event, templateId: 'tpl_other' } }), 409, 'idempotency_conflict');
  });

  it('is idempotent by Idempotency-Key', async () => {
    const tpl = uniqueTemplate();
    const r = await receiver();
    await createSubscription(stack, { url: r.url, templateIds: [tpl] });
    const key = `key-${tpl}`;
    const event = imageCreated({ templateId: tpl });
    const first = await stack.api('/v1/events', { method: 'POST', json: event, headers: { 'idempotency-key': key } });
    const second = await stack.api('/v1/events', { method: 'POST', json: event, headers: { 'idempotency-key': key } });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.match(first.body.id, /^evt_/);
    assert.deepEqual(second.body, first.body);
    await settled(first.body.id, 1);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(r.requests.length, 1);
    assert.equal(await stack.db.dataSource.getRepository(Event).countBy({ idempotencyKey: key }), 1);

    assertError(
      await stack.api('/v1/events', { method: 'POST', json: { ...event, traceId: 'other' }, headers: { 'idempotency-key': key } }),
      409,
      'idempotency_conflict',
    );
    // Without the key the same body is a new event.
    const third = await postEvent(stack, event);
    assert.notEqual(third, first.body.id);
  });

  it('takes posts that arrive together in one write, each answered for its own event; a repeated id or key among them is one event, another body under it a conflict', async () => {
    const tpl = uniqueTemplate();
    const r = await receiver();
    await createSubscription(stack, { url: r.url, templateIds: [tpl] });
    const post = (json: Record<string, unknown>, headers: Record<string, string> = {}) => stack.api('/v1/events', { method: 'POST', json, headers });
    const distinct = Array.from({ length: 12 }, (_, i) => imageCreated({ id: `together-${tpl}-${i}`, templateId: tpl }));
    const same = imageCreated({ id: `together-${tpl}-same`, templateId: tpl });
    const other = imageCreated({ id: `together-${tpl}-same`, templateId: tpl, traceId: 'another body' });
    const keyed = imageCreated({ templateId: tpl });
    const key = `together-key-${tpl}`;
    // All sent at once: the API's group commit writes them together (one statement, or a few).
    const answers = await Promise.all([
      ...distinct.map((e) => post(e)),
      post(same),
      post(same),
      post(other),
      post(keyed, { 'idempotency-key': key }),
      post(keyed, { 'idempotency-key': key }),
    ]);
    distinct.forEach((e, i) => assert.deepEqual([answers[i].status, answers[i].body], [202, { id: e.id, status: 'accepted' }]));
    // Whichever body was inserted is the event; the other body under its id is a conflict.
    const statuses = answers.slice(12, 15).map((a) => a.status);
    assert.ok(
      JSON.stringify(statuses) === '[202,202,409]' || JSON.stringify(statuses) === '[409,409,202]',
      `the same id with two bodies: ${JSON.stringify(statuses)}`,
    );
    const [k1, k2] = answers.slice(15);
    assert.deepEqual([k1.status, k2.status], [202, 202]);
    assert.equal(k1.body.id, k2.body.id, 'one event under the key');

    const rows = await stack.db.dataSource.query(`SELECT id, accept_seq FROM events WHERE template_id = $1`, [tpl]);
    assert.equal(rows.length, 14, 'twelve events, the repeated id once, the repeated key once');
    assert.equal(new Set(rows.map((row: { accept_seq: string | null }) => row.accept_seq)).size, 14, 'each drew its own accept_seq');
    assert.ok(rows.every((row: { accept_seq: string | null }) => row.accept_seq !== null));
    await r.waitForRequests(14);
    await new Promise((res) => setTimeout(res, 500)); // a second delivery would have arrived by now
    assert.equal(r.requests.length, 14, 'each event delivered once');
  });

  it('shows an event with its deliveries', async () => {
    const tpl = uniqueTemplate();
    const [r1, r2] = [await receiver(), await receiver()];
    const s1 = await createSubscription(stack, { url: r1.url, templateIds: [tpl] });
    const s2 = await createSubscription(stack, { url: r2.url, templateIds: [tpl], payloadFormat: 'envelope' });
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl, traceId: 't-1' }));
    const rows = await settled(eventId, 2);

    const res = await stack.api(`/v1/events/${eventId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, eventId);
    assert.equal(res.body.type, 'image.created');
    assert.equal(res.body.templateId, tpl);
    assert.equal(res.body.traceId, 't-1');
    assert.deepEqual(res.body.data, SAMPLE_IMAGE_CREATED);
    assert.ok(Math.abs(Date.parse(res.body.receivedAt) - Date.now()) < 60_000);
    assert.deepEqual(
      [...res.body.deliveries].sort((a: { subscriptionId: string }, b: { subscriptionId: string }) => a.subscriptionId.localeCompare(b.subscriptionId)),
      rows
        .map((d) => ({ id: d.id, subscriptionId: d.subscriptionId, status: 'succeeded', attemptCount: 1 }))
        .sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId)),
    );
    assert.deepEqual(new Set(rows.map((d) => d.subscriptionId)), new Set([s1.id, s2.id]));
    assertError(await stack.api('/v1/events/evt_01JD7X8M5Q4R2Z3TR3V19H6X7K'), 404, 'event_not_found');
  });

  it('sends nothing to disabled subscriptions or subscriptions of other types', async () => {
    const tpl = uniqueTemplate();
    const [on, off, other] = [await receiver(), await receiver(), await receiver()];
    const enabled = await createSubscription(stack, { url: on.url, templateIds: [tpl] });
    const disabled = await createSubscription(stack, { url: off.url, templateIds: [tpl], enabled: false });
    // A subscription for a type the catalog does not have yet (written directly, as the API refuses it).
    await seedSubscription(stack.db.dataSource, testSecretBox(), { url: other.url, eventTypes: ['video.created'], templateIds: [tpl] });

    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }));
    const rows = await settled(eventId, 1);
    assert.deepEqual(
      rows.map((d) => d.subscriptionId),
      [enabled.id],
    );
    await on.waitForRequests(1);

    // Disabling stops the next event; re-enabling resumes.
    await stack.api(`/v1/subscriptions/${enabled.id}`, { method: 'PATCH', json: { enabled: false } });
    await stack.api(`/v1/subscriptions/${disabled.id}`, { method: 'PATCH', json: { enabled: true } });
    const second = await postEvent(stack, imageCreated({ templateId: tpl }));
    const secondRows = await settled(second, 1);
    assert.deepEqual(
      secondRows.map((d) => d.subscriptionId),
      [disabled.id],
    );
    await off.waitForRequests(1);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(on.requests.length, 1);
    assert.equal(other.requests.length, 0);
  });

  it('scopes subscriptions to templates', async () => {
    const [tplA, tplB] = [uniqueTemplate(), uniqueTemplate()];
    const [a, ab] = [await receiver(), await receiver()];
    const onlyA = await createSubscription(stack, { url: a.url, templateIds: [tplA] });
    const both = await createSubscription(stack, { url: ab.url, templateIds: [tplA, tplB], eventTypes: ['image.*'] });

    const forA = await postEvent(stack, imageCreated({ templateId: tplA }));
    assert.deepEqual(new Set((await settled(forA, 2)).map((d) => d.subscriptionId)), new Set([onlyA.id, both.id]));
    const forB = await postEvent(stack, imageCreated({ templateId: tplB }));
    const bRows = (await settled(forB, 1)).filter((d) => d.subscriptionId === onlyA.id || d.subscriptionId === both.id);
    assert.deepEqual(
      bRows.map((d) => d.subscriptionId),
      [both.id],
    );
    // No template at all: only unscoped subscriptions match, neither of these.
    const none = await postEvent(stack, imageCreated());
    // The 202 comes before the dispatcher has started the workflow: wait until it exists, then for its end.
    await eventually(
      () =>
        stack.client.workflow
          .getHandle(eventWorkflowId(none))
          .result()
          .catch(() => undefined),
      20_000,
      'the event workflow',
    );
    const noneRows = await stack.db.dataSource.getRepository(Delivery).findBy({ eventId: none });
    assert.ok(noneRows.every((d) => d.subscriptionId !== onlyA.id && d.subscriptionId !== both.id));

    await new Promise((res) => setTimeout(res, 300));
    assert.equal(a.requests.length, 1);
    assert.equal(ab.requests.length, 2);
  });

  it('serves the event-type catalog with the image.created JSON Schema', async () => {
    const res = await stack.api('/v1/event-types');
    assert.equal(res.status, 200);
    const imageCreatedType = res.body.data.find((t: { name: string }) => t.name === 'image.created');
    assert.ok(imageCreatedType);
    assert.equal(typeof imageCreatedType.description, 'string');
    assert.deepEqual(imageCreatedType.schema.required, ['image_url', 'image_url_jpg', 'metadata', 'modifications', 'status']);
  });

  it('documents the ingest body with the sample payload in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${stack.baseUrl}/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties: Record<string, { example?: unknown }> }> };
    };
    assert.ok(doc.paths['/v1/events'].post);
    assert.deepEqual(doc.components.schemas.IngestEventDto.properties.data.example, SAMPLE_IMAGE_CREATED);
    for (const path of ['/v1/subscriptions', '/v1/subscriptions/{id}/rotate-secret', '/v1/deliveries/{id}', '/v1/dead-letters/retry', '/v1/event-types'])
      assert.ok(doc.paths[path], path);
  });

  it('answers 202 at once while Temporal is unreachable; a dispatcher that reaches it starts the event', async () => {
    const tpl = uniqueTemplate();
    const r = await receiver();
    await createSubscription(stack, { url: r.url, templateIds: [tpl] });
    // A second API on the same database whose Temporal address has nothing listening.
    const cut = await createApi(
      testConfig({ DATABASE_URL: stack.db.url, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, HERALD_TASK_QUEUE: stack.config.temporal.taskQueue }),
      { logger: false },
    );
    try {
      await cut.listen(0, '127.0.0.1');
      const { port } = cut.getHttpServer().address() as AddressInfo;
      const event = imageCreated({ id: `outage-${tpl}`, templateId: tpl });
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      const ms = performance.now() - t0;
      assert.equal(res.status, 202);
      assert.deepEqual(await res.json(), { id: `outage-${tpl}`, status: 'accepted' });
      assert.ok(ms < 1_000, `202 after ${Math.round(ms)} ms: the API waited on Temporal`);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      assert.equal(ready.status, 200, 'ready to take events without Temporal');
      assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { postgres: 'up', temporal: 'down' });
      const stored = await stack.db.dataSource.getRepository(Event).findOneByOrFail({ id: `outage-${tpl}` });
      assert.equal(stored.workflowStartedAt, null, 'the event is committed, its workflow not yet started');

      // Nobody posts again: the other API's dispatcher sweep finds the event and starts it.
      await settled(`outage-${tpl}`, 1);
      await r.waitForRequests(1);
      await eventually(
        async () => (await stack.db.dataSource.getRepository(Event).findOneByOrFail({ id: `outage-${tpl}` })).workflowStartedAt,
        5_000,
        'workflow_started_at',
      );
      // A repeat is the same event, and sends nothing new.
      assert.equal(await postEvent(stack, event), `outage-${tpl}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(r.requests.length, 1);
    } finally {
      await cut.close();
    }
  });
});
