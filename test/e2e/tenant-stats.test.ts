/**
 * Per-tenant figures (`GET /v1/tenants/:id/stats`) and a subscription's own (`lastDelivery`,
 * `successRate24h`) over real deliveries: a receiver that succeeds, one that fails until a
 * delivery is dead-lettered and one left retrying, a test send, rows of another tenant and rows
 * older than the window. The expected numbers are worked out from the Attempt rows themselves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { Delivery, Subscription } from '../../libs/db/entities';
import { DEFAULT_TENANT_ID } from '../../libs/domain/tenants';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { assertError, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { deliveriesOf, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { assertNearPercentiles, percentileCont } from '../support/percentiles';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedDelivery, seedEvent } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

const DAY = 24 * 60 * 60 * 1000;

describe('tenant and subscription figures', () => {
  let stack: TestStack;
  let ok: Receiver;
  let failing: Receiver;
  const tenant = 'ws_stats:eu.1';
  const other = 'ws_other-tenant';
  let okSub: { id: string };
  let failSub: { id: string };
  let idleSub: { id: string };
  let oldSub: { id: string };
  let otherSub: { id: string };
  let retryingEvent: string;

  before(async () => {
    // No catch-up sweep: events the backlog test seeds stay undispatched (the API dispatches what it accepts, woken by its commits).
    stack = await startStack({ HERALD_DISPATCH_SWEEP_SECONDS: '0' });
    ok = await startReceiver({ kind: 'status', status: 200 });
    failing = await startReceiver({ kind: 'status', status: 500 });
    const okTpl = uniqueTemplate();
    const failTpl = uniqueTemplate();
    okSub = await createSubscription(stack, { url: ok.url, templateIds: [okTpl], tenantId: tenant });
    failSub = await createSubscription(stack, { url: failing.url, templateIds: [failTpl], tenantId: tenant });
    idleSub = await createSubscription(stack, { url: ok.url, templateIds: [uniqueTemplate()], tenantId: tenant });
    oldSub = await createSubscription(stack, { url: ok.url, templateIds: [uniqueTemplate()], tenantId: tenant });
    otherSub = await createSubscription(stack, { url: ok.url, templateIds: [uniqueTemplate()], tenantId: other });
    const ds = stack.db.dataSource;

    // Three successes, one delivery run to the dead letter, one left retrying, one test send.
    const okEvents = [];
    for (let i = 0; i < 3; i++) okEvents.push(await postEvent(stack, imageCreated({ templateId: okTpl, tenantId: tenant })));
    const deadEvent = await postEvent(stack, imageCreated({ templateId: failTpl, tenantId: tenant }));
    for (const e of okEvents) await waitForDelivery(ds, (await deliveriesOf(ds, e))[0].id, 'succeeded');
    await exhaustDelivery(ds, stack.deliveries, (await deliveriesOf(ds, deadEvent))[0].id);
    retryingEvent = await postEvent(stack, imageCreated({ templateId: failTpl, tenantId: tenant }));
    // Attempts 1 and 2 (no wait between them), then a one-minute timer: `retrying` stays put.
    await waitForDelivery(ds, (await deliveriesOf(ds, retryingEvent))[0].id, 'retrying', { attempts: 2 });
    assert.equal((await stack.api(`/v1/subscriptions/${okSub.id}/test`, { method: 'POST' })).status, 200);

    // The other tenant's log: a dead-lettered delivery with a slow attempt, never in this tenant's figures.
    const otherRow = await ds.getRepository(Subscription).findOneByOrFail({ id: otherSub.id });
    const otherDelivery = await seedDelivery(ds, await seedEvent(ds, { tenantId: other }), otherRow);
    await ds.getRepository(Delivery).update({ id: otherDelivery.id }, { status: 'dead_lettered', attemptCount: 6 });
    await insertAttempt(ds, otherDelivery, new Date(), 60_000);

    // Two days old: outside the default window, inside a wider one.
    const oldRow = await ds.getRepository(Subscription).findOneByOrFail({ id: oldSub.id });
    const old = await seedDelivery(ds, await seedEvent(ds, { tenantId: tenant }), oldRow);
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    await ds.getRepository(Delivery).update({ id: old.id }, { status: 'dead_lettered', attemptCount: 6, createdAt: twoDaysAgo, updatedAt: twoDaysAgo });
    await insertAttempt(ds, old, twoDaysAgo, 9_000);
  });

  after(async () => {
    if (retryingEvent)
      await stack?.client.workflow
        .getHandle(deliveryWorkflowId(retryingEvent, failSub.id))
        .terminate('test over')
        .catch(() => undefined);
    await ok?.close();
    await failing?.close();
    await stack?.stop();
  });

  async function insertAttempt(ds: DataSource, d: Delivery, startedAt: Date, durationMs: number): Promise<void> {
    await ds.query(
      `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, duration_ms, started_at, finished_at)
       VALUES ($1, $2, $3, 1, 'scheduled', 'https://x.test', false, 500, $4, $5, $5)`,
      [`atm_${d.id.slice(4)}`, d.id, d.subscriptionId, durationMs, startedAt],
    );
  }

  /** The durations of the tenant's attempts started since `since`, read from the rows. */
  async function durationsSince(since: Date): Promise<number[]> {
    const rows: { duration_ms: number }[] = await stack.db.dataSource.query(
      `SELECT a.duration_ms FROM attempts a JOIN subscriptions s ON s.id = a.subscription_id WHERE s.tenant_id = $1 AND a.started_at >= $2`,
      [tenant, since],
    );
    return rows.map((r) => r.duration_ms);
  }

  it("counts the tenant's deliveries by status, its attempts with p50/p95 duration and its dead letters over the last 24 hours", async () => {
    const before = Date.now();
    const res = await stack.api(`/v1/tenants/${tenant}/stats`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const stats = res.body;
    assert.deepEqual(Object.keys(stats), [
      'tenantId',
      'since',
      'deliveries',
      'successRate',
      'attempts',
      'attemptDurationMs',
      'deadLetters',
      'backlog',
      'latency',
    ]);
    assert.equal(stats.tenantId, tenant);
    assert.ok(Math.abs(Date.parse(stats.since) - (before - DAY)) < 5_000, `since defaults to 24 hours ago: ${stats.since}`);
    assert.deepEqual(stats.deliveries, { pending: 0, delivering: 0, retrying: 1, paused: 0, succeeded: 3, dead_lettered: 1, cancelled: 0 });
    assert.equal(stats.successRate, 0.75, '3 of the 4 that reached an outcome');
    // 3 successes + 6 tries of the dead letter + 2 of the retrying delivery + the test send.
    assert.equal(stats.attempts, 12);
    const durations = await durationsSince(new Date(stats.since));
    assert.equal(durations.length, 12);
    assert.deepEqual(stats.attemptDurationMs, { p50: Math.round(percentileCont(durations, 0.5)!), p95: Math.round(percentileCont(durations, 0.95)!) });
    assert.ok(stats.attemptDurationMs.p95 < 9_000, 'neither the old attempt nor the other tenant’s is in it');
    assert.equal(stats.deadLetters, 1);
  });

  it('widens the window with since, and keeps every tenant to its own rows', async () => {
    const since = new Date(Date.now() - 3 * DAY);
    const wide = (await stack.api(`/v1/tenants/${tenant}/stats?since=${encodeURIComponent(since.toISOString())}`)).body;
    assert.equal(wide.since, since.toISOString());
    assert.deepEqual(wide.deliveries, { pending: 0, delivering: 0, retrying: 1, paused: 0, succeeded: 3, dead_lettered: 2, cancelled: 0 });
    assert.equal(wide.successRate, 0.6);
    assert.equal(wide.attempts, 13);
    const durations = await durationsSince(since);
    // Longer than a day: read from latency histograms.
    assert.equal(wide.latency.percentiles, 'histogram');
    assertNearPercentiles(wide.attemptDurationMs, { p50: percentileCont(durations, 0.5), p95: percentileCont(durations, 0.95) }, 'durations');
    assert.equal(wide.deadLetters, 1, 'the seeded old delivery has no dead letter row');

    const others = (await stack.api(`/v1/tenants/${other}/stats`)).body;
    assert.deepEqual(others.deliveries, { pending: 0, delivering: 0, retrying: 0, paused: 0, succeeded: 0, dead_lettered: 1, cancelled: 0 });
    assert.equal(others.successRate, 0);
    assert.equal(others.attempts, 1);
    assert.deepEqual(others.attemptDurationMs, { p50: 60_000, p95: 60_000 });

    const fresh = await stack.api(`/v1/tenants/${other}/stats?since=${encodeURIComponent(new Date().toISOString())}`);
    assert.equal(fresh.status, 200);
    assert.deepEqual(fresh.body.deliveries, { pending: 0, delivering: 0, retrying: 0, paused: 0, succeeded: 0, dead_lettered: 0, cancelled: 0 });
    assert.equal(fresh.body.successRate, null, 'nothing reached an outcome');
    assert.deepEqual(fresh.body.attemptDurationMs, { p50: null, p95: null });
  });

  it('refuses a bad since and answers 404 for a tenant that does not exist, in the error shape', async () => {
    for (const bad of ['yesterday', '2025-13-01T00:00:00Z', 'now', '']) {
      assertError(await stack.api(`/v1/tenants/${tenant}/stats?since=${encodeURIComponent(bad)}`), 422, 'validation_failed');
    }
    assertError(
      await stack.api(`/v1/tenants/${tenant}/stats?since=${encodeURIComponent(new Date(Date.now() + DAY).toISOString())}`),
      422,
      'invalid_time_range',
    );
    assertError(await stack.api(`/v1/tenants/${tenant}/stats?until=2025-01-01T00:00:00Z`), 422, 'validation_failed');
    assertError(await stack.api('/v1/tenants/ws_nobody/stats'), 404, 'tenant_not_found');
    assertError(await stack.api(`/v1/tenants/${encodeURIComponent('not a tenant id')}/stats`), 404, 'tenant_not_found');
    const empty = await stack.api(`/v1/tenants/${DEFAULT_TENANT_ID}/stats`);
    assert.equal(empty.status, 200);
    assert.equal(empty.body.attempts, 0, 'the built-in tenant has none of these');
  });

  it("lets a tenant's portal session read its own figures only: another tenant's are 404, as if it did not exist", async () => {
    const session = await stack.api(`/v1/tenants/${encodeURIComponent(tenant)}/portal-sessions`, { method: 'POST', json: {} });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const as = (path: string) => stack.api(path, { headers: { authorization: `Bearer ${session.body.token}` } });
    const own = await as(`/v1/tenants/${encodeURIComponent(tenant)}/stats`);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.deepEqual(own.body, (await stack.api(`/v1/tenants/${encodeURIComponent(tenant)}/stats?since=${encodeURIComponent(own.body.since)}`)).body);
    const foreign = assertError(await as(`/v1/tenants/${other}/stats`), 404, 'tenant_not_found');
    assert.deepEqual(
      assertError(await as('/v1/tenants/ws_nobody/stats'), 404, 'tenant_not_found').details,
      { id: 'ws_nobody' },
      'the same answer as for a tenant that does not exist',
    );
    assert.deepEqual(foreign.details, { id: other });
    assertError(await as(`/v1/tenants/${encodeURIComponent(tenant)}`), 403, 'forbidden');
  });

  it("shows each subscription's last delivery and 24-hour success rate in its view and in lists, from one query per page", async () => {
    const get = async (id: string) => (await stack.api(`/v1/subscriptions/${id}`)).body;
    const okView = await get(okSub.id);
    const okLast = await stack.db.dataSource.getRepository(Delivery).findOneOrFail({ where: { subscriptionId: okSub.id }, order: { id: 'DESC' } });
    assert.deepEqual(okView.lastDelivery, { id: okLast.id, status: 'succeeded', at: okLast.updatedAt.toISOString() });
    assert.equal(okView.successRate24h, 1);
    const failView = await get(failSub.id);
    assert.equal(failView.lastDelivery.status, 'retrying', 'the newest delivery');
    assert.equal(failView.successRate24h, 0);
    const idleView = await get(idleSub.id);
    assert.equal(idleView.lastDelivery, null);
    assert.equal(idleView.successRate24h, null);
    const oldView = await get(oldSub.id);
    assert.equal(oldView.lastDelivery.status, 'dead_lettered');
    assert.equal(oldView.successRate24h, null, 'its one delivery is two days old: outside the window');

    // The API's own DataSource: count the statements a list page sends to the deliveries table.
    const apiDataSource = stack.app.get(DataSource);
    const statements: string[] = [];
    const logger = apiDataSource.logger;
    apiDataSource.logger = Object.assign(Object.create(logger) as typeof logger, { logQuery: (query: string) => void statements.push(query) });
    let page;
    try {
      page = await stack.api('/v1/subscriptions?limit=100');
    } finally {
      apiDataSource.logger = logger;
    }
    assert.equal(page.status, 200);
    assert.equal(page.body.data.length, 5, 'four of this tenant, one of the other');
    assert.equal(statements.filter((q) => /\bdeliveries\b/.test(q)).length, 1, `one query for the whole page:\n${statements.join('\n')}`);
    const byId = new Map(page.body.data.map((s: { id: string }) => [s.id, s]));
    for (const view of [okView, failView, idleView, oldView]) assert.deepEqual(byId.get(view.id), view, `${view.id} in the list as in its own view`);
    assert.deepEqual((byId.get(otherSub.id) as { lastDelivery: { status: string } }).lastDelivery.status, 'dead_lettered');

    const created = await createSubscription(stack, { url: ok.url, templateIds: [uniqueTemplate()] });
    assert.equal(created.lastDelivery, null);
    assert.equal(created.successRate24h, null);
  });

  it('shows what waits now: events not dispatched, events waiting for a worker, pending deliveries; each tenant its own', async () => {
    const ds = stack.db.dataSource;
    const backlogOf = async (id: string) => (await stack.api(`/v1/tenants/${id}/stats`)).body.backlog;
    const empty = { eventsNotDispatched: 0, eventsWaitingForWorker: 0, deliveriesWaitingForWorker: 0 };
    assert.deepEqual(await backlogOf(tenant), empty, 'everything it posted was delivered');
    // Rows as a burst leaves them; no dispatcher is woken for them (seeded, not posted), and they are locked while counted.
    const ids: string[] = [];
    for (const [n, started] of [
      [3, false],
      [2, true],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const e = await seedEvent(ds, { tenantId: tenant, workflowStartedAt: started ? new Date() : null, matched: false });
        ids.push(e.id);
      }
    }
    const otherRow = await ds.getRepository(Subscription).findOneByOrFail({ id: otherSub.id });
    const pendingOther = await seedDelivery(ds, await seedEvent(ds, { tenantId: other }), otherRow);
    try {
      await ds.transaction(async (tx) => {
        await tx.query(`SELECT id FROM events WHERE id = ANY($1) FOR UPDATE`, [ids]);
        assert.deepEqual(await backlogOf(tenant), { eventsNotDispatched: 3, eventsWaitingForWorker: 2, deliveriesWaitingForWorker: 0 });
        assert.deepEqual(await backlogOf(other), { ...empty, deliveriesWaitingForWorker: 1 }, "the other tenant's pending delivery");
        const metrics = String((await stack.api('/metrics')).body);
        assert.match(metrics, /^herald_backlog\{stage="events_waiting_for_worker"\} [1-9]/m);
        assert.match(metrics, /^herald_backlog_largest_tenant_share (0\.\d+|1)$/m);
      });
    } finally {
      await ds.query(`DELETE FROM events WHERE id = ANY($1)`, [ids]);
      await ds.query(`UPDATE deliveries SET status = 'cancelled' WHERE id = $1`, [pendingOther.id]);
    }
    assert.deepEqual(await backlogOf(tenant), empty);
  });

  it('keeps Prometheus series free of tenant labels', async () => {
    const metrics = await stack.api('/metrics');
    assert.equal(metrics.status, 200);
    const text = String(metrics.body);
    assert.ok(text.includes('herald_'), 'the metrics were read');
    // Series name no tenant: no label is about one, and no tenant id appears (the backlog gauges are totals and a share).
    assert.ok(!/\{[^}]*tenant/i.test(text), 'no label names a tenant');
    for (const id of [tenant, other, DEFAULT_TENANT_ID]) assert.ok(!text.includes(`"${id}"`), `no series carries ${id}`);
  });
});
