import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { NestPinoLogger } from '../../apps/api/src/common/logger';
import { createStores } from '../../libs/db/repositories';
import { createLogger, logDestination, REDACTED, temporalLogger, type LogLevel } from '../../libs/observability/logger';
import { createApiMetrics, createWorkerMetrics, serveMetrics, statusClass } from '../../libs/observability/metrics';

/** A parsed JSON log line; its fields are whatever the code logged. */

type LogRecord = Record<string, any>;

/** A logger writing into an array of parsed JSON records. */
function capture(level: LogLevel = 'trace'): { records: LogRecord[]; logger: ReturnType<typeof createLogger> } {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return { records, logger: createLogger('test', level, sink) };
}

/** The value of the metric line `name{labels} value`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('structured logs', () => {
  it('writes one JSON record per line with an ISO time, a level label and the component', () => {
    const { records, logger } = capture('info');
    logger.info({ deliveryId: 'dlv_01', eventId: 'evt_01', subscriptionId: 'sub_01', attempt: 2 }, 'attempt recorded');
    logger.debug('below the level');
    assert.equal(records.length, 1);
    const [r] = records;
    assert.equal(r.level, 'info');
    assert.equal(r.name, 'herald-test');
    assert.equal(r.msg, 'attempt recorded');
    assert.ok(!Number.isNaN(Date.parse(r.time)) && /T.*Z$/.test(r.time), `ISO time, got ${r.time}`);
    // Ids are what logs are for: they stay readable.
    assert.equal(r.deliveryId, 'dlv_01');
    assert.equal(r.eventId, 'evt_01');
    assert.equal(r.subscriptionId, 'sub_01');
  });

  it('redacts secrets, signatures, tokens, header values and payload bodies at any usual depth', () => {
    const { records, logger } = capture();
    logger.warn(
      {
        subscriptionId: 'sub_01',
        secret: 'whsec_top',
        subscription: { id: 'sub_01', secret: 'whsec_nested', headers: { 'x-customer-key': 'cust-secret-value' }, userDefined: { note: 'private' } },
        request: {
          url: 'https://receiver.example/hook',
          headers: { authorization: 'Bearer admin-token-value', 'webhook-signature': 'v1,c2lnbmF0dXJl', 'content-type': 'application/json' },
          body: '{"image_url":"https://cdn/1.png"}',
        },
        'webhook-signature': 'v1,dG9w',
        authorization: 'Bearer top-level',
        payload: { image_url: 'https://cdn/2.png' },
        deep: { deeper: { secret: 'whsec_deep' } },
        customHeaders: { 'x-api-key': 'k' },
      },
      'something about a subscription',
    );
    const line = JSON.stringify(records[0]);
    for (const leaked of [
      'whsec_top',
      'whsec_nested',
      'whsec_deep',
      'cust-secret-value',
      'admin-token-value',
      'c2lnbmF0dXJl',
      'dG9w',
      'top-level',
      'cdn/1.png',
      'cdn/2.png',
      'private',
      '"k"',
    ]) {
      assert.ok(!line.includes(leaked), `${leaked} leaked into ${line}`);
    }
    const r = records[0];
    assert.equal(r.secret, REDACTED);
    assert.equal(r.subscription.secret, REDACTED);
    assert.equal(r.subscription.headers['x-customer-key'], REDACTED, 'header names stay, values go');
    assert.equal(r.request.headers.authorization, REDACTED);
    assert.equal(r.request.headers['webhook-signature'], REDACTED);
    assert.equal(r.request.body, REDACTED);
    assert.equal(r['webhook-signature'], REDACTED);
    assert.equal(r.payload, REDACTED);
    assert.equal(r.request.url, 'https://receiver.example/hook');
    assert.equal(r.subscription.id, 'sub_01');
    assert.equal(r.subscriptionId, 'sub_01');
  });

  it('serializes errors with their type, message and stack', () => {
    const { records, logger } = capture();
    logger.error({ err: new TypeError('boom') }, 'failed');
    assert.equal(records[0].err.type, 'TypeError');
    assert.equal(records[0].err.message, 'boom');
    assert.match(records[0].err.stack, /TypeError: boom/);
  });

  it('adapts the Temporal SDK logger: levels map, metadata is kept, symbol keys are dropped', () => {
    const { records, logger } = capture();
    const sdk = temporalLogger(logger);
    sdk.info('Workflow started', { workflowId: 'delivery:evt_1:sub_1', workflowType: 'deliveryWorkflow', [Symbol('ts')]: 1n });
    sdk.log('WARN', 'Activity failed', { activityType: 'recordAttempt', sealedRequest: 'sealed-blob' });
    sdk.trace('tick');
    assert.deepEqual(
      records.map((r) => r.level),
      ['info', 'warn', 'trace'],
    );
    assert.equal(records[0].component, 'temporal-sdk');
    assert.equal(records[0].workflowId, 'delivery:evt_1:sub_1');
    assert.equal(records[0].msg, 'Workflow started');
    assert.equal(records[1].activityType, 'recordAttempt');
    assert.equal(records[1].sealedRequest, REDACTED);
  });

  it('adapts Nest: context becomes a field, framework chatter drops to debug, error stacks are kept', () => {
    const { records, logger } = capture('info');
    const nest = new NestPinoLogger(logger);
    nest.log('Mapped {/v1/events, POST} route', 'RouterExplorer');
    nest.log('event accepted', 'EventsService');
    nest.error('Error: boom\n    at somewhere (file.js:1:1)', 'ErrorFilter');
    nest.warn({ deliveryId: 'dlv_1' }, 'DeliveriesService');
    assert.deepEqual(
      records.map((r) => [r.level, r.context]),
      [
        ['info', 'EventsService'],
        ['error', 'ErrorFilter'],
        ['warn', 'DeliveriesService'],
      ],
    );
    assert.match(records[1].msg, /boom/);
    assert.deepEqual(records[2].detail, { deliveryId: 'dlv_1' });
  });
});

describe('log format', () => {
  /** Runs `fn` with process.stdout looking like a terminal, or not. */
  function withTty<T>(tty: boolean, fn: () => T): T {
    const had = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: tty, configurable: true });
    try {
      return fn();
    } finally {
      if (had) Object.defineProperty(process.stdout, 'isTTY', had);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
  }

  it('is JSON when stdout is not a terminal, human-readable when it is, unless forced', () => {
    assert.equal(
      withTty(false, () => logDestination('auto')),
      undefined,
      'piped: JSON (pino writes to stdout itself)',
    );
    assert.notEqual(
      withTty(true, () => logDestination('auto')),
      undefined,
      'terminal: pretty',
    );
    assert.equal(
      withTty(true, () => logDestination('json')),
      undefined,
      'json forced in a terminal',
    );
    assert.notEqual(
      withTty(false, () => logDestination('pretty')),
      undefined,
      'pretty forced when piped',
    );
  });

  it('prints one readable line per record, with the level, the component, the message and the fields, redacted alike', () => {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    const logger = createLogger('worker', 'info', logDestination('pretty', out));
    logger.info({ taskQueue: 'herald-deliveries', secret: 'whsec_do-not-print', headers: { 'x-api-key': 'also-secret' } }, 'worker polling');
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 1, text);
    assert.match(lines[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(herald-worker\): worker polling \{.*"taskQueue":"herald-deliveries"/);
    assert.ok(!text.includes('whsec_do-not-print') && !text.includes('also-secret'), text);
    assert.ok(text.includes(REDACTED));
    assert.ok(!text.trim().startsWith('{'), 'not JSON');
  });
});

