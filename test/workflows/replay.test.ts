/**
 * In-flight deliveries survive an upgrade: every history under fixtures/histories — deliveries
 * and event fan-outs recorded from the engine as it was (waiting on each retry timer, mid-attempt,
 * dead-lettered, manually retried, cancelled, signalled) — replays against the current workflows
 * bundle without a nondeterminism error.
 *
 * This test guards every later engine change. A change to workflows/ that alters the command
 * sequence for a history that already exists (another activity, timer, marker, child or search-
 * attribute upsert, or the same ones in another order or with another activity type) must be
 * version-gated with `patched()` from @temporalio/workflow, keeping the old path for old
 * histories — and the fixtures are kept, never re-recorded over: they are what production's
 * in-flight workflows look like. Record a new engine's histories beside them
 * (fixtures/record-histories.ts, `--suffix`); this test replays every file there.
 *
 * The replay worker is the real worker with tracing on: the bundle carries the workflow tracing
 * interceptors (libs/temporal/workflow-bundle.ts, always), and the worker gets the activity
 * interceptor and the span sink of an enabled Tracing (libs/temporal/tracing.ts). The `.v7`
 * fixtures were recorded with tracing on under the SDK's workflow interceptors
 * (`@temporalio/interceptors-opentelemetry`, before workflows/tracing.interceptors.ts made the
 * spans itself): `_tracer-data` in their starts, activities, child and signal.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { DeterminismViolationError, type WorkflowInfo } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { startTracing, type Tracing } from '../../libs/observability/tracing';
import { tracingWorkerOptions } from '../../libs/temporal/tracing';
import { loadWorkflowBundle, workflowBundleOptions } from '../../libs/temporal/workflow-bundle';
import { workflowBundle } from '../support/engine';
import { historyFromJSON } from '../support/history-json';

/** The source tree's fixtures (tsc does not copy JSON into dist). */
const DIR = join(__dirname, '..', '..', '..', 'test', 'workflows', 'fixtures', 'histories');

/** Recorded from engine 0.1.0 (issue 14, before its engine changes); they must stay. */
const BASELINE = [
  'delivery-attempt-interrupted',
  'delivery-cancel-signal-during-wait',
  'delivery-cancelled-subscription-disabled',
  'delivery-child-succeeded',
  'delivery-dead-lettered',
  'delivery-manual-retry-failed',
  'delivery-manual-retry-succeeded',
  'delivery-mid-attempt-1',
  'delivery-mid-attempt-3',
  'delivery-prepare-retrying',
  'delivery-retry-now-during-60min-wait',
  'delivery-retry-now-during-attempt',
  'delivery-succeeded-first-try',
  'delivery-waiting-15min',
  'delivery-waiting-1min',
  'delivery-waiting-5min',
  'delivery-waiting-60min',
  'event-fan-out',
  'event-no-match',
  'purge-dead-letters',
];

/**
 * Recorded with tracing on under the SDK's workflow interceptors (engine v7, before the workflow
 * spans became Herald's own records): a run started then replays on the current interceptors.
 */
const TRACED = ['delivery-traced-retry-now.v7', 'delivery-traced-succeeded-after-1min.v7', 'delivery-traced-waiting-1min.v7', 'event-traced.v7'];

/** The events whose header carries a trace context: starts, scheduled activities, started children, signals. */
function tracedEvents(json: any): string[] {
  return (json.events as any[])
    .filter((e) => {
      const a =
        e.workflowExecutionStartedEventAttributes ??
        e.activityTaskScheduledEventAttributes ??
        e.startChildWorkflowExecutionInitiatedEventAttributes ??
        e.workflowExecutionSignaledEventAttributes;
      return a?.header?.fields?.['_tracer-data'] !== undefined;
    })
    .map((e) => e.eventType as string);
}

/** Tracing on, as the worker runs it with an OTLP endpoint; spans stay in memory. */
const tracingOn = (spans: InMemorySpanExporter): Tracing =>
  startTracing(
    {
      resourceAttributes: {},
      traces: { url: 'http://127.0.0.1:1/v1/traces', protocol: 'http/protobuf', headers: {}, sampler: 'parentbased_always_on', samplerRatio: 1 },
    },
    'herald-worker',
    { exporter: spans },
  );

const fixtures = (): { name: string; json: any }[] =>
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), json: JSON.parse(readFileSync(join(DIR, f), 'utf8')) }));

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

async function replayAll(bundle: WorkflowBundle, histories: { name: string; json: any }[], tracing: Tracing): Promise<Map<string, Error | undefined>> {
  const results = new Map<string, Error | undefined>();
  const replays = Worker.runReplayHistories(
    { workflowBundle: bundle, replayName: 'herald-fixtures', ...tracingWorkerOptions(tracing) },
    histories.map((h) => ({ workflowId: h.name, history: historyFromJSON(h.json) })),
  );
  for await (const r of replays) results.set(r.workflowId, r.error);
  return results;
}

