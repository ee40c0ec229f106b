/**
 * Tenants over the real stack (API, worker, Temporal dev server, Postgres, real receivers):
 * the tenant resource, routing of each tenant's events to its own subscriptions only, deleting a
 * tenant, portal-session tokens, and the isolation table: a tenant token against every route of
 * the live OpenAPI document, with another tenant's ids, never gets data.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PortalTokens } from '../../apps/api/src/common/portal-token';
import { Attempt, DeadLetter, Delivery } from '../../libs/db/entities';
import { eventWorkflowId } from '../../libs/temporal/names';
import { assertError, collectPages, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { TEST_SECRET_KEY } from '../support/config';
import { deliveriesOf, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { eventually } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

const suffix = (): string => randomBytes(3).toString('hex');
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

interface Session {
  token: string;
  url: string;
  expiresAt: string;
}

describe('tenants', () => {
  let stack: TestStack;
  const receivers: Receiver[] = [];
  const receiver = async (status = 200): Promise<Receiver> => {
    const r = await startReceiver({ kind: 'status', status });
    receivers.push(r);
    return r;
  };
  const putTenant = async (id: string, body: Record<string, unknown> = {}): Promise<void> => {
    const res = await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: body });
    assert.ok([200, 201].includes(res.status), JSON.stringify(res.body));
  };
  const session = async (tenantId: string, body: Record<string, unknown> = {}): Promise<Session> => {
    const res = await stack.api(`/v1/tenants/${tenantId}/portal-sessions`, { method: 'POST', json: body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as Session;
  };
  /** The event workflow's result, once the dispatcher has started it (ingest only commits the event). */
  const eventResult = (eventId: string): Promise<unknown> =>
    eventually(
      () =>
        stack.client.workflow
          .getHandle(eventWorkflowId(eventId))
          .result()
          .catch(() => undefined),
      20_000,
      `event workflow of ${eventId}`,
    );
  const as = (token: string, path: string, init: RequestInit & { json?: unknown } = {}): ReturnType<TestStack['api']> =>
    stack.api(path, { ...init, headers: { ...bearer(token), ...(init.headers as Record<string, string>) } });

  before(async () => {
    stack = await startStack({ HERALD_PUBLIC_URL: 'https://herald.example.com/' });
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  describe('the tenant resource', () => {
    it('is created by PUT (201), replaced by PUT again (200), read, listed by name prefix and patched', async () => {
      const id = `ws_${suffix()}:eu.1`;
      const created = await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: { name: 'Acme Studio', metadata: { plan: 'pro' } } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(
        { ...created.body, createdAt: undefined, updatedAt: undefined },
        { id, name: 'Acme Studio', metadata: { plan: 'pro' }, weight: 1, createdAt: undefined, updatedAt: undefined },
      );
      const replaced = await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: { name: 'Acme Studio EU' } });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.name, 'Acme Studio EU');
      assert.deepEqual(replaced.body.metadata, {}, 'PUT replaces the whole tenant');
      assert.equal(replaced.body.createdAt, created.body.createdAt);

      const patched = await stack.api(`/v1/tenants/${id}`, { method: 'PATCH', json: { metadata: { plan: 'enterprise' } } });
      assert.equal(patched.status, 200);
      assert.deepEqual([patched.body.name, patched.body.metadata], ['Acme Studio EU', { plan: 'enterprise' }]);
      assert.deepEqual((await stack.api(`/v1/tenants/${id}`)).body, patched.body);

      const prefix = `Prefix ${suffix()}`;
      const named = [`${prefix} a`, `${prefix} b`, `${prefix} c`];
      for (const name of named) await putTenant(`t_${suffix()}`, { name });
      await putTenant(`t_${suffix()}`, { name: `Other ${prefix}` });
      const { items, pages } = await collectPages<{ name: string }>(stack, `/v1/tenants?namePrefix=${encodeURIComponent(prefix)}`, 2);
      assert.deepEqual(items.map((t) => t.name).sort(), named);
      assert.equal(pages, 2);
      const all = await collectPages<{ id: string }>(stack, '/v1/tenants', 3);
      assert.ok(
        all.items.some((t) => t.id === 'default'),
        'the built-in tenant is listed',
      );
      assert.equal(new Set(all.items.map((t) => t.id)).size, all.items.length, 'no tenant twice across pages');
    });

    it('takes a weight of 1 to 100 by PUT and PATCH (default 1); anything else is 422 in the error shape and changes nothing', async () => {
      const id = `weighted_${suffix()}`;
      assert.equal((await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: { name: 'Premium', weight: 4 } })).body.weight, 4);
      assert.equal((await stack.api(`/v1/tenants/${id}`, { method: 'PATCH', json: { weight: 100 } })).body.weight, 100);
      assert.equal((await stack.api(`/v1/tenants/${id}`, { method: 'PATCH', json: { name: 'Premium plan' } })).body.weight, 100, 'PATCH keeps it');
      for (const weight of [0, 101, 2.5, -1, '4', null, true]) {
        for (const method of ['PUT', 'PATCH'] as const) {
          const error = assertError(await stack.api(`/v1/tenants/${id}`, { method, json: { weight } }), 422, 'validation_failed');
          assert.match(JSON.stringify(error), /weight/, `${method} ${JSON.stringify(weight)} names the field`);
        }
      }
      assert.equal((await stack.api(`/v1/tenants/${id}`)).body.weight, 100, 'refused changes change nothing');
      assert.equal((await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: { name: 'Premium plan' } })).body.weight, 1, 'PUT replaces it: absent is 1');
    });

    it('takes the name from the id when none is given; refuses a bad id, a bad cursor and deleting `default`', async () => {
      const id = `bare_${suffix()}`;
      assert.equal((await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: {} })).body.name, id);
      assertError(await stack.api(`/v1/tenants/${'x'.repeat(65)}`, { method: 'PUT', json: {} }), 422, 'invalid_tenant_id');
      assertError(await stack.api('/v1/tenants/bad%20id', { method: 'PUT', json: {} }), 422, 'invalid_tenant_id');
      assertError(await stack.api('/v1/tenants/bad%20id'), 404, 'tenant_not_found');
      assertError(await stack.api(`/v1/tenants/nobody_${suffix()}`), 404, 'tenant_not_found');
      assertError(await stack.api('/v1/tenants?cursor=c3ViXzAxSkQ3WDhNNVE0UjJaM1RSM1YxOUg2WDdL%21'), 422, 'invalid_cursor');
      assertError(await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: { metadata: { big: 'x'.repeat(9000) } } }), 422, 'metadata_too_large');
      assertError(await stack.api('/v1/tenants/default', { method: 'DELETE' }), 409, 'default_tenant_protected');
    });

    it('is created by a subscription for a tenant not registered yet; a subscription without one belongs to `default`', async () => {
      const id = `new_${suffix()}`;
      const ok = await receiver();
      const sub = await createSubscription(stack, { url: ok.url, tenantId: id });
      assert.equal(sub.tenantId, id);
      const tenant = await stack.api(`/v1/tenants/${id}`);
      assert.equal(tenant.status, 200);
      assert.deepEqual([tenant.body.name, tenant.body.metadata], [id, {}]);
      assert.equal((await createSubscription(stack, { url: ok.url, templateIds: [uniqueTemplate()] })).tenantId, 'default');
    });
  });

  describe('routing', () => {
    it("delivers each tenant's events only to its own subscriptions, through wildcards and template scopes", async () => {
      const [acme, globex] = [`acme_${suffix()}`, `globex_${suffix()}`];
      const tpl = uniqueTemplate();
      const r = { acmeExact: await receiver(), acmeScoped: await receiver(), globexFamily: await receiver(), globexScoped: await receiver() };
      const subs = {
        acmeExact: await createSubscription(stack, { tenantId: acme, url: r.acmeExact.url, eventTypes: ['image.created'] }),
        acmeScoped: await createSubscription(stack, { tenantId: acme, url: r.acmeScoped.url, eventTypes: ['*'], templateIds: [tpl] }),
        globexFamily: await createSubscription(stack, { tenantId: globex, url: r.globexFamily.url, eventTypes: ['image.*'] }),
        globexScoped: await createSubscription(stack, { tenantId: globex, url: r.globexScoped.url, eventTypes: ['image.created'], templateIds: [tpl] }),
      };
      const delivered = async (eventId: string, count: number): Promise<string[]> => {
        const rows = await deliveriesOf(stack.db.dataSource, eventId, count);
        for (const d of rows) await waitForDelivery(stack.db.dataSource, d.id, 'succeeded');
        return rows.map((d) => d.subscriptionId).sort();
      };

      const acmeEvent = await postEvent(stack, imageCreated({ tenantId: acme, templateId: tpl }));
      assert.deepEqual(await delivered(acmeEvent, 2), [subs.acmeExact.id, subs.acmeScoped.id].sort());
      const acmeUnscoped = await postEvent(stack, imageCreated({ tenantId: acme }));
      assert.deepEqual(await delivered(acmeUnscoped, 1), [subs.acmeExact.id]);
      const globexEvent = await postEvent(stack, imageCreated({ tenantId: globex, templateId: tpl }));
      assert.deepEqual(await delivered(globexEvent, 2), [subs.globexFamily.id, subs.globexScoped.id].sort());
      const defaultEvent = await postEvent(stack, imageCreated({ templateId: tpl }));
      assert.deepEqual(await eventResult(defaultEvent), { deliveries: 0, finishedInline: 0 }, 'none of these is the default tenant’s');

      assert.deepEqual(
        [r.acmeExact.requests.length, r.acmeScoped.requests.length, r.globexFamily.requests.length, r.globexScoped.requests.length],
        [2, 1, 1, 1],
      );
      for (const [eventId, tenantId] of [
        [acmeEvent, acme],
        [globexEvent, globex],
        [defaultEvent, 'default'],
      ]) {
        const view = await stack.api(`/v1/events/${eventId}`);
        assert.equal(view.body.tenantId, tenantId, 'the event view shows the tenant');
      }
      const [d] = await deliveriesOf(stack.db.dataSource, globexEvent, 2);
      const detail = await stack.api(`/v1/deliveries/${d.id}`);
      assert.equal(detail.body.tenantId, globex, 'the delivery view shows the tenant');
      const description = await stack.client.workflow.getHandle(d.workflowId).describe();
      assert.deepEqual(description.searchAttributes.HeraldTenantId, [globex], 'the HeraldTenantId search attribute');
    });

    it('accepts an event for a tenant with no subscription (202) and delivers it nowhere; it registers no tenant', async () => {
      const lonely = `lonely_${suffix()}`;
      const eventId = await postEvent(stack, imageCreated({ tenantId: lonely }));
      assert.deepEqual(await eventResult(eventId), { deliveries: 0, finishedInline: 0 });
      assert.equal(await stack.db.dataSource.getRepository(Delivery).countBy({ eventId }), 0);
      assertError(await stack.api(`/v1/tenants/${lonely}`), 404, 'tenant_not_found');
      assertError(await stack.api('/v1/events', { method: 'POST', json: imageCreated({ tenantId: 'not a tenant' }) }), 422, 'validation_failed');
      // The same id under another tenant is another body: idempotency tells them apart.
      assertError(
        await stack.api('/v1/events', { method: 'POST', json: imageCreated({ id: eventId, tenantId: `other_${suffix()}` }) }),
        409,
        'idempotency_conflict',
      );
    });
  });

  it('deletes a tenant with its subscriptions and their logs, and stops their running deliveries', async () => {
    const doomed = `doomed_${suffix()}`;
    const broken = await receiver(500);
    const sub = await createSubscription(stack, { tenantId: doomed, url: broken.url });
    const sess = await session(doomed);
    const eventId = await postEvent(stack, imageCreated({ tenantId: doomed }));
    const [d] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    await waitForDelivery(stack.db.dataSource, d.id, 'retrying', { attempts: 1 });
    assert.equal((await as(sess.token, '/v1/whoami')).status, 200);

    const res = await stack.api(`/v1/tenants/${doomed}`, { method: 'DELETE' });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    assertError(await stack.api(`/v1/tenants/${doomed}`), 404, 'tenant_not_found');
    assertError(await stack.api(`/v1/subscriptions/${sub.id}`), 404, 'subscription_not_found');
    assert.equal(await stack.db.dataSource.getRepository(Delivery).countBy({ subscriptionId: sub.id }), 0);
    assert.equal(await stack.db.dataSource.getRepository(Attempt).countBy({ subscriptionId: sub.id }), 0);
    await eventually(
      async () => (await stack.client.workflow.getHandle(d.workflowId).describe()).status.name !== 'RUNNING',
      20_000,
      'the running delivery to stop',
    );
    assertError(await as(sess.token, '/v1/whoami'), 401, 'unauthenticated');
  });

  describe('portal sessions', () => {
    let tenantId: string;
    before(async () => {
      tenantId = `portal_${suffix()}`;
      await putTenant(tenantId, { name: 'Portal' });
    });

    it('issues a signed hpt_ token for an hour by default, with the console link', async () => {
      const before = Date.now();
      const s = await session(tenantId);
      assert.match(s.token, /^hpt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
      assert.equal(s.url, `https://herald.example.com/console/#token=${s.token}`);
      const ttl = Date.parse(s.expiresAt) - before;
      assert.ok(ttl > 3590_000 && ttl <= 3600_000, `expires in ${ttl} ms`);
      assert.deepEqual((await as(s.token, '/v1/whoami')).body, { kind: 'tenant', tenantId, expiresAt: s.expiresAt });
      assert.deepEqual((await stack.api('/v1/whoami')).body, { kind: 'admin', tenantId: null, expiresAt: null });
    });

    it('takes expiresIn up to 7 days, refuses more (422), and answers 404 for an unknown tenant', async () => {
      const week = await session(tenantId, { expiresIn: 7 * 24 * 3600 });
      assert.ok(Date.parse(week.expiresAt) - Date.now() > 7 * 24 * 3600_000 - 60_000);
      assertError(
        await stack.api(`/v1/tenants/${tenantId}/portal-sessions`, { method: 'POST', json: { expiresIn: 7 * 24 * 3600 + 1 } }),
        422,
        'validation_failed',
      );
      assertError(await stack.api(`/v1/tenants/${tenantId}/portal-sessions`, { method: 'POST', json: { expiresIn: 'soon' } }), 422, 'validation_failed');
      assertError(await stack.api(`/v1/tenants/nobody_${suffix()}/portal-sessions`, { method: 'POST', json: {} }), 404, 'tenant_not_found');
    });

    it('refuses expired, tampered and foreign-key tokens, and those of a deleted (even re-created) tenant, with 401', async () => {
      const good = await session(tenantId);
      const tenant = (await stack.api(`/v1/tenants/${tenantId}`)).body as { createdAt: string };
      const claims = { tenantId, tenantCreatedAt: Date.parse(tenant.createdAt), issuedAt: new Date(Date.now() - 7200_000) };
      const ours = new PortalTokens({ current: Buffer.from(TEST_SECRET_KEY, 'base64') });
      assert.equal(
        (await as(ours.issue({ ...claims, expiresAt: new Date(Date.now() + 60_000) }), '/v1/whoami')).status,
        200,
        'a token minted with the server key works',
      );

      const [body, signature] = good.token.split('.');
      const payload = JSON.parse(Buffer.from(body.slice(4), 'base64url').toString()) as Record<string, unknown>;
      const refused: Record<string, string> = {
        expired: ours.issue({ ...claims, expiresAt: new Date(Date.now() - 1000) }),
        'signed with another key': new PortalTokens({ current: randomBytes(32) }).issue({ ...claims, expiresAt: new Date(Date.now() + 3600_000) }),
        'another tenant in the payload': `hpt_${Buffer.from(JSON.stringify({ ...payload, tid: 'default' })).toString('base64url')}.${signature}`,
        'a later expiry in the payload': `hpt_${Buffer.from(JSON.stringify({ ...payload, exp: (payload.exp as number) + 3600 })).toString('base64url')}.${signature}`,
        'a changed signature': `${body}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`,
        'no signature': body,
        'the prefix alone': 'hpt_',
      };
      for (const [what, token] of Object.entries(refused)) {
        for (const path of ['/v1/whoami', '/v1/subscriptions']) {
          const answer = await as(token, path);
          assert.equal(answer.status, 401, `${what}: ${path}`);
          assertError(answer, 401, 'unauthenticated');
        }
      }

      const gone = `gone_${suffix()}`;
      await putTenant(gone);
      const goneSession = await session(gone);
      assert.equal((await as(goneSession.token, '/v1/subscriptions')).status, 200);
      assert.equal((await stack.api(`/v1/tenants/${gone}`, { method: 'DELETE' })).status, 204);
      assertError(await as(goneSession.token, '/v1/subscriptions'), 401, 'unauthenticated');
      await putTenant(gone);
      assertError(await as(goneSession.token, '/v1/subscriptions'), 401, 'unauthenticated');
    });
  });

  describe('isolation: a tenant token never reaches another tenant', () => {
    /** What a portal session may use (everything else is 403); every other route and method is the admin's. */
    const TENANT_ROUTES = [
      'GET /v1/whoami',
      'GET /v1/event-types',
      'POST /v1/subscriptions',
      'GET /v1/subscriptions',
      'GET /v1/subscriptions/{id}',
      'PATCH /v1/subscriptions/{id}',
      'DELETE /v1/subscriptions/{id}',
      'POST /v1/subscriptions/{id}/rotate-secret',
      'POST /v1/subscriptions/{id}/test',
      'POST /v1/subscriptions/{id}/filter-test',
      'POST /v1/subscriptions/{id}/pause',
      'POST /v1/subscriptions/{id}/resume',
      'GET /v1/event-types/{id}',
      'GET /v1/deliveries',
      'GET /v1/deliveries/{id}',
      'POST /v1/deliveries/{id}/retry',
      'GET /v1/dead-letters',
      'POST /v1/dead-letters/retry',
      'GET /v1/dead-letters/{id}',
      'POST /v1/dead-letters/{id}/retry',
      'DELETE /v1/dead-letters/{id}',
      'GET /v1/tenants/{id}/stats',
      'GET /v1/subscriptions/{id}/stats',
      'GET /v1/subscriptions/{id}/streams',
    ];
    const PUBLIC = ['GET /health', 'GET /ready'];

    interface World {
      tenantId: string;
      token: string;
      subscriptionId: string;
      deliveryId: string;
      deadLetterId: string;
      eventId: string;
    }
    let acme: World;
    let globex: World;
    let operations: { method: string; path: string }[];

    /** A tenant with a subscription to an always-500 receiver and one of its deliveries dead-lettered. */
    const world = async (name: string): Promise<World> => {
      const tenantId = `${name}_${suffix()}`;
      await putTenant(tenantId, { name });
      const broken = await receiver(500);
      const sub = await createSubscription(stack, { tenantId, url: broken.url });
      const eventId = await postEvent(stack, imageCreated({ tenantId }));
      const [d] = await deliveriesOf(stack.db.dataSource, eventId, 1);
      await exhaustDelivery(stack.db.dataSource, stack.deliveries, d.id);
      const letter = await stack.db.dataSource.getRepository(DeadLetter).findOneByOrFail({ deliveryId: d.id });
      assert.equal(letter.tenantId, tenantId);
      return { tenantId, token: (await session(tenantId)).token, subscriptionId: sub.id, deliveryId: d.id, deadLetterId: letter.id, eventId };
    };

    const pathFor = (path: string, w: World): string =>
      path.startsWith('/v1/subscriptions/')
        ? path.replace('{id}', w.subscriptionId)
        : path.startsWith('/v1/deliveries/')
          ? path.replace('{id}', w.deliveryId)
          : path.startsWith('/v1/dead-letters/')
            ? path.replace('{id}', w.deadLetterId)
            : path.startsWith('/v1/events/')
              ? path.replace('{id}', w.eventId)
              : path.replace('{id}', w.tenantId);

    const globexState = async (): Promise<unknown> => {
      const ds = stack.db.dataSource;
      const sub = (await stack.api(`/v1/subscriptions/${globex.subscriptionId}`)).body as Record<string, unknown>;
      return {
        sub: { ...sub },
        deliveries: await ds.getRepository(Delivery).find({ where: { tenantId: globex.tenantId }, order: { id: 'ASC' } }),
        attempts: await ds.getRepository(Attempt).count({ where: { subscriptionId: globex.subscriptionId } }),
        deadLetters: await ds.getRepository(DeadLetter).find({ where: { tenantId: globex.tenantId }, order: { id: 'ASC' } }),
      };
    };

    before(async () => {
      [acme, globex] = [await world('acme'), await world('globex')];
      const doc = (await (await fetch(`${stack.baseUrl}/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, '{id}') })),
      );
    });

    it('every route of the OpenAPI document, with the other tenant’s ids: 404 on its own routes, 403 elsewhere, never data', async () => {
      const before = await globexState();
      const documented = operations.map((o) => `${o.method} ${o.path}`);
      for (const route of TENANT_ROUTES) assert.ok(documented.includes(route), `${route} is documented`);
      const NOT_FOUND: Record<string, string> = {
        subscriptions: 'subscription_not_found',
        deliveries: 'delivery_not_found',
        'dead-letters': 'dead_letter_not_found',
        tenants: 'tenant_not_found',
      };
      let cases = 0;
      for (const op of operations) {
        const route = `${op.method} ${op.path}`;
        if (PUBLIC.includes(route)) continue;
        const hasId = op.path.includes('{id}');
        let path = pathFor(op.path, globex);
        let json: Record<string, unknown> | undefined =
          op.method === 'PATCH' ? { description: 'taken over' } : ['POST', 'PUT'].includes(op.method) ? {} : undefined;
        // A route without an id names the other tenant in its filter or body instead.
        if (TENANT_ROUTES.includes(route) && !hasId && op.method === 'GET' && !['/v1/whoami', '/v1/event-types'].includes(op.path))
          path += `?tenantId=${globex.tenantId}`;
        if (TENANT_ROUTES.includes(route) && !hasId && op.method === 'POST')
          json = { tenantId: globex.tenantId, ...(op.path === '/v1/subscriptions' ? { url: 'http://127.0.0.1:9/hook', eventTypes: ['image.created'] } : {}) };
        const answer = await as(acme.token, path, { method: op.method, json });
        cases++;
        assert.ok(
          answer.status >= 400 || (op.method === 'GET' && ['/v1/whoami', '/v1/event-types'].includes(op.path)),
          `${route}: ${answer.status} ${JSON.stringify(answer.body)}`,
        );
        if (route === 'GET /v1/event-types/{id}') {
          // The catalog is shared, not a tenant's: readable, and a name that is no type is a 404.
          assertError(answer, 404, 'event_type_not_found');
        } else if (!TENANT_ROUTES.includes(route) || !hasId) {
          if (op.method === 'GET' && ['/v1/whoami', '/v1/event-types'].includes(op.path)) {
            assert.equal(answer.status, 200, route);
            assert.ok(!JSON.stringify(answer.body).includes(globex.tenantId), `${route} shows nothing of globex`);
          } else {
            assert.equal(answer.status, 403, `${route}: ${JSON.stringify(answer.body)}`);
            assertError(answer, 403, 'forbidden');
          }
        } else {
          assert.equal(answer.status, 404, `${route}: ${JSON.stringify(answer.body)}`);
          const error = assertError(answer, 404, NOT_FOUND[op.path.split('/')[2]]);
          assert.equal(error.details.id, path.split('/')[3], route);
          // Its own object through the same route gets past the tenant check (reads only: the writes would change acme's world).
          if (op.method === 'GET') assert.equal((await as(acme.token, pathFor(op.path, acme))).status, 200, `${route} on acme's own object`);
        }
      }
      assert.equal(cases, operations.length - PUBLIC.length);
      assert.ok(cases >= 27, `${cases} routes tried`);
      const after = await globexState();
      assert.deepEqual(after, before, "globex's subscription, deliveries, attempts and dead letters are untouched");
    });

    it('lists contain only its own rows; naming another tenant is 403; the admin filters by tenantId', async () => {
      for (const list of ['/v1/subscriptions', '/v1/deliveries', '/v1/dead-letters']) {
        const { items } = await collectPages<{ tenantId: string }>({ ...stack, api: (p, i) => as(acme.token, p, i) }, list, 100);
        assert.ok(items.length > 0, `${list} has acme's rows`);
        assert.deepEqual([...new Set(items.map((r) => r.tenantId))], [acme.tenantId], list);
        assert.equal((await as(acme.token, `${list}?tenantId=${acme.tenantId}`)).status, 200);
        assertError(await as(acme.token, `${list}?tenantId=${globex.tenantId}`), 403, 'forbidden');
        assertError(await as(acme.token, `${list}?tenantId=nobody_${suffix()}`), 403, 'forbidden');
        const admin = await collectPages<{ tenantId: string }>(stack, `${list}?tenantId=${globex.tenantId}`, 100);
        assert.deepEqual([...new Set(admin.items.map((r) => r.tenantId))], [globex.tenantId], `${list} filtered by the admin`);
      }
      assertError(
        await as(acme.token, '/v1/subscriptions', {
          method: 'POST',
          json: { url: 'http://127.0.0.1:9/hook', eventTypes: ['image.created'], tenantId: globex.tenantId },
        }),
        403,
        'forbidden',
      );
      const own = await as(acme.token, '/v1/subscriptions', {
        method: 'POST',
        json: { url: 'http://127.0.0.1:9/hook', eventTypes: ['image.created'], enabled: false },
      });
      assert.equal(own.status, 201);
      assert.equal(own.body.tenantId, acme.tenantId, 'a tenant session creates in its own tenant');
    });

    it('bulk retry and discard never touch another tenant’s dead letters', async () => {
      const before = await globexState();
      assertError(await as(acme.token, '/v1/dead-letters/retry', { method: 'POST', json: { tenantId: globex.tenantId } }), 403, 'forbidden');
      const bulk = await as(acme.token, '/v1/dead-letters/retry', { method: 'POST', json: {} });
      assert.equal(bulk.status, 202, JSON.stringify(bulk.body));
      assert.deepEqual(bulk.body, { restarted: 1, remaining: 0 }, "only acme's one dead letter");
      await waitForDelivery(stack.db.dataSource, acme.deliveryId, 'dead_lettered', { attempts: 7 });
      assertError(await as(acme.token, `/v1/dead-letters/${globex.deadLetterId}`, { method: 'DELETE' }), 404, 'dead_letter_not_found');
      assert.equal((await as(acme.token, `/v1/dead-letters/${acme.deadLetterId}`, { method: 'DELETE' })).status, 204);
      assert.deepEqual(await globexState(), before);
      assert.equal((await as(globex.token, `/v1/dead-letters/${globex.deadLetterId}`)).status, 200, 'globex still has its dead letter');
    });
  });
});