describe('Prometheus metrics', () => {
  it('classes status codes; no status at all is an error', () => {
    assert.deepEqual([200, 204, 301, 404, 429, 500, 503, null, 0, 99].map(statusClass), [
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
      'error',
      'error',
      'error',
    ]);
  });

  it('counts attempts by status class and trigger, observes their duration, counts delivery outcomes', async () => {
    const m = createWorkerMetrics({ defaultMetrics: false });
    m.attemptRecorded({ trigger: 'scheduled', statusCode: 500, durationMs: 120 });
    m.attemptRecorded({ trigger: 'scheduled', statusCode: 503, durationMs: 80 });
    m.attemptRecorded({ trigger: 'manual', statusCode: 200, durationMs: 30 });
    m.attemptRecorded({ trigger: 'scheduled', statusCode: null, durationMs: 30_000 });
    m.deliveryFinished('succeeded');
    m.deliveryFinished('dead_lettered');
    m.deliveryFinished('dead_lettered');
    const text = await m.render();
    assert.equal(sample(text, 'herald_attempts_total{status_class="5xx",trigger="scheduled"}'), 2);
    assert.equal(sample(text, 'herald_attempts_total{status_class="2xx",trigger="manual"}'), 1);
    assert.equal(sample(text, 'herald_attempts_total{status_class="error",trigger="scheduled"}'), 1);
    assert.equal(sample(text, 'herald_attempt_duration_seconds_count'), 4);
    assert.equal(sample(text, 'herald_attempt_duration_seconds_bucket{le="0.05"}'), 1);
    assert.equal(sample(text, 'herald_attempt_duration_seconds_bucket{le="0.1"}'), 2);
    assert.equal(sample(text, 'herald_attempt_duration_seconds_bucket{le="+Inf"}'), 4);
    assert.equal(sample(text, 'herald_attempt_duration_seconds_sum'), 30.23);
    assert.equal(sample(text, 'herald_deliveries_total{outcome="succeeded"}'), 1);
    assert.equal(sample(text, 'herald_deliveries_total{outcome="dead_lettered"}'), 2);
    assert.equal(sample(text, 'herald_deliveries_total{outcome="cancelled"}'), 0, 'every outcome is exported from the start');
  });

  it('keeps one registry per process object, so several can live side by side, each with Node process metrics', async () => {
    const a = createWorkerMetrics();
    const b = createWorkerMetrics();
    a.deliveryFinished('cancelled');
    assert.equal(sample(await a.render(), 'herald_deliveries_total{outcome="cancelled"}'), 1);
    assert.equal(sample(await b.render(), 'herald_deliveries_total{outcome="cancelled"}'), 0);
    assert.match(await a.render(), /^process_cpu_user_seconds_total /m);
    assert.match(await b.render(), /^nodejs_heap_size_used_bytes /m);
  });

  it('computes the API gauges from Postgres at scrape time, and reads NaN when it cannot', async () => {
    const queries: string[] = [];
    let down = false;
    const errors: unknown[] = [];
    const m = createApiMetrics({
      defaultMetrics: false,
      onError: (err) => errors.push(err),
      // The real store verbs, over a fake database handle.
      stores: createStores({
        manager: {
          async query(sql: string) {
            queries.push(sql);
            if (down) throw new Error('connect ECONNREFUSED');
            if (sql.includes('GROUP BY tenant_id')) return [{ tenant_id: 'burst', undispatched: 10, waiting: 50 }];
            if (sql.includes('AS undispatched')) return [{ undispatched: 20, waiting: 60 }];
            if (sql.includes(`status = 'pending'`)) return [{ n: 4 }];
            return [{ count: sql.includes('dead_letters') ? '3' : '7' }];
          },
        },
      } as unknown as DataSource),
    });
    m.eventAccepted();
    m.eventAccepted();
    let text = await m.render();
    assert.equal(sample(text, 'herald_events_accepted_total'), 2);
    assert.equal(sample(text, 'herald_deliveries_waiting'), 7);
    assert.equal(sample(text, 'herald_dead_letters'), 3);
    assert.equal(sample(text, 'herald_backlog{stage="events_not_dispatched"}'), 20);
    assert.equal(sample(text, 'herald_backlog{stage="events_waiting_for_worker"}'), 60);
    assert.equal(sample(text, 'herald_backlog{stage="deliveries_waiting_for_worker"}'), 4);
    assert.equal(sample(text, 'herald_backlog_largest_tenant_share'), 0.75, 'one tenant holds 60 of the 80 events waiting');
    assert.doesNotMatch(text, /tenant=/, 'no tenant label');
    assert.ok(queries.some((q) => /FROM deliveries WHERE status = 'retrying'/.test(q)));
    down = true;
    text = await m.render();
    assert.equal(sample(text, 'herald_events_accepted_total'), 2, 'the scrape still succeeds');
    assert.ok(Number.isNaN(sample(text, 'herald_deliveries_waiting')));
    assert.ok(Number.isNaN(sample(text, 'herald_backlog{stage="events_waiting_for_worker"}')));
    assert.ok(Number.isNaN(sample(text, 'herald_backlog_largest_tenant_share')));
    assert.equal(errors.length, 4);
  });

  it('serves GET /metrics over plain HTTP (the worker endpoint), 404 elsewhere', async () => {
    const m = createWorkerMetrics({ defaultMetrics: false });
    m.deliveryFinished('succeeded');
    const server = await serveMetrics(m, { port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.equal(sample(await res.text(), 'herald_deliveries_total{outcome="succeeded"}'), 1);
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
