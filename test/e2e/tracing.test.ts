/**
 * Traces in a real backend: the API and the worker export OTLP (http/protobuf) to Jaeger v2
 * (built from its Go module, scripts/install-jaeger.sh), and the span tree of an event is read
 * back through Jaeger's query API for a delivered event, a retried one and a dead-lettered one.
 * The worker keeps the smallest cache it accepts (two runs), so the event workflow, its delivery
 * workflows and the other tests' runs keep evicting each other, and the traced histories are
 * replayed explicitly: the trace context lives in the history's headers, so a retry hours later
 * on a worker that evicted the run long ago still lands in the event's trace.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startJaeger, type RunningJaeger } from '../../libs/devstack/jaeger';
import { Attempt } from '../../libs/db/entities/attempt.entity';
import { MAX_ATTEMPTS } from '../../libs/domain/retry-schedule';
import { createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { deliveriesOf, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { eventually, workflowBundle } from '../support/engine';
import { Worker } from '@temporalio/worker';
import { NO_TRACING, startTracing } from '../../libs/observability/tracing';
import { testConfig } from '../support/config';
import { deliveryWorkflowId, eventWorkflowId } from '../../libs/temporal/names';
import { tracingWorkerOptions } from '../../libs/temporal/tracing';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string; traceID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A span with its service and tags as an object, and its parent's id. */
interface Span {
  id: string;
  name: string;
  service: string;
  parent: string | undefined;
  tags: Record<string, unknown>;
}

const producerTraceparent = (): { header: string; traceId: string; parentId: string } => {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
};

// A cold cache builds Jaeger first (scripts/install-jaeger.sh, started in the background by `npm test`).
const JAEGER_BUILD_MS = 45 * 60_000;

