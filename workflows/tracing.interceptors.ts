/**
 * The workflow side of tracing, active only in a workflow whose start carried a trace context
 * (`_tracer-data`, put there by Temporal's OpenTelemetry client interceptor in a process with
 * tracing on). A workflow started without one, and every history recorded before tracing
 * existed, runs through these untouched: no span, no extra header, the same commands.
 *
 * The spans are those of Temporal's workflow interceptors (`@temporalio/interceptors-opentelemetry`:
 * `RunWorkflow:<type>`, `HandleSignal:<name>`, `StartActivity:<type>` for activities and local
 * activities, `StartChildWorkflow:<type>`, `SignalWorkflow:<name>`, `ContinueAsNew:<type>`, the
 * same `_tracer-data` header, ids, times and status), made here as plain records: the SDK's
 * interceptors evaluate OpenTelemetry's SDK and build a tracer provider in every traced run (the
 * reusable V8 context keeps a module cache per run), and route each call through
 * AsyncLocalStorage and several promises, each of which the worker's promise hook gives a stack
 * trace — most of the worker's tracing cost: +8.3 ms per delivery with them, +1.7 without
 * (bench/results/2026-12-03-tracing.md).
 *
 * Deterministic like the workflows: times are workflow time, span ids are drawn from the
 * workflow's seeded random stream (`Math.random`'s) exactly as the SDK's id generator draws them (16 draws per
 * span id, 32 per trace id, in the order the spans start), so a replay after an eviction makes
 * the same ids — also for a run that started under the SDK's interceptors. The records leave the
 * isolate through the `exporter` sink (the SDK's format), which is not called during replay;
 * the worker turns them into spans (libs/temporal/tracing.ts).
 *
 * One difference from the SDK: its spans nest by AsyncLocalStorage, these by run — every
 * outbound span is a child of the run's `RunWorkflow` span. Herald's signal handlers only set
 * state (they schedule nothing), so the trees are the same.
 */
import type { OpenTelemetrySinks, SerializableSpan } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import {
  ApplicationFailure,
  ContinueAsNew,
  defaultPayloadConverter,
  proxySinks,
  workflowInfo,
  workflowRandom,
  type WorkflowInterceptorsFactory,
  type WorkflowInboundCallsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { ApplicationFailureCategory, type Headers } from '@temporalio/common';

/** The header Temporal's OpenTelemetry interceptors carry the context in. */
const TRACE_HEADER = '_tracer-data';

/** OpenTelemetry's numbers, as `@opentelemetry/api` defines them (not imported: it would be evaluated per run). */
const SPAN_KIND_INTERNAL = 0;
const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const SAMPLED = 1;
/** The SDK's workflow tracer names itself so; kept, so the spans read the same in a backend. */
const SCOPE = { name: '@temporalio/interceptor-workflow', version: undefined, schemaUrl: undefined };

interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: string;
}

/** A started span: what `end` needs to make the exported record. */
interface OpenSpan {
  name: string;
  context: SpanContext;
  parentSpanId?: string;
  startMs: number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The remote parent in a `_tracer-data` header (W3C traceparent/tracestate), or undefined when absent or invalid. */
function parentOf(headers: Headers): SpanContext | undefined {
  const payload = headers[TRACE_HEADER];
  if (payload === undefined) return undefined;
  const carrier = defaultPayloadConverter.fromPayload<{ traceparent?: string; tracestate?: string }>(payload);
  const m = TRACEPARENT.exec(carrier?.traceparent?.trim() ?? '');
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16) & SAMPLED, traceState: carrier.tracestate || undefined };
}

/** As `RandomIdGenerator` of @opentelemetry/sdk-trace-base (browser build, the one bundled): one draw per hex digit. */
function randomHex(digits: number): string {
  let id = '';
  for (let i = 0; i < digits; i++) id += Math.floor(workflowRandom.random() * 16).toString(16);
  return id;
}

/** A span under `parent` (a new trace when there is none), sampled as ParentBased(AlwaysOn) samples. */
function startSpan(name: string, parent: SpanContext | undefined): OpenSpan {
  const spanId = randomHex(16);
  if (!parent) return { name, context: { traceId: randomHex(32), spanId, traceFlags: SAMPLED }, startMs: new Date().getTime() };
  const context = { traceId: parent.traceId, spanId, traceFlags: parent.traceFlags & SAMPLED, traceState: parent.traceState };
  return { name, context, parentSpanId: parent.spanId, startMs: new Date().getTime() };
}

const hrTime = (ms: number): [number, number] => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

const exporter = proxySinks<OpenTelemetrySinks>().exporter;

