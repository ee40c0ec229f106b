/**
 * OpenTelemetry pieces alone: the OTEL_* configuration, the attempt's client span (what it
 * carries, what the receiver gets in `traceparent`), and the OTLP view of the Prometheus
 * registry (same names, labels and buckets).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type HistogramMetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConfigError, loadConfig } from '../../libs/config/config';
import { sendRequest } from '../../libs/delivery/attempt';
import type { HttpSender, OutgoingRequest } from '../../libs/delivery/http-sender';
import { createWorkerMetrics } from '../../libs/observability/metrics';
import { PrometheusRegistryProducer } from '../../libs/observability/otlp-metrics';
import { NO_TRACING, PendingTraces, producerContext, startTracing } from '../../libs/observability/tracing';

const base = {
  DATABASE_URL: 'postgres://h:h@127.0.0.1:5432/h',
  HERALD_ADMIN_TOKEN: 'admin-token-0123456789',
  HERALD_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('OTEL_* configuration', () => {
  it('starts nothing without an endpoint', () => {
    const { telemetry } = loadConfig(base);
    assert.equal(telemetry.traces, undefined);
    assert.equal(telemetry.metrics, undefined);
    assert.equal(startTracing(telemetry, 'herald-api'), NO_TRACING);
  });

  it('derives each signal from the shared endpoint by protocol, and takes a signal endpoint as given', () => {
    const proto = loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).telemetry;
    assert.equal(proto.traces?.url, 'http://collector:4318/v1/traces');
    assert.equal(proto.traces?.protocol, 'http/protobuf');
    assert.equal(proto.metrics?.url, 'http://collector:4318/v1/metrics');
    assert.equal(proto.metrics?.intervalMs, 60_000);
    const grpc = loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).telemetry;
    assert.equal(grpc.traces?.url, 'http://collector:4317');
    const own = loadConfig({ ...base, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:9/x', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }).telemetry;
    assert.deepEqual([own.traces?.url, own.traces?.protocol, own.metrics], ['http://t:9/x', 'http/json', undefined]);
  });

  it('reads sampling, resource attributes, service name, headers, and the off switches', () => {
    const t = loadConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=hooks%20team',
      OTEL_SERVICE_NAME: 'herald-eu',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc',
      OTEL_METRICS_EXPORTER: 'none',
    }).telemetry;
    assert.deepEqual([t.traces?.sampler, t.traces?.samplerRatio], ['parentbased_traceidratio', 0.25]);
    assert.deepEqual(t.resourceAttributes, { 'deployment.environment': 'prod', team: 'hooks team' });
    assert.equal(t.serviceName, 'herald-eu');
    assert.deepEqual(t.traces?.headers, { 'api-key': 'abc' });
    assert.equal(t.metrics, undefined);
    assert.equal(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).telemetry.traces, undefined);
    assert.equal(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).telemetry.traces, undefined);
  });

  it('names each bad variable', () => {
    const bad = {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '2',
      OTEL_RESOURCE_ATTRIBUTES: 'novalue',
    };
    for (const [name, value] of Object.entries(bad)) {
      assert.throws(
        () => loadConfig({ ...base, [name]: value }),
        (err: Error) => err instanceof ConfigError && err.message.includes(name),
        name,
      );
    }
  });
});

describe('the attempt span', () => {
  const sent: OutgoingRequest[] = [];
  const sender = (statusCode: number | null): HttpSender => ({
    async send(req) {
      sent.push(req);
      return statusCode === null
        ? { ok: false, statusCode: null, errorKind: 'timeout', error: 'timed out', durationMs: 5, responseExcerpt: null }
        : { ok: statusCode < 300, statusCode, errorKind: statusCode < 300 ? null : 'http_status', error: null, durationMs: 5, responseExcerpt: 'ok' };
    },
    close: () => Promise.resolve(),
  });
  const refs = { tenantId: 'acme', eventId: 'evt_1', subscriptionId: 'sub_1', deliveryId: 'dlv_1', attemptNumber: 3, trigger: 'scheduled' as const };
  const request = {
    headers: { 'webhook-id': 'dlv_1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-api-key': 'HEADER-VALUE' },
    body: '{"secret":"BODY"}',
  };

  it('is a client span under the current one, carrying ids, attempt, status and outcome; the receiver gets its context', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://unused:4318' }).telemetry, 'herald-worker', { exporter });
    const parent = tracing.tracer.startSpan('RunActivity:sendAttempt', {}, producerContext(request.headers.traceparent));
    await context.with(trace.setSpan(ROOT_CONTEXT, parent), () =>
      sendRequest(sender(503), 'https://hooks.example.com:8443/in?token=QUERY-SECRET', request, { trace: { tracer: tracing.tracer, refs } }),
    );
    parent.end();
    await tracing.flush();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'POST')!;
    assert.equal(span.parentSpanId, parent.spanContext().spanId);
    assert.equal(span.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736', "the producer's trace");
    assert.deepEqual(span.attributes, {
      'herald.tenant_id': 'acme',
      'herald.event_id': 'evt_1',
      'herald.subscription_id': 'sub_1',
      'herald.delivery_id': 'dlv_1',
      'herald.attempt': 3,
      'herald.trigger': 'scheduled',
      'http.request.method': 'POST',
      'server.address': 'hooks.example.com',
      'server.port': 8443,
      'herald.outcome': 'failed',
      'http.response.status_code': 503,
      'error.type': 'http_status',
    });
    assert.equal(span.status.code, 2, 'ERROR');
    assert.equal(sent.at(-1)!.headers.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    assert.equal(sent.at(-1)!.headers['x-api-key'], 'HEADER-VALUE', 'the other headers as prepared');
    const all = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.status, s.events]));
    for (const secret of ['HEADER-VALUE', 'BODY', 'QUERY-SECRET', '/in']) assert.ok(!all.includes(secret), secret);
    await tracing.shutdown();
  });

  it('sends the prepared headers untouched when tracing is off', async () => {
    await sendRequest(sender(null), 'https://hooks.example.com/in', request);
    assert.equal(sent.at(-1)!.headers.traceparent, request.headers.traceparent);
  });

  it('keeps ingest contexts by event id until the dispatch takes them, within a bound', () => {
    const pending = new PendingTraces(2);
    const ctx = producerContext(request.headers.traceparent);
    pending.remember('evt_a', ctx);
    pending.remember('evt_b', ctx);
    pending.remember('evt_c', ctx);
    assert.equal(pending.take('evt_a'), undefined, 'the oldest was dropped');
    assert.equal(pending.take('evt_c'), ctx);
    assert.equal(pending.take('evt_c'), undefined, 'taken once');
    assert.equal(producerContext('garbage'), ROOT_CONTEXT);
  });
});

describe('OTLP metrics from the Prometheus registry', () => {
  it('exports the same names and labels: counters as cumulative sums, histograms with the same buckets', async () => {
    const metrics = createWorkerMetrics({ defaultMetrics: false });
    metrics.attemptRecorded({ trigger: 'scheduled', statusCode: 200, durationMs: 40 });
    metrics.attemptRecorded({ trigger: 'scheduled', statusCode: 200, durationMs: 700 });
    metrics.attemptRecorded({ trigger: 'manual', statusCode: 503, durationMs: 40_000 });
    metrics.deliveryFinished('succeeded');
    const { resourceMetrics, errors } = await new PrometheusRegistryProducer(metrics.registry).collect();
    assert.deepEqual(errors, []);
    const byName = new Map(resourceMetrics.scopeMetrics[0].metrics.map((m) => [m.descriptor.name, m]));
    assert.deepEqual([...byName.keys()].sort(), ['herald_attempt_duration_seconds', 'herald_attempts_total', 'herald_deliveries_total']);

    const attempts = byName.get('herald_attempts_total') as SumMetricData;
    assert.equal(attempts.dataPointType, DataPointType.SUM);
    assert.equal(attempts.isMonotonic, true);
    assert.equal(attempts.aggregationTemporality, AggregationTemporality.CUMULATIVE);
    assert.deepEqual(
      attempts.dataPoints.map((p) => [p.attributes, p.value]),
      [
        [{ status_class: '2xx', trigger: 'scheduled' }, 2],
        [{ status_class: '5xx', trigger: 'manual' }, 1],
      ],
    );
    const deliveries = byName.get('herald_deliveries_total') as SumMetricData;
    assert.deepEqual(deliveries.dataPoints.find((p) => p.attributes.outcome === 'succeeded')?.value, 1);

    const duration = byName.get('herald_attempt_duration_seconds') as HistogramMetricData;
    const [point] = duration.dataPoints;
    assert.deepEqual(point.value.buckets.boundaries, [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30]);
    // 0.04 s → (0.025, 0.05]; 0.7 s → (0.5, 1]; 40 s → above 30.
    assert.deepEqual(point.value.buckets.counts, [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    assert.equal(point.value.count, 3);
    assert.ok(Math.abs((point.value.sum ?? 0) - 40.74) < 1e-9);
  });
});
