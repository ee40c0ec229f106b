/**
 * Metrics and logs of the real processes: the worker entry point (a separate process, as in
 * production) serving /metrics on HERALD_WORKER_METRICS_PORT and writing JSON logs, the API's
 * admin-protected /metrics, and the exactly-once counting at the activity boundary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createActivities } from '../../activities';
import { createStores } from '../../libs/db/repositories';
import type { AttemptRecorded } from '../../activities/deps';
import type { RecordAttemptInput } from '../../activities/types';
import { Metrics } from '../../apps/api/src/metrics/metrics.service';
import { Subscription } from '../../libs/db/entities';
import { freePort, waitForPort } from '../../libs/devstack/ports';
import { TEST_ADMIN_TOKEN, TEST_INGEST_TOKEN, TEST_SECRET_KEY } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deliveriesOf, deliveryTarget, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { eventually, loopbackSender, testSecretBox } from '../support/engine';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

/** A parsed JSON log line; its fields are whatever the code logged. */

type LogRecord = Record<string, any>;

/** The value of `series` (name plus labels, exactly as exposed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the worker process: /metrics and JSON logs', () => {
  let stack: TestStack;
  let worker: HeraldProcess;
  let metricsUrl: string;
  let failing: Receiver;
  let ok: Receiver;
  let failingSub: Subscription & { secret: string };
  let okSub: Subscription & { secret: string };

  const scrape = async (): Promise<string> => {
    const res = await fetch(metricsUrl);
    assert.equal(res.status, 200);
    return res.text();
  };
  /** Polls the worker's metrics until `series` reads `value` (counting happens right after the commit). */
  const metricReaches = (series: string, value: number): Promise<string> =>
    eventually(
      async () => {
        const text = await scrape();
        return sample(text, series) === value && text;
      },
      10_000,
      `${series} = ${value}`,
    );
  const deliveryFor = async (sub: Subscription, templateId: string): Promise<string> => {
    const event = await seedEvent(stack.db.dataSource, { templateId });
    await stack.deliveries.startEvent(event.id);
    const [d] = await deliveriesOf(stack.db.dataSource, event.id);
    assert.equal(d.subscriptionId, sub.id);
    return d.id;
  };

  before(async () => {
    // The in-process worker stays idle: the real worker process does all the work.
    stack = await startStack({}, { worker: false });
    const port = await freePort();
    worker = spawnHerald('worker', envFor(stack.config, { HERALD_WORKER_METRICS_PORT: String(port), HERALD_LOG_LEVEL: 'info' }));
    await waitForPort(port, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; worker output:\n${worker.output()}`);
    });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    failing = await startReceiver({ kind: 'status', status: 503 });
    ok = await startReceiver({ kind: 'status', status: 200 });
    // Template scopes route each event to exactly one of the two subscriptions.
    failingSub = await seedSubscription(stack.db.dataSource, testSecretBox(), {
      url: failing.url,
      templateIds: ['tpl_fail'],
      headers: { 'x-customer-key': 'custom-header-value-1234' },
    });
    okSub = await seedSubscription(stack.db.dataSource, testSecretBox(), { url: ok.url, templateIds: ['tpl_ok'] });
  });
  after(async () => {
    await worker?.stop();
    await failing?.close();
    await ok?.close();
    await stack?.stop();
  });

  it('exports every delivery outcome from the start, with the Node process metrics', async () => {
    const text = await scrape();
    for (const outcome of ['succeeded', 'dead_lettered', 'cancelled']) assert.equal(sample(text, `herald_deliveries_total{outcome="${outcome}"}`), 0);
    assert.match(text, /^# TYPE herald_attempt_duration_seconds histogram$/m);
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
  });

  it('counts each recorded attempt by status class and trigger, with its duration', async () => {
    const id = await deliveryFor(failingSub, 'tpl_fail');
    await waitForDelivery(stack.db.dataSource, id, 'retrying', { attempts: 2 });
    const text = await metricReaches('herald_attempts_total{status_class="5xx",trigger="scheduled"}', 2);
    assert.equal(sample(text, 'herald_attempt_duration_seconds_count'), 2);
    assert.ok((sample(text, 'herald_attempt_duration_seconds_sum') ?? -1) >= 0);
    assert.equal(sample(text, 'herald_deliveries_total{outcome="dead_lettered"}'), 0, 'a retrying delivery has no outcome yet');

    await exhaustDelivery(stack.db.dataSource, stack.deliveries, id);
    const exhausted = await metricReaches('herald_deliveries_total{outcome="dead_lettered"}', 1);
    assert.equal(sample(exhausted, 'herald_attempts_total{status_class="5xx",trigger="scheduled"}'), 6);
    assert.equal(sample(exhausted, 'herald_attempt_duration_seconds_count'), 6);
  });

  it('counts a success, a manual attempt and a cancellation', async () => {
    const good = await deliveryFor(okSub, 'tpl_ok');
    await waitForDelivery(stack.db.dataSource, good, 'succeeded');
    let text = await metricReaches('herald_deliveries_total{outcome="succeeded"}', 1);
    assert.equal(sample(text, 'herald_attempts_total{status_class="2xx",trigger="scheduled"}'), 1);

    const cancelled = await deliveryFor(failingSub, 'tpl_fail');
    await waitForDelivery(stack.db.dataSource, cancelled, 'retrying', { attempts: 2 });
    assert.equal(await stack.deliveries.cancel(await deliveryTarget(stack.db.dataSource, cancelled), 'operator test'), true);
    await waitForDelivery(stack.db.dataSource, cancelled, 'cancelled');
    text = await metricReaches('herald_deliveries_total{outcome="cancelled"}', 1);

    // A manual retry of the finished, cancelled delivery: one `manual` attempt (failing again).
    assert.equal(await stack.deliveries.retry(await deliveryTarget(stack.db.dataSource, cancelled)), 'restarted');
    text = await metricReaches('herald_attempts_total{status_class="5xx",trigger="manual"}', 1);
    assert.equal(sample(text, 'herald_deliveries_total{outcome="dead_lettered"}'), 2, 'a failed manual retry leaves the delivery dead-lettered');
  });

  it('writes JSON lines only, with ids and SDK records, and never a secret', async () => {
    const lines = worker.output().split('\n').filter(Boolean);
    assert.ok(lines.length > 0);
    const records = lines.map((l) => {
      try {
        return JSON.parse(l) as LogRecord;
      } catch {
        assert.fail(`not a JSON log line: ${l}`);
      }
    });
    for (const r of records) {
      assert.equal(r.name, 'herald-worker');
      assert.ok(!Number.isNaN(Date.parse(r.time)));
      assert.equal(typeof r.level, 'string');
    }
    const polling = records.find((r) => r.msg === 'worker polling');
    assert.ok(polling, 'start-up record');
    assert.equal(polling.taskQueue, stack.config.temporal.taskQueue);
    // The SDK's own records (here: the dead-lettered workflow's failure) come through the same logger.
    const failed = records.find((r) => r.component === 'temporal-sdk' && r.msg === 'Workflow failed');
    assert.ok(failed, `an SDK record of the failed workflow in:\n${lines.slice(0, 20).join('\n')}`);
    assert.equal(failed.level, 'warn');
    assert.match(failed.workflowId, /^delivery:evt_.*:sub_/);
    assert.equal(failed.workflowType, 'deliveryWorkflow');

    const output = worker.output();
    for (const secret of [failingSub.secret, okSub.secret, TEST_ADMIN_TOKEN, TEST_INGEST_TOKEN, TEST_SECRET_KEY, 'custom-header-value-1234']) {
      assert.ok(!output.includes(secret), `a secret leaked into the worker's logs: ${secret.slice(0, 10)}…`);
    }
  });

  it('shuts down on SIGTERM, logging it, with exit code 0', async () => {
    await worker.stop();
    assert.equal(worker.child.exitCode, 0, worker.output().slice(-2000));
    const records = worker
      .output()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogRecord);
    assert.ok(records.some((r) => r.msg === 'shutting down' && r.signal === 'SIGTERM'));
    assert.equal(records[records.length - 1].msg, 'worker stopped');
    await assert.rejects(fetch(metricsUrl), 'the metrics server is closed');
  });
});

