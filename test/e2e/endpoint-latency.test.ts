/**
 * Latency per endpoint (`GET /v1/subscriptions/:id/stats`, and the `latency` block of the tenant
 * stats) and what each attempt sent, over real deliveries: a slow receiver that succeeds, one
 * that fails once then succeeds (so its 202 → first success spans two attempts), seeded rows of
 * the same subscription two days old, and another tenant's. Every expected figure is worked out
 * here from the rows themselves, with the same percentile definition as Postgres's.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../activities';
import { Delivery, Subscription } from '../../libs/db/entities';
import { AttemptRepository, createStores } from '../../libs/db/repositories';
import { idFloor } from '../../libs/domain/ids';
import { histogramIndex } from '../../libs/domain/latency-histogram';
import { HERALD_VERSION } from '../../libs/version';
import { assertError, createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { deliveriesOf, waitForDelivery } from '../support/deliveries';
import { loopbackSender, testSecretBox } from '../support/engine';
import { assertNearPercentiles, percentileCont } from '../support/percentiles';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedDelivery, seedEvent } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

const percentiles = (values: number[]) => {
  const ms = (v: number | null) => (v === null ? null : Math.round(v));
  return { p50: ms(percentileCont(values, 0.5)), p95: ms(percentileCont(values, 0.95)), p99: ms(percentileCont(values, 0.99)) };
};

interface AttemptFacts {
  subscription_id: string;
  ok: boolean;
  status_code: number | null;
  duration_ms: number;
  started_at: Date;
  first_success_ms: number | null;
}

describe('latency per endpoint, and what each attempt sent', () => {
  let stack: TestStack;
  let slow: Receiver;
  let flaky: Receiver;
  const tenant = 'ws_latency';
  const other = 'ws_latency_other';
  let slowSub: { id: string; secret: string };
  let flakySub: { id: string };
  let otherSub: { id: string };
  let flakyDelivery: string;
  const seededOld = { at: new Date(Date.now() - 2 * DAY), durationMs: 7_000 };

  before(async () => {
    stack = await startStack();
    slow = await startReceiver({ kind: 'slow', ms: 150, status: 200 });
    flaky = await startReceiver({
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 204 },
      ],
    });
    const slowTpl = uniqueTemplate();
    const flakyTpl = uniqueTemplate();
    const otherTpl = uniqueTemplate();
    slowSub = await createSubscription(stack, {
      url: slow.url,
      templateIds: [slowTpl],
      tenantId: tenant,
      headers: { 'X-Api-Key': 'key-of-the-receiver-9876' },
    });
    flakySub = await createSubscription(stack, { url: flaky.url, templateIds: [flakyTpl], tenantId: tenant });
    otherSub = await createSubscription(stack, { url: slow.url, templateIds: [otherTpl], tenantId: other });
    const ds = stack.db.dataSource;

    for (let i = 0; i < 3; i++) {
      const evt = await postEvent(stack, imageCreated({ templateId: slowTpl, tenantId: tenant }));
      await waitForDelivery(ds, (await deliveriesOf(ds, evt))[0].id, 'succeeded');
    }
    // Attempt 1 answers 503, attempt 2 (no wait between them) 204: the first success is attempt 2.
    const flakyEvent = await postEvent(stack, imageCreated({ templateId: flakyTpl, tenantId: tenant }));
    flakyDelivery = (await deliveriesOf(ds, flakyEvent))[0].id;
    await waitForDelivery(ds, flakyDelivery, 'succeeded', { attempts: 2 });
    assert.equal((await stack.api(`/v1/subscriptions/${slowSub.id}/test`, { method: 'POST' })).status, 200);

    // Two days old, in the slow subscription's log: outside the default window, inside a wider one.
    const slowRow = await ds.getRepository(Subscription).findOneByOrFail({ id: slowSub.id });
    const old = await seedDelivery(ds, await seedEvent(ds, { tenantId: tenant, receivedAt: new Date(seededOld.at.getTime() - 60_000) }), slowRow);
    await ds.getRepository(Delivery).update({ id: old.id }, { status: 'succeeded', attemptCount: 1, createdAt: seededOld.at, updatedAt: seededOld.at });
    await ds.query(
      `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, duration_ms, started_at, finished_at)
       VALUES ($1, $2, $3, 1, 'scheduled', 'https://x.test', true, 200, $4::int, $5, $5::timestamptz + $4::int * interval '1 millisecond')`,
      // Its id made when it was recorded, as every attempt's is (ids sort by time: the rollup reads hours by id).
      [
        `${idFloor('attempt', new Date(seededOld.at.getTime() + seededOld.durationMs)).slice(0, -16)}SEEDED0000000000`,
        old.id,
        old.subscriptionId,
        seededOld.durationMs,
        seededOld.at,
      ],
    );
    // Another tenant's endpoint: one slow success, never in this tenant's figures.
    const otherEvent = await postEvent(stack, imageCreated({ templateId: otherTpl, tenantId: other }));
    await waitForDelivery(ds, (await deliveriesOf(ds, otherEvent))[0].id, 'succeeded');
  });

  after(async () => {
    await slow?.close();
    await flaky?.close();
    await stack?.stop();
  });

  /** The attempts of a scope started since `since`, each with its 202 → first success when it was its delivery's first success. */
  async function facts(scope: { subscriptionId: string } | { tenantId: string }, since: Date): Promise<AttemptFacts[]> {
    return stack.db.dataSource.query(
      `SELECT a.subscription_id, a.ok, a.status_code, a.duration_ms, a.started_at,
              CASE WHEN a.ok AND a.delivery_id IS NOT NULL
                        AND a.number = (SELECT min(b.number) FROM attempts b WHERE b.delivery_id = a.delivery_id AND b.ok)
                   THEN extract(epoch FROM a.finished_at - e.received_at) * 1000 END::float8 AS first_success_ms
         FROM attempts a JOIN subscriptions s ON s.id = a.subscription_id
         LEFT JOIN deliveries d ON d.id = a.delivery_id LEFT JOIN events e ON e.id = d.event_id
        WHERE ${'subscriptionId' in scope ? 's.id' : 's.tenant_id'} = $1 AND a.started_at >= $2`,
      ['subscriptionId' in scope ? scope.subscriptionId : scope.tenantId, since],
    );
  }

  function expectedLatency(rows: AttemptFacts[]) {
    const firsts = rows.filter((r) => r.first_success_ms !== null).map((r) => r.first_success_ms!);
    return {
      attempts: rows.length,
      attemptDurationMs: percentiles(rows.map((r) => r.duration_ms)),
      firstSuccesses: firsts.length,
      firstSuccessMs: percentiles(firsts),
    };
  }

  function assertSeries(latency: any, rows: AttemptFacts[], since: Date, bucketSeconds: number): void {
    assert.equal(latency.bucketSeconds, bucketSeconds);
    const width = bucketSeconds * 1000;
    const starts = latency.series.map((b: { start: string }) => Date.parse(b.start));
    assert.equal(starts[0], Math.floor(since.getTime() / width) * width, 'the first bucket holds since');
    for (let i = 1; i < starts.length; i++) assert.equal(starts[i] - starts[i - 1], width, 'every bucket present, in order');
    assert.ok(starts.at(-1) <= Date.now() && starts.at(-1) + width > Date.now() - 60_000, 'the last bucket holds now');
    for (const b of latency.series) {
      const inside = rows.filter((r) => r.started_at.getTime() >= Date.parse(b.start) && r.started_at.getTime() < Date.parse(b.start) + width);
      const { attempts, attemptDurationMs, firstSuccesses, firstSuccessMs } = expectedLatency(inside);
      if (latency.percentiles === 'histogram') {
        assert.deepEqual([b.attempts, b.succeeded, b.firstSuccesses], [attempts, inside.filter((r) => r.ok).length, firstSuccesses], `bucket ${b.start}`);
        assertNearPercentiles(b.attemptDurationMs, attemptDurationMs, `bucket ${b.start} durations`);
        assertNearPercentiles(b.firstSuccessMs, firstSuccessMs, `bucket ${b.start} 202 → first success`);
        continue;
      }
      assert.deepEqual(
        { attempts, succeeded: inside.filter((r) => r.ok).length, attemptDurationMs, firstSuccesses, firstSuccessMs },
        {
          attempts: b.attempts,
          succeeded: b.succeeded,
          attemptDurationMs: b.attemptDurationMs,
          firstSuccesses: b.firstSuccesses,
          firstSuccessMs: b.firstSuccessMs,
        },
        `bucket ${b.start}`,
      );
    }
  }

  it("gives a subscription's attempt duration and 202 → first success p50/p95/p99, outcomes and deliveries over the last 24 hours", async () => {
    const res = await stack.api(`/v1/subscriptions/${flakySub.id}/stats`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const stats = res.body;
    assert.deepEqual(Object.keys(stats), ['subscriptionId', 'tenantId', 'since', 'deliveries', 'successRate', 'deadLetters', 'latency']);
    assert.equal(stats.subscriptionId, flakySub.id);
    assert.equal(stats.tenantId, tenant);
    assert.ok(Math.abs(Date.parse(stats.since) - (Date.now() - DAY)) < 10_000, `since defaults to 24 hours ago: ${stats.since}`);
    assert.deepEqual(stats.deliveries, { pending: 0, delivering: 0, retrying: 0, paused: 0, succeeded: 1, dead_lettered: 0, cancelled: 0 });
    assert.equal(stats.successRate, 1);
    assert.equal(stats.deadLetters, 0);

    const rows = await facts({ subscriptionId: flakySub.id }, new Date(stats.since));
    assert.equal(rows.length, 2, 'the 503 and the 204');
    const { latency } = stats;
    assert.deepEqual(
      { ...latency, attemptsByOutcome: undefined, series: undefined, bucketSeconds: undefined, percentiles: 'exact' },
      {
        ...expectedLatency(rows),
        attemptsByOutcome: undefined,
        series: undefined,
        bucketSeconds: undefined,
        percentiles: 'exact',
      },
    );
    assert.equal(latency.firstSuccesses, 1);
    const first = rows.find((r) => r.first_success_ms !== null)!;
    assert.ok(first.first_success_ms! >= first.duration_ms, "202 → first success spans the failed attempt before it and the success's own duration");
    assert.equal(latency.firstSuccessMs.p99, Math.round(first.first_success_ms!));
    assert.deepEqual(
      Object.entries(latency.attemptsByOutcome).filter(([, n]) => n !== 0),
      [
        ['succeeded', 1],
        ['http_5xx', 1],
      ],
    );
    assert.deepEqual(Object.keys(latency.attemptsByOutcome), [
      'succeeded',
      'http_3xx',
      'http_4xx',
      'http_5xx',
      'timeout',
      'dns',
      'connect',
      'tls',
      'ssrf_blocked',
      'invalid_url',
      'network',
      'response_too_large',
    ]);
    assert.equal(latency.series.length, 25, '24 hours in hour buckets: the partial one holding since, 23 whole ones and the one holding now');
    assertSeries(latency, rows, new Date(stats.since), 3600);
  });

  it('counts test sends among attempts but not among first successes, and widens the window with since', async () => {
    const day = (await stack.api(`/v1/subscriptions/${slowSub.id}/stats`)).body;
    const dayRows = await facts({ subscriptionId: slowSub.id }, new Date(day.since));
    assert.equal(dayRows.length, 4, 'three deliveries and the test send');
    assert.deepEqual(
      { ...day.latency, attemptsByOutcome: undefined, series: undefined, bucketSeconds: undefined, percentiles: 'exact' },
      {
        ...expectedLatency(dayRows),
        attemptsByOutcome: undefined,
        series: undefined,
        bucketSeconds: undefined,
        percentiles: 'exact',
      },
    );
    assert.equal(day.latency.firstSuccesses, 3);
    assert.equal(day.latency.attemptsByOutcome.succeeded, 4);
    assert.ok(day.latency.attemptDurationMs.p50 >= 150, `the receiver answers after 150 ms: ${JSON.stringify(day.latency.attemptDurationMs)}`);
    assert.ok(day.latency.attemptDurationMs.p99 < seededOld.durationMs, 'the two-day-old attempt is outside the window');

    const since = new Date(Date.now() - 3 * DAY);
    const wide = (await stack.api(`/v1/subscriptions/${slowSub.id}/stats?since=${encodeURIComponent(since.toISOString())}`)).body;
    assert.equal(wide.since, since.toISOString());
    assert.deepEqual(wide.deliveries, { pending: 0, delivering: 0, retrying: 0, paused: 0, succeeded: 4, dead_lettered: 0, cancelled: 0 });
    const wideRows = await facts({ subscriptionId: slowSub.id }, since);
    assert.equal(wideRows.length, 5);
    // Longer than a day: percentiles from latency histograms, counts exact.
    assert.equal(wide.latency.percentiles, 'histogram');
    assert.deepEqual([wide.latency.attempts, wide.latency.firstSuccesses, wide.latency.attemptsByOutcome.succeeded], [5, 4, 5]);
    assertNearPercentiles(wide.latency.attemptDurationMs, expectedLatency(wideRows).attemptDurationMs, 'durations');
    assert.ok(wide.latency.attemptDurationMs.p99 > 5_000, 'the old slow attempt is in the wider window');
    assertNearPercentiles(wide.latency.firstSuccessMs, expectedLatency(wideRows).firstSuccessMs, '202 → first success');
    assert.equal(wide.latency.series.length, 13, '3 days in 6-hour buckets');
    assertSeries(wide.latency, wideRows, since, 6 * 3600);

    // Twenty days: a series in whole days (the rollup's daily level serves those once it has run).
    const monthSince = new Date(Date.now() - 20 * DAY);
    const monthPath = `/v1/subscriptions/${slowSub.id}/stats?since=${encodeURIComponent(monthSince.toISOString())}`;
    const month = (await stack.api(monthPath)).body;
    assert.equal(month.latency.bucketSeconds, 24 * 3600);
    assertSeries(month.latency, await facts({ subscriptionId: slowSub.id }, monthSince), monthSince, 24 * 3600);

    // The hourly rollup (its Schedule's activity): the complete hours are now read from
    // attempt_stats_hourly, the current one still from the attempts, and the answer is the same.
    const rollup = createActivities({
      ...createStores(stack.db.dataSource),
      sender: loopbackSender(),
      secretBox: testSecretBox(),
      version: 'test',
    }).rollupAttemptStats;
    let step = await rollup();
    while (step.more) step = await rollup();
    /** The slow subscription's row of a rollup level for the period holding the two-day-old attempt: that attempt alone. */
    const assertOldAttemptRolled = async (table: string, column: string, width: number): Promise<void> =>
      assert.deepEqual(
        await stack.db.dataSource.query(
          `SELECT attempts, succeeded, outcomes, duration_hist, first_successes FROM ${table} WHERE subscription_id = $1 AND ${column} = $2`,
          [slowSub.id, new Date(Math.floor(seededOld.at.getTime() / width) * width)],
        ),
        [{ attempts: 1, succeeded: 1, outcomes: { succeeded: 1 }, duration_hist: { [histogramIndex(seededOld.durationMs)]: 1 }, first_successes: 1 }],
        `the two-day-old attempt, rolled into its ${column}`,
      );
    await assertOldAttemptRolled('attempt_stats_hourly', 'hour', HOUR);
    assert.ok((await new AttemptRepository(stack.db.dataSource.manager).rolledUntil())!.getTime() >= Date.now() - HOUR - 11 * 60_000);
    const rolled = (await stack.api(`/v1/subscriptions/${slowSub.id}/stats?since=${encodeURIComponent(since.toISOString())}`)).body;
    assert.deepEqual({ ...rolled.latency, series: undefined }, { ...wide.latency, series: undefined }, 'the rolled-up hours answer as the attempts did');
    assert.deepEqual(
      rolled.latency.series.filter((b: { attempts: number }) => b.attempts > 0),
      wide.latency.series.filter((b: { attempts: number }) => b.attempts > 0),
    );
    // The daily level: the old attempt's complete day is one row, the sum of its hours, and the
    // twenty days (read from it) answer as they did from the attempts.
    await assertOldAttemptRolled('attempt_stats_daily', 'day', DAY);
    const monthRolled = (await stack.api(monthPath)).body;
    assert.deepEqual({ ...monthRolled.latency, series: undefined }, { ...month.latency, series: undefined }, 'the daily rows answer as the attempts did');
    assert.deepEqual(
      monthRolled.latency.series.filter((b: { attempts: number }) => b.attempts > 0),
      month.latency.series.filter((b: { attempts: number }) => b.attempts > 0),
    );
    step = await rollup();
    assert.equal(step.more, false, 'a second run has nothing left but the last hours again');
    assert.deepEqual(
      (await stack.api(`/v1/subscriptions/${slowSub.id}/stats?since=${encodeURIComponent(since.toISOString())}`)).body.latency.attemptDurationMs,
      wide.latency.attemptDurationMs,
      'idempotent',
    );
  });

  it("puts the same latency block in the tenant's stats, over every endpoint of the tenant and none of another's", async () => {
    const stats = (await stack.api(`/v1/tenants/${tenant}/stats`)).body;
    const rows = await facts({ tenantId: tenant }, new Date(stats.since));
    assert.equal(rows.length, 6, 'three slow deliveries, the test send, the 503 and the 204');
    assert.deepEqual(
      { ...stats.latency, attemptsByOutcome: undefined, series: undefined, bucketSeconds: undefined, percentiles: 'exact' },
      {
        ...expectedLatency(rows),
        attemptsByOutcome: undefined,
        series: undefined,
        bucketSeconds: undefined,
        percentiles: 'exact',
      },
    );
    assert.equal(stats.latency.attempts, stats.attempts, 'the same attempts as the summary above it');
    assert.equal(stats.latency.attemptsByOutcome.http_5xx, 1);
    assertSeries(stats.latency, rows, new Date(stats.since), 3600);
    const others = (await stack.api(`/v1/tenants/${other}/stats`)).body;
    assert.equal(others.latency.attempts, 1);
    assert.equal(others.latency.firstSuccesses, 1);
  });

  it('refuses a bad since in the error shape, and answers 404 for an unknown, malformed or foreign subscription', async () => {
    for (const bad of ['yesterday', '2025-13-01T00:00:00Z', 'now', '']) {
      assertError(await stack.api(`/v1/subscriptions/${slowSub.id}/stats?since=${encodeURIComponent(bad)}`), 422, 'validation_failed');
    }
    const future = new Date(Date.now() + HOUR).toISOString();
    assertError(await stack.api(`/v1/subscriptions/${slowSub.id}/stats?since=${encodeURIComponent(future)}`), 422, 'invalid_time_range');
    assertError(await stack.api(`/v1/subscriptions/${slowSub.id}/stats?until=2025-01-01T00:00:00Z`), 422, 'validation_failed');
    assertError(await stack.api('/v1/subscriptions/sub_00000000000000000000000000/stats'), 404, 'subscription_not_found');
    assertError(await stack.api('/v1/subscriptions/not-an-id/stats'), 404, 'subscription_not_found');

    const session = await stack.api(`/v1/tenants/${tenant}/portal-sessions`, { method: 'POST', json: {} });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const as = (path: string) => stack.api(path, { headers: { authorization: `Bearer ${session.body.token}` } });
    const own = await as(`/v1/subscriptions/${flakySub.id}/stats`);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.latency.attempts, 2);
    const foreign = assertError(await as(`/v1/subscriptions/${otherSub.id}/stats`), 404, 'subscription_not_found');
    const missing = assertError(await as('/v1/subscriptions/sub_00000000000000000000000000/stats'), 404, 'subscription_not_found');
    assert.deepEqual(Object.keys(foreign.details), Object.keys(missing.details), 'the same answer as for a subscription that does not exist');
  });

  it("shows each attempt's request as it was sent: headers with custom values and signatures masked, body hash and size, signing key ids", async () => {
    const delivery = (await stack.api(`/v1/deliveries/${flakyDelivery}`)).body;
    assert.equal(delivery.attempts.length, 2);
    assert.equal(flaky.requests.length, 2);
    for (const [i, attempt] of delivery.attempts.entries()) {
      const received = flaky.requests[i];
      const { request } = attempt;
      assert.deepEqual(Object.keys(request), ['headers', 'bodySha256', 'bodyBytes', 'signatureKeyIds']);
      assert.equal(request.bodySha256, createHash('sha256').update(received.body).digest('hex'), `attempt ${attempt.number}: the hash of the bytes received`);
      assert.equal(request.bodyBytes, Buffer.byteLength(received.body));
      assert.deepEqual(request.signatureKeyIds, ['current']);
      assert.equal(request.headers['user-agent'], `Herald/${HERALD_VERSION}`);
      for (const name of ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'x-herald-event-type', 'x-herald-attempt']) {
        assert.equal(request.headers[name], received.headers[name], `${name} as sent in attempt ${attempt.number}`);
      }
      assert.equal(request.headers['x-herald-attempt'], String(attempt.number));
      assert.notEqual(request.headers['webhook-signature'], received.headers['webhook-signature']);
      assert.equal(request.headers['webhook-signature'], `v1,••••${received.headers['webhook-signature'].slice(-4)}`);
    }

    // A rotation: the next attempt is signed by both secrets, and its record says so. The custom header is masked.
    assert.equal((await stack.api(`/v1/subscriptions/${slowSub.id}/rotate-secret`, { method: 'POST', json: {} })).status, 200);
    const test = await stack.api(`/v1/subscriptions/${slowSub.id}/test`, { method: 'POST' });
    assert.equal(test.status, 200, JSON.stringify(test.body));
    const sent = slow.requests.at(-1)!;
    assert.equal(sent.headers['x-api-key'], 'key-of-the-receiver-9876');
    assert.deepEqual(test.body.request.signatureKeyIds, ['current', 'previous']);
    assert.equal(test.body.request.headers['X-Api-Key'], '••••9876');
    assert.equal(test.body.request.headers['webhook-signature'].split(' ').length, 2);
    assert.equal(test.body.request.bodySha256, createHash('sha256').update(sent.body).digest('hex'));
    const stored: { request: unknown }[] = await stack.db.dataSource.query(`SELECT request FROM attempts WHERE id = $1`, [test.body.id]);
    assert.deepEqual(stored[0].request, test.body.request, 'the row holds what the view shows');
    assert.ok(!JSON.stringify(stored).includes('key-of-the-receiver'), 'never the header value in clear');
  });
});