describe('replay of recorded histories against the current workflows', () => {
  let all: { name: string; json: any }[];
  const spans = new InMemorySpanExporter();
  let tracing: Tracing;
  before(() => {
    all = fixtures();
    tracing = tracingOn(spans);
  });
  after(() => tracing.shutdown());

  it('keeps every baseline fixture', () => {
    const names = new Set(all.map((f) => f.name));
    assert.deepEqual(
      BASELINE.filter((n) => !names.has(n)),
      [],
      'baseline fixtures are kept: a workflow change is version-gated, not re-recorded',
    );
  });

  it('keeps the traced fixtures, each with _tracer-data in its start (and in its activities, child and signal)', () => {
    const byName = new Map(all.map((f) => [f.name, f.json]));
    assert.deepEqual(
      TRACED.filter((n) => !byName.has(n)),
      [],
      'traced fixtures are kept',
    );
    const headers = Object.fromEntries(TRACED.map((n) => [n, tracedEvents(byName.get(n))]));
    for (const [name, events] of Object.entries(headers)) assert.equal(events[0], 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', `${name}: a traced start`);
    assert.ok(headers['event-traced.v7'].includes('EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED'), 'a traced child');
    assert.ok(headers['delivery-traced-retry-now.v7'].includes('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED'), 'a traced activity');
    assert.ok(headers['delivery-traced-retry-now.v7'].includes('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED'), 'a traced signal');
    // What they replay on: the bundle the worker loads, built with Herald's workflow tracing interceptors.
    assert.ok(Object.keys(loadWorkflowBundle().stamp.files).includes('dist/workflows/tracing.interceptors.js'), 'the bundle holds the tracing interceptors');
  });

  it('holds no secrets: no signing secret or signature header, in the JSON or in any decoded payload', () => {
    for (const { name, json } of all) {
      const texts = [JSON.stringify(json)];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            if (k === 'data' && typeof x === 'string') texts.push(Buffer.from(x, 'base64').toString('utf8'));
            walk(x);
          }
      };
      walk(json);
      for (const t of texts) {
        for (const bad of ['whsec_', 'canary-header-value', 'canary-user-defined']) assert.ok(!t.includes(bad), `${name} contains ${bad}`);
        // An attempt's record of what it sent names webhook-signature with its value masked
        // (libs/delivery/sent-request.ts): a signature in clear must never be there.
        assert.doesNotMatch(t, /v1,[A-Za-z0-9+/]{40}/, `${name} contains a signature in clear`);
        if (t.includes('webhook-signature')) assert.match(t, /"webhook-signature\\?":\\?"v1,••••/, `${name}: webhook-signature only masked`);
      }
    }
  });

  it('replays every fixture without nondeterminism', { timeout: 120_000 }, async () => {
    const results = await replayAll(await workflowBundle(), all, tracing);
    assert.deepEqual(
      [...results.keys()].sort(),
      all.map((f) => f.name),
      'a replay result per fixture',
    );
    const failures = [...results].filter(([, err]) => err).map(([name, err]) => `${name}: ${err!.name}: ${err!.message}`);
    assert.deepEqual(failures, [], `histories the current workflows cannot replay; version-gate the change with patched():\n${failures.join('\n')}`);
    await tracing.flush();
    assert.deepEqual(
      spans.getFinishedSpans().map((s) => s.name),
      [],
      'a replay exports no workflow span (the sink is not called during replay)',
    );
  });

  it(
    'makes the recorded trace headers: the activities and the child of a traced run carry the span ids the SDK interceptors drew',
    { timeout: 120_000 },
    async () => {
      const captured: Record<string, string[]> = {};
      const bundle = await bundleWorkflowCode({
        ...workflowBundleOptions(),
        workflowInterceptorModules: [...workflowBundleOptions().workflowInterceptorModules, require.resolve('./fixtures/trace-capture.interceptors')],
        logger: quiet,
      });
      const traced = all.filter((f) => TRACED.includes(f.name));
      const replays = Worker.runReplayHistories(
        {
          workflowBundle: bundle,
          replayName: 'herald-trace-headers',
          ...tracingWorkerOptions(tracing),
          sinks: {
            ...tracingWorkerOptions(tracing).sinks,
            capture: {
              header: {
                fn: (info: WorkflowInfo, ...args: unknown[]) => {
                  (captured[info.workflowId] ??= []).push(args.map(String).join(' '));
                },
                callDuringReplay: true,
              },
            },
          },
        },
        traced.map((h) => ({ workflowId: h.name, history: historyFromJSON(h.json) })),
      );
      for await (const r of replays) assert.equal(r.error, undefined, `${r.workflowId} replays`);
      const recorded = (json: any): string[] =>
        (json.events as any[]).flatMap((e) => {
          const a = e.activityTaskScheduledEventAttributes ?? e.startChildWorkflowExecutionInitiatedEventAttributes;
          if (!a) return [];
          const kind = e.activityTaskScheduledEventAttributes ? 'activity' : 'child';
          const header = a.header?.fields?.['_tracer-data'];
          const tp = header && JSON.parse(Buffer.from(header.data, 'base64').toString('utf8')).traceparent;
          return [`${kind} ${(a.activityType ?? a.workflowType).name} ${tp}`];
        });
      const expected = Object.fromEntries(traced.map((f) => [f.name, recorded(f.json)]).filter(([, v]) => v.length > 0));
      assert.ok(Object.keys(expected).length >= 2, 'traced fixtures with an activity or a child');
      for (const [name, headers] of Object.entries(expected)) assert.deepEqual(captured[name], headers, `${name}: the headers the recorded run sent`);
    },
  );

  it('would catch a change of the command sequence (an extra timer before the first attempt)', { timeout: 120_000 }, async () => {
    const altered = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/altered.workflows'), logger: quiet });
    const results = await replayAll(
      altered,
      all.filter((f) => f.name === 'delivery-succeeded-first-try' || f.name === 'delivery-waiting-60min'),
      tracing,
    );
    assert.equal(results.size, 2);
    for (const [name, err] of results) assert.ok(err instanceof DeterminismViolationError, `${name}: expected a DeterminismViolationError, got ${err}`);
  });
});
