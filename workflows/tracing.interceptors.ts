/**
 * The workflow side of tracing: Temporal's OpenTelemetry interceptors, active only in a workflow
 * whose start carried a trace context (`_tracer-data`, put there by the client interceptor of a
 * process with tracing on). A workflow started without one, and every history recorded before
 * tracing existed, runs through these untouched: no span, no extra header, the same commands.
 *
 * Bundled into the workflow code (libs/temporal/workflow-bundle.ts lists this module), so it is
 * deterministic like the workflows: spans are made from workflow time and the seeded random ids,
 * and reach the exporter through a sink that is not called during replay.
 */
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { Headers } from '@temporalio/common';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/**
 * OpenTelemetry's modules, loaded by a traced run only. The reusable V8 context keeps a module
 * cache per run, so every module a run imports is evaluated again for it: imported at the top,
 * the OpenTelemetry SDK would be evaluated for every run, traced or not.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const otel = (): typeof OtelWorkflow => require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;

/** The header Temporal's OpenTelemetry interceptors carry the context in. */
const TRACE_HEADER = '_tracer-data';

const carriesTrace = (headers: Headers): boolean => TRACE_HEADER in headers;

export const interceptors: WorkflowInterceptorsFactory = () => {
  // One per workflow run: set when its start carried a trace context.
  let traced = false;
  let inbound: OtelWorkflow.OpenTelemetryInboundInterceptor | undefined;
  let outbound: OtelWorkflow.OpenTelemetryOutboundInterceptor | undefined;
  const otelIn = (): OtelWorkflow.OpenTelemetryInboundInterceptor => (inbound ??= new (otel().OpenTelemetryInboundInterceptor)());
  const otelOut = (): OtelWorkflow.OpenTelemetryOutboundInterceptor => (outbound ??= new (otel().OpenTelemetryOutboundInterceptor)());

  const gatedInbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      traced = carriesTrace(input.headers);
      return traced ? otelIn().execute(input, next) : next(input);
    },
    // A signal (retryNow, cancel, resume) sent by a traced process is a span of its sender's trace.
    handleSignal(input, next) {
      return carriesTrace(input.headers) ? otelIn().handleSignal(input, next) : next(input);
    },
    // Queries (the API's delivery page) are not traced: they change nothing.
  };

  const gatedOutbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (traced ? otelOut().scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) => (traced ? otelOut().scheduleLocalActivity(input, next) : next(input)),
    startChildWorkflowExecution: (input, next) => (traced ? otelOut().startChildWorkflowExecution(input, next) : next(input)),
    continueAsNew: (input, next) => (traced ? otelOut().continueAsNew(input, next) : next(input)),
    signalWorkflow: (input, next) => (traced ? otelOut().signalWorkflow(input, next) : next(input)),
    getLogAttributes: (input, next) => (traced ? otelOut().getLogAttributes(input, next) : next(input)),
  };

  const internals: WorkflowInternalsInterceptor = {
    dispose: (input, next) => (traced ? new (otel().OpenTelemetryInternalsInterceptor)().dispose(input, next) : next(input)),
  };

  return { inbound: [gatedInbound], outbound: [gatedOutbound], internals: [internals] };
};
