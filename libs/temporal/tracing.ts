import type { WorkflowClientInterceptor, WorkflowDescribeInput, WorkflowQueryInput } from '@temporalio/client';
import type { Next } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { ActivityInboundCallsInterceptor, InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Tracing } from '../observability/tracing';

/**
 * The Node side of Temporal's OpenTelemetry interceptors (the workflow side is
 * workflows/tracing.interceptors.ts): the client puts the current span's context into the
 * headers of the workflows it starts and signals, activities continue it, and workflows' spans
 * leave the isolate through the `exporter` sink.
 */

/** The header the interceptors carry the context in. */
const TRACE_HEADER = '_tracer-data';

/** Starts and signals are traced; reads (queries, describe) are not: they would open a trace per page view. */
class HeraldWorkflowClientInterceptor extends OpenTelemetryWorkflowClientInterceptor {
  override query(input: WorkflowQueryInput, next: Next<WorkflowClientInterceptor, 'query'>): Promise<unknown> {
    return next(input);
  }
  override describe(input: WorkflowDescribeInput, next: Next<WorkflowClientInterceptor, 'describe'>): ReturnType<Next<WorkflowClientInterceptor, 'describe'>> {
    return next(input);
  }
}

/** The client's workflow interceptors: none when tracing is off. */
export function tracingClientInterceptors(tracing: Tracing): WorkflowClientInterceptor[] {
  return tracing.enabled ? [new HeraldWorkflowClientInterceptor({ tracer: tracing.tracer })] : [];
}

/**
 * The worker's side: activity spans (only for an activity whose workflow is traced) and the
 * workflow span sink. The sink is registered even with tracing off, as a no-op: a workflow
 * started by a traced API still makes spans, and an unregistered sink is an error per span.
 */
export function tracingWorkerOptions(tracing: Tracing): { interceptors: Pick<WorkerInterceptors, 'activity'>; sinks: InjectedSinks<OpenTelemetrySinks> } {
  if (!tracing.enabled || !tracing.spanProcessor || !tracing.resource) {
    return { interceptors: { activity: [] }, sinks: { exporter: { export: { fn: () => undefined, callDuringReplay: false } } } };
  }
  const inner = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  const activity = (ctx: ConstructorParameters<typeof OpenTelemetryActivityInboundInterceptor>[0]): { inbound: ActivityInboundCallsInterceptor } => {
    const otel = new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer });
    return { inbound: { execute: (input, next) => (TRACE_HEADER in input.headers ? otel.execute(input, next) : next(input)) } };
  };
  return {
    interceptors: { activity: [activity] },
    sinks: {
      exporter: {
        export: {
          // The SDK copies the whole WorkflowInfo into each span's attributes (memo and search
          // attributes included); spans carry these names of the run only.
          fn: (info: WorkflowInfo, spans) => inner.export.fn(runNames(info), spans),
          callDuringReplay: false,
        },
      },
    },
  };
}

function runNames(info: WorkflowInfo): WorkflowInfo {
  const { workflowId, runId, workflowType, taskQueue, namespace, attempt } = info;
  return { workflowId, runId, workflowType, taskQueue, namespace, attempt } as WorkflowInfo;
}
