import { context, propagation, ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { OtlpExport, TelemetryConfig } from '../config/config';
import { parseTraceparent } from '../delivery/trace-context';
import { HERALD_VERSION } from '../version';

/**
 * OpenTelemetry traces (docs/architecture.md, *Tracing*). Each process builds its own tracer
 * provider from `config.telemetry` and hands its tracer to the code that opens spans; none is
 * registered as the global provider, so a test can run an API and a worker side by side, each
 * under its own service name. With no OTLP endpoint configured nothing is started: the tracer
 * is the API's no-op one, and the Temporal interceptors are not installed.
 */

/** The service names Herald's processes export under, unless OTEL_SERVICE_NAME says otherwise. */
export type HeraldService = 'herald-api' | 'herald-worker';

/** The ids spans carry (`herald.*` attributes): ids only, never a tenant's data. */
export interface TraceRefs {
  tenantId: string;
  eventId: string;
  subscriptionId: string;
  deliveryId: string;
}

export const ATTR = {
  tenantId: 'herald.tenant_id',
  eventId: 'herald.event_id',
  eventType: 'herald.event_type',
  subscriptionId: 'herald.subscription_id',
  deliveryId: 'herald.delivery_id',
  attempt: 'herald.attempt',
  trigger: 'herald.trigger',
  outcome: 'herald.outcome',
} as const;

export const refAttributes = (refs: TraceRefs): Record<string, string> => ({
  [ATTR.tenantId]: refs.tenantId,
  [ATTR.eventId]: refs.eventId,
  [ATTR.subscriptionId]: refs.subscriptionId,
  [ATTR.deliveryId]: refs.deliveryId,
});

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** The Temporal worker exports its workflows' spans through these (set when enabled). */
  readonly spanProcessor?: SpanProcessor;
  readonly resource?: Resource;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Tracing off: a no-op tracer (no span is recorded, nothing is exported). */
export const NO_TRACING: Tracing = {
  enabled: false,
  tracer: trace.getTracer('herald'),
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

let globalsInstalled = false;

/**
 * Context propagation is process-wide in OpenTelemetry: the AsyncLocalStorage context manager
 * (so a span started in an activity is the parent of the attempt's span) and the W3C propagator
 * (Temporal's interceptors carry the context in headers with it). Installed once, the first time
 * tracing starts; without a provider they cost nothing.
 */
function installGlobals(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

function sampler(traces: NonNullable<TelemetryConfig['traces']>): Sampler {
  const ratio = new TraceIdRatioBasedSampler(traces.samplerRatio);
  switch (traces.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function traceExporter(target: OtlpExport): SpanExporter {
  const options = { url: target.url, headers: target.headers };
  if (target.protocol === 'grpc') return new GrpcTraceExporter({ url: target.url });
  return target.protocol === 'http/json' ? new JsonTraceExporter(options) : new ProtoTraceExporter(options);
}

/** The resource both signals carry: service name and version, plus OTEL_RESOURCE_ATTRIBUTES. */
export function telemetryResource(telemetry: TelemetryConfig, service: HeraldService): Resource {
  return new Resource({
    ...telemetry.resourceAttributes,
    'service.name': telemetry.serviceName ?? service,
    'service.version': HERALD_VERSION,
  });
}

/** Starts tracing when an OTLP traces endpoint is configured; else NO_TRACING. */
export function startTracing(telemetry: TelemetryConfig, service: HeraldService, opts: { exporter?: SpanExporter } = {}): Tracing {
  if (!telemetry.traces) return NO_TRACING;
  installGlobals();
  // With the SDK's own attributes merged in, as the provider does: the workflow spans (exported
  // through the worker's sink) then come from the same process as the activity spans.
  const resource = Resource.default().merge(telemetryResource(telemetry, service));
  const spanProcessor = new BatchSpanProcessor(opts.exporter ?? traceExporter(telemetry.traces));
  const provider = new BasicTracerProvider({ resource, sampler: sampler(telemetry.traces), spanProcessors: [spanProcessor] });
  return {
    enabled: true,
    tracer: provider.getTracer('herald', HERALD_VERSION),
    spanProcessor,
    resource,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** A context whose parent is the producer's `traceparent` (a remote span), or the root one. */
export function producerContext(traceparent: string | null | undefined): Context {
  const parsed = parseTraceparent(traceparent);
  if (!parsed) return ROOT_CONTEXT;
  const parent: SpanContext = {
    traceId: parsed.traceId,
    spanId: parsed.parentId,
    traceFlags: parseInt(parsed.flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

/** The W3C `traceparent` header naming a span as the parent. */
export function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-0${(span.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/**
 * The API's ingest spans, kept until the dispatcher starts their events' workflows, so the
 * start (and all that follows) continues the ingest request's trace. In memory, by event id:
 * an event started by another process (a sweep after an outage) starts its workflow under the
 * producer's traceparent when it sent one, else in a trace of its own.
 */
export class PendingTraces {
  private readonly spans = new Map<string, Context>();

  constructor(private readonly max = 10_000) {}

  remember(eventId: string, ctx: Context): void {
    // Bounded: a start that never comes (the event was dispatched elsewhere) must not grow this forever.
    if (this.spans.size >= this.max) this.spans.delete(this.spans.keys().next().value as string);
    this.spans.set(eventId, ctx);
  }

  take(eventId: string): Context | undefined {
    const ctx = this.spans.get(eventId);
    this.spans.delete(eventId);
    return ctx;
  }
}