describe("the API's /metrics", () => {
  let stack: TestStack;
  let failing: Receiver;
  before(async () => {
    stack = await startStack();
    failing = await startReceiver({ kind: 'status', status: 500 });
  });
  after(async () => {
    await failing?.close();
    await stack?.stop();
  });

  it('needs the admin token: 401 without, 403 with the ingest token', async () => {
    assert.equal((await fetch(`${stack.baseUrl}/metrics`)).status, 401);
    const ingest = await stack.api('/metrics', { headers: { authorization: `Bearer ${TEST_INGEST_TOKEN}` } });
    assert.equal(ingest.status, 403);
    assert.equal(ingest.body.error.code, 'forbidden');
  });

  it('serves the accepted-events counter, the Postgres-backed gauges and the process metrics', async () => {
    const ds = stack.db.dataSource;
    const sub = await seedSubscription(ds, testSecretBox(), { url: failing.url });
    const [e1, e2] = [await seedEvent(ds), await seedEvent(ds)];
    await stack.deliveries.startEvent(e1.id);
    await stack.deliveries.startEvent(e2.id);
    const [[dead], [waiting]] = await Promise.all([deliveriesOf(ds, e1.id), deliveriesOf(ds, e2.id)]);
    assert.equal(dead.subscriptionId, sub.id);
    await exhaustDelivery(ds, stack.deliveries, dead.id);
    await waitForDelivery(ds, waiting.id, 'retrying', { attempts: 2 });

    // The events service counts through the injectable Metrics, the one /metrics renders.
    stack.app.get(Metrics).eventAccepted();
    const res = await stack.api('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain;.*version=0\.0\.4/);
    const text = res.body as string;
    assert.equal(sample(text, 'herald_events_accepted_total'), 1);
    assert.equal(sample(text, 'herald_deliveries_waiting'), 1);
    assert.equal(sample(text, 'herald_dead_letters'), 1);
    assert.match(text, /^process_resident_memory_bytes \d/m);
    // The worker's series live on the worker's endpoint, not here.
    assert.doesNotMatch(text, /herald_attempts_total/);

    await stack.deliveries.cancel(await deliveryTarget(ds, waiting.id), 'test');
    await waitForDelivery(ds, waiting.id, 'cancelled');
    assert.equal(sample((await stack.api('/metrics')).body as string, 'herald_deliveries_waiting'), 0, 'computed again at each scrape');
  });
});

describe('counting at the activity boundary', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('reports an attempt and an outcome once, even when recordAttempt is retried; cancelling counts once', async () => {
    const attempts: AttemptRecorded[] = [];
    const outcomes: string[] = [];
    const activities = createActivities({
      ...createStores(db.dataSource),
      sender: loopbackSender(),
      secretBox: testSecretBox(),
      version: 'test',
      onAttemptRecorded: (e) => attempts.push(e),
      onDeliveryFinished: (o) => outcomes.push(o),
    });
    const sub = await seedSubscription(db.dataSource, testSecretBox(), { url: 'http://127.0.0.1:9/hook' });
    const event = await seedEvent(db.dataSource);
    const delivery = await seedDelivery(db.dataSource, event, sub);
    const now = new Date().toISOString();
    const input: RecordAttemptInput = {
      deliveryId: delivery.id,
      eventId: event.id,
      subscriptionId: sub.id,
      attemptNumber: 1,
      trigger: 'manual',
      url: sub.url,
      outcome: {
        ok: false,
        statusCode: 502,
        errorKind: 'http_status',
        error: 'HTTP 502',
        durationMs: 42,
        responseExcerpt: 'bad gateway',
        startedAt: now,
        finishedAt: now,
      },
      status: 'dead_lettered',
      nextDelayMs: null,
    };
    const first = await activities.recordAttempt(input);
    // Temporal retries record after a lost commit acknowledgement: the row exists, nothing is counted again.
    const again = await activities.recordAttempt(input);
    assert.equal(again.attemptId, first.attemptId);
    assert.deepEqual(attempts, [{ trigger: 'manual', status: 'dead_lettered', ok: false, statusCode: 502, errorKind: 'http_status', durationMs: 42 }]);
    assert.deepEqual(outcomes, ['dead_lettered']);

    // A finished delivery is not cancelled, hence not counted.
    await activities.markDeliveryCancelled({ deliveryId: delivery.id, eventId: event.id, subscriptionId: sub.id, reason: 'test' });
    assert.deepEqual(outcomes, ['dead_lettered']);
    const other = await seedDelivery(db.dataSource, await seedEvent(db.dataSource), sub);
    const ref = { deliveryId: other.id, eventId: other.eventId, subscriptionId: sub.id, reason: 'subscription disabled' };
    await activities.markDeliveryCancelled(ref);
    await activities.markDeliveryCancelled(ref);
    assert.deepEqual(outcomes, ['dead_lettered', 'cancelled']);
  });
});