/** Ends the span and, when sampled, exports it (a non-sampled span only carries the context on). */
function endSpan(span: OpenSpan, status: { code: number; message?: string }, exception?: unknown): void {
  if (!(span.context.traceFlags & SAMPLED)) return;
  const endMs = new Date().getTime();
  const events: SerializableSpan['events'] = [];
  if (exception !== undefined) {
    // As Span.recordException does: the type (code, else name), message and stack.
    const err = exception as { code?: unknown; name?: string; message?: string; stack?: string };
    const attributes: Record<string, string> = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (err) {
      if (err.code) attributes['exception.type'] = String(err.code);
      else if (err.name) attributes['exception.type'] = err.name;
      if (err.message) attributes['exception.message'] = err.message;
      if (err.stack) attributes['exception.stacktrace'] = err.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message'])
      events.push({ name: 'exception', attributes, time: hrTime(endMs), droppedAttributesCount: 0 });
  }
  const record: SerializableSpan = {
    name: span.name,
    kind: SPAN_KIND_INTERNAL,
    spanContext: span.context,
    parentSpanId: span.parentSpanId,
    startTime: hrTime(span.startMs),
    endTime: hrTime(endMs),
    status,
    attributes: {},
    links: [],
    events,
    duration: hrTime(endMs - span.startMs),
    ended: true,
    droppedAttributesCount: 0,
    droppedLinksCount: 0,
    droppedEventsCount: 0,
    instrumentationLibrary: SCOPE,
  };
  exporter.export([record]);
}

/** As the SDK's `instrument`: OK when `run` settles, else ERROR (UNSET for a benign failure) with the exception, `acceptable` errors OK. */
function instrument<T>(span: OpenSpan, run: () => Promise<T>, acceptable?: (err: unknown) => boolean): Promise<T> {
  let result: Promise<T>;
  try {
    result = run();
  } catch (err) {
    result = Promise.reject(err);
  }
  return result.then(
    (value) => {
      endSpan(span, { code: STATUS_OK });
      return value;
    },
    (err: unknown) => {
      if (acceptable?.(err)) endSpan(span, { code: STATUS_OK });
      else {
        const benign = err instanceof ApplicationFailure && err.category === ApplicationFailureCategory.BENIGN;
        const message = typeof (err as { message?: unknown })?.message === 'string' ? (err as Error).message : String(err);
        endSpan(span, { code: benign ? STATUS_UNSET : STATUS_ERROR, message }, err);
      }
      throw err;
    },
  );
}

/** The `_tracer-data` header naming `span` as the parent (what the W3C propagator injects). */
function withContext(headers: Headers, span: OpenSpan): Headers {
  const { traceId, spanId, traceFlags, traceState } = span.context;
  const carrier: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-0${traceFlags.toString(16)}` };
  if (traceState) carrier.tracestate = traceState;
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // One per workflow run: the run's span, set when its start carried a trace context.
  let run: OpenSpan | undefined;

  /** An outbound call as a child span of the run, its context in the call's headers. */
  const outbound = <I extends { headers: Headers }, O>(
    name: string,
    input: I,
    next: (input: I) => Promise<O>,
    acceptable?: (err: unknown) => boolean,
  ): Promise<O> => {
    const span = startSpan(name, run!.context);
    return instrument(span, () => next({ ...input, headers: withContext(input.headers, span) }), acceptable);
  };

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      if (!(TRACE_HEADER in input.headers)) return next(input);
      run = startSpan(`RunWorkflow:${workflowInfo().workflowType}`, parentOf(input.headers));
      return instrument(
        run,
        () => next(input),
        (err) => err instanceof ContinueAsNew,
      );
    },
    // A signal (retryNow, cancel, resume) sent by a traced process is a span of its sender's trace.
    handleSignal(input, next) {
      if (!(TRACE_HEADER in input.headers)) return next(input);
      return instrument(startSpan(`HandleSignal:${input.signalName}`, parentOf(input.headers)), () => next(input));
    },
    // Queries (the API's delivery page) are not traced: they change nothing.
  };

  const outboundCalls: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (run ? outbound(`StartActivity:${input.activityType}`, input, next) : next(input)),
    scheduleLocalActivity: (input, next) => (run ? outbound(`StartActivity:${input.activityType}`, input, next) : next(input)),
    startChildWorkflowExecution: (input, next) => (run ? outbound(`StartChildWorkflow:${input.workflowType}`, input, next) : next(input)),
    signalWorkflow: (input, next) => (run ? outbound(`SignalWorkflow:${input.signalName}`, input, next) : next(input)),
    continueAsNew: (input, next) =>
      run ? outbound(`ContinueAsNew:${input.options.workflowType}`, input, next, (err) => err instanceof ContinueAsNew) : next(input),
    // Log lines of a traced run name its trace, as the SDK's interceptor does.
    getLogAttributes: (input, next) => {
      if (!run) return next(input);
      const { traceId, spanId, traceFlags } = run.context;
      return next({ trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}`, ...input });
    },
  };

  return { inbound: [inbound], outbound: [outboundCalls] };
};