describe('traces exported to Jaeger', { timeout: JAEGER_BUILD_MS + 300_000 }, () => {
  let jaeger: RunningJaeger;
  let stack: TestStack;
  const receivers: Receiver[] = [];

  before(
    async () => {
      jaeger = await startJaeger();
      stack = await startStack({
        OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=e2e',
        HERALD_MAX_CACHED_WORKFLOWS: '2',
      });
    },
    { timeout: JAEGER_BUILD_MS + 60_000 },
  );
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
    await jaeger?.stop();
  });

  const receiver = async (...statuses: number[]): Promise<Receiver> => {
    const r = await startReceiver(
      statuses.length === 1 ? { kind: 'status', status: statuses[0] } : { kind: 'sequence', steps: statuses.map((status) => ({ kind: 'status', status })) },
    );
    receivers.push(r);
    return r;
  };

  async function jaegerTrace(traceId: string): Promise<JaegerTrace | undefined> {
    const res = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
    if (res.status !== 200) return undefined;
    return ((await res.json()) as { data: JaegerTrace[] }).data[0];
  }

  const spansOf = (trace: JaegerTrace): Span[] =>
    trace.spans.map((s) => ({
      id: s.spanID,
      name: s.operationName,
      service: trace.processes[s.processID].serviceName,
      parent: s.references.find((r) => r.refType === 'CHILD_OF')?.spanID,
      tags: Object.fromEntries(s.tags.map((t) => [t.key, t.value])),
    }));

  /** The trace once `done` holds for its spans (spans arrive in batches, the workflow's last). */
  const traceWhen = (traceId: string, done: (spans: Span[]) => boolean, what: string): Promise<Span[]> =>
    eventually(
      async () => {
        const trace = await jaegerTrace(traceId);
        const spans = trace && spansOf(trace);
        return spans && done(spans) ? spans : undefined;
      },
      60_000,
      what,
    );

  const one = (spans: Span[], name: string): Span => {
    const found = spans.filter((s) => s.name === name);
    assert.equal(found.length, 1, `one ${name} span in ${spans.map((s) => s.name).join(', ')}`);
    return found[0];
  };
  /** The chain of span names from `span` up to the root. */
  const ancestry = (spans: Span[], span: Span): string[] => {
    const byId = new Map(spans.map((s) => [s.id, s]));
    const chain: string[] = [];
    for (let s: Span | undefined = span; s; s = s.parent ? byId.get(s.parent) : undefined) chain.push(s.name);
    return chain;
  };
  const attempts = (spans: Span[]): Span[] =>
    spans.filter((s) => s.name === 'POST').sort((a, b) => Number(a.tags['herald.attempt']) - Number(b.tags['herald.attempt']));

  it('exports over every OTLP protocol Herald accepts: http/protobuf, http/json and grpc', async () => {
    const exported: string[] = [];
    for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const) {
      const env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? jaeger.otlpGrpcUrl : jaeger.otlpHttpUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_SERVICE_NAME: `herald-protocol-${protocol.replace('/', '-')}`,
      };
      const tracing = startTracing(testConfig(env).telemetry, 'herald-api');
      const span = tracing.tracer.startSpan('protocol-check', { attributes: { 'herald.event_id': `evt_${protocol}` } });
      span.end();
      await tracing.shutdown();
      const traceId = span.spanContext().traceId;
      const trace = await eventually(() => jaegerTrace(traceId), 30_000, `the span exported over ${protocol}`);
      const [only] = spansOf(trace);
      assert.deepEqual([only.name, only.service, only.tags['herald.event_id']], ['protocol-check', env.OTEL_SERVICE_NAME, `evt_${protocol}`]);
      exported.push(protocol);
    }
    assert.deepEqual(exported, ['http/protobuf', 'http/json', 'grpc']);
  });

  it("continues the producer's trace: ingest → dispatch → event workflow → the attempt, whose context the receiver gets", async () => {
    const ok = await receiver(200);
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: ok.url, templateIds: [tpl] });
    const producer = producerTraceparent();
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }), { traceparent: producer.header });
    const [delivery] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded', { timeoutMs: 60_000 });

    const spans = await traceWhen(
      producer.traceId,
      (s) => s.some((x) => x.name === 'RunWorkflow:eventWorkflow') && attempts(s).length === 1,
      'the delivered trace',
    );
    const ingest = one(spans, 'POST /v1/events');
    assert.equal(ingest.service, 'herald-api');
    assert.equal(ingest.parent, producer.parentId, "the ingest span is a child of the producer's span");
    assert.equal(ingest.tags['herald.event_id'], eventId);
    assert.equal(ingest.tags['herald.tenant_id'], 'default');
    assert.equal(ingest.tags['http.response.status_code'], 202);

    const [attempt] = attempts(spans);
    assert.equal(attempt.service, 'herald-worker');
    // The match and the first attempt are one local activity (matchAndAttempt): the attempt is its child.
    assert.deepEqual(ancestry(spans, attempt), [
      'POST',
      'RunActivity:matchAndAttempt',
      'StartActivity:matchAndAttempt',
      'RunWorkflow:eventWorkflow',
      'StartWorkflow:eventWorkflow',
      'dispatch',
      'POST /v1/events',
    ]);
    assert.equal(one(spans, 'dispatch').tags['herald.event_id'], eventId);
    assert.ok(
      !spans.some((s) => s.name === 'RunActivity:matchSubscriptions' || s.name === 'RunActivity:attemptDeliveries'),
      'no separate match or attempt activity in the event workflow',
    );
    assert.deepEqual(
      {
        tenant: attempt.tags['herald.tenant_id'],
        event: attempt.tags['herald.event_id'],
        delivery: attempt.tags['herald.delivery_id'],
        subscription: attempt.tags['herald.subscription_id'],
        number: attempt.tags['herald.attempt'],
        status: attempt.tags['http.response.status_code'],
        outcome: attempt.tags['herald.outcome'],
      },
      { tenant: 'default', event: eventId, delivery: delivery.id, subscription: sub.id, number: 1, status: 200, outcome: 'succeeded' },
    );
    // The receiver got the attempt span's context, in the producer's trace.
    assert.equal(ok.requests[0].headers.traceparent, `00-${producer.traceId}-${attempt.id}-01`);
  });

  it('keeps a retried delivery in the same trace: attempt 2 runs in the delivery workflow, a child of the event workflow', async () => {
    const flaky = await receiver(503, 200);
    const tpl = uniqueTemplate();
    await createSubscription(stack, { url: flaky.url, templateIds: [tpl] });
    const producer = producerTraceparent();
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }), { traceparent: producer.header });
    const [delivery] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded', { timeoutMs: 60_000 });

    const spans = await traceWhen(
      producer.traceId,
      (s) => attempts(s).length === 2 && s.some((x) => x.name === 'RunWorkflow:deliveryWorkflow'),
      'the retried trace',
    );
    const [first, second] = attempts(spans);
    assert.deepEqual(
      [first, second].map((a) => [a.tags['herald.attempt'], a.tags['http.response.status_code'], a.tags['herald.outcome'], a.tags['herald.delivery_id']]),
      [
        [1, 503, 'failed', delivery.id],
        [2, 200, 'succeeded', delivery.id],
      ],
    );
    assert.equal(first.tags['otel.status_code'], 'ERROR');
    const secondChain = ancestry(spans, second);
    assert.deepEqual(secondChain.slice(0, 4), ['POST', 'RunActivity:attemptDeliveries', 'StartActivity:attemptDeliveries', 'RunWorkflow:deliveryWorkflow']);
    assert.ok(secondChain.includes('RunWorkflow:eventWorkflow') && secondChain.at(-1) === 'POST /v1/events', secondChain.join(' ← '));
    assert.deepEqual(
      flaky.requests.map((r) => r.headers.traceparent),
      [first, second].map((a) => `00-${producer.traceId}-${a.id}-01`),
      'each attempt sent its own span as the parent',
    );

    // Traced histories (trace context in every start and schedule header) replay without nondeterminism.
    for (const workflowId of [eventWorkflowId(eventId), deliveryWorkflowId(eventId, delivery.subscriptionId)]) {
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: 'traced', ...tracingWorkerOptions(NO_TRACING) }, history, workflowId);
    }
  });

  it("keeps a producer's unsampled trace unsampled: the receiver gets it with flag 00, and no span is exported", async () => {
    const ok = await receiver(200);
    const tpl = uniqueTemplate();
    await createSubscription(stack, { url: ok.url, templateIds: [tpl] });
    const producer = producerTraceparent();
    const unsampled = producer.header.replace(/-01$/, '-00');
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }), { traceparent: unsampled });
    const [delivery] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded', { timeoutMs: 60_000 });
    await stack.client.workflow.getHandle(eventWorkflowId(eventId)).result();
    // The attempt's (non-recording) span is the receiver's parent, in the producer's trace, unsampled.
    const sent = ok.requests[0].headers.traceparent as string;
    assert.match(sent, new RegExp(`^00-${producer.traceId}-[0-9a-f]{16}-00$`));
    assert.notEqual(sent, unsampled, 'the attempt sent its own span id');

    // A sampled event after it: once its workflow's spans are in Jaeger, the unsampled run's
    // would be too (one batch processor per process, exported in order) — there are none.
    const after = producerTraceparent();
    await postEvent(stack, imageCreated({ templateId: tpl }), { traceparent: after.header });
    await traceWhen(after.traceId, (s) => s.some((x) => x.name === 'RunWorkflow:eventWorkflow') && attempts(s).length === 1, 'the sampled trace after it');
    assert.equal(await jaegerTrace(producer.traceId), undefined, 'no span of the unsampled trace was exported');
  });

  it('traces a dead-lettered delivery: six failed attempts in one trace, the delivery workflow span in error', async () => {
    const broken = await receiver(500);
    const tpl = uniqueTemplate();
    await createSubscription(stack, { url: broken.url, templateIds: [tpl] });
    // No traceparent: the ingest request starts the event's trace, found by its event id.
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }));
    const [delivery] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    await exhaustDelivery(stack.db.dataSource, stack.deliveries, delivery.id);

    const found = await eventually(
      async () => {
        const tags = encodeURIComponent(JSON.stringify({ 'herald.event_id': eventId }));
        const res = await fetch(`${jaeger.queryUrl}/api/traces?service=herald-api&tags=${tags}&lookback=1h&limit=5`);
        const { data } = (await res.json()) as { data: JaegerTrace[] | null };
        return data?.length ? data : undefined;
      },
      30_000,
      'the ingest span, searched by herald.event_id',
    );
    assert.equal(found.length, 1, 'one trace for the event');
    const spans = await traceWhen(
      found[0].traceID,
      (s) => attempts(s).length === MAX_ATTEMPTS && s.some((x) => x.name === 'RunWorkflow:deliveryWorkflow'),
      'the dead-lettered trace',
    );
    const tried = attempts(spans);
    assert.deepEqual(
      tried.map((a) => a.tags['herald.attempt']),
      [1, 2, 3, 4, 5, 6],
    );
    // Each span says what its recorded attempt says. The receiver answers 500 every time; on a
    // loaded machine an attempt can still end without a response (its local activity cancelled
    // with an evicted run), and then the span carries the same error kind as the row, no status.
    const recorded = await stack.db.dataSource.getRepository(Attempt).find({ where: { deliveryId: delivery.id }, order: { number: 'ASC' } });
    assert.deepEqual(
      tried.map((a) => [a.tags['herald.attempt'], a.tags['http.response.status_code'] ?? null, a.tags['error.type'] ?? null]),
      recorded.map((r) => [r.number, r.statusCode, r.errorKind]),
      'the attempt spans agree with the recorded attempts',
    );
    assert.ok(
      recorded.filter((r) => r.statusCode === 500).length >= MAX_ATTEMPTS - 1,
      JSON.stringify(recorded.map((r) => [r.statusCode, r.errorKind, r.errorMessage])),
    );
    for (const a of tried) {
      assert.equal(a.tags['herald.outcome'], 'failed');
      assert.equal(ancestry(spans, a).at(-1), 'POST /v1/events', 'every attempt descends from the ingest span');
    }
    const run = one(spans, 'RunWorkflow:deliveryWorkflow');
    assert.equal(run.tags['otel.status_code'], 'ERROR', 'a dead letter ends the delivery workflow as failed');
    assert.equal(run.tags.workflowId, `delivery:${eventId}:${delivery.subscriptionId}`);
    // The resource attributes of OTEL_RESOURCE_ATTRIBUTES reach Jaeger's process tags.
    const trace = await jaegerTrace(found[0].traceID);
    const proc = Object.values(trace!.processes as Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>);
    assert.deepEqual(proc.map((p) => p.serviceName).sort(), ['herald-api', 'herald-worker']);
    assert.ok(proc.every((p) => p.tags.some((t) => t.key === 'deployment.environment' && t.value === 'e2e')));
  });
});
