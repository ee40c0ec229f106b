import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { Registry } from 'prom-client';
import type { OtlpExport, TelemetryConfig } from '../config/config';
import { HERALD_VERSION } from '../version';
import { telemetryResource, type HeraldService } from './tracing';

/**
 * Metrics over OTLP, beside the Prometheus endpoints, for platforms whose collector pulls
 * nothing. There is one set of metrics: the process's prom-client Registry (metrics.ts). A
 * MetricProducer reads it at each export and hands the same names and labels (as attributes)
 * to the OTLP exporter: counters as cumulative monotonic sums, gauges as gauges, histograms with
 * the same buckets. Nothing is counted twice and nothing can drift between the two endpoints.
 */

export interface OtlpMetrics {
  /** Exports now (tests; the reader exports every OTEL_METRIC_EXPORT_INTERVAL ms on its own). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const NONE: OtlpMetrics = { flush: () => Promise.resolve(), shutdown: () => Promise.resolve() };

function metricExporter(target: OtlpExport): PushMetricExporter {
  if (target.protocol === 'grpc') return new GrpcMetricExporter({ url: target.url });
  const options = { url: target.url, headers: target.headers };
  return target.protocol === 'http/json' ? new JsonMetricExporter(options) : new ProtoMetricExporter(options);
}

/** Starts the periodic OTLP export of `registry` when an OTLP metrics endpoint is configured. */
export function startOtlpMetrics(
  telemetry: TelemetryConfig,
  service: HeraldService,
  registry: Registry,
  opts: { exporter?: PushMetricExporter; onError?: (err: unknown) => void } = {},
): OtlpMetrics {
  if (!telemetry.metrics) return NONE;
  const reader = new PeriodicExportingMetricReader({
    exporter: opts.exporter ?? metricExporter(telemetry.metrics),
    exportIntervalMillis: telemetry.metrics.intervalMs,
    exportTimeoutMillis: Math.min(30_000, telemetry.metrics.intervalMs),
    metricProducers: [new PrometheusRegistryProducer(registry, opts.onError)],
  });
  const provider = new MeterProvider({ resource: telemetryResource(telemetry, service), readers: [reader] });
  return { flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
// Counters and histograms count from the process's start (prom-client never resets them).
const PROCESS_START = hrTime(performance.timeOrigin);

type PromMetric = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];
type PromValue = PromMetric['values'][number] & { metricName?: string };

/** Reads a prom-client Registry as OTLP metric data (exported for the unit test). */
export class PrometheusRegistryProducer implements MetricProducer {
  constructor(
    private readonly registry: Registry,
    private readonly onError?: (err: unknown) => void,
  ) {}

  async collect(): Promise<CollectionResult> {
    const now = hrTime(Date.now());
    const metrics: MetricData[] = [];
    const errors: unknown[] = [];
    try {
      for (const m of await this.registry.getMetricsAsJSON()) {
        const data = toMetricData(m, now);
        if (data) metrics.push(data);
      }
    } catch (err) {
      errors.push(err);
      this.onError?.(err);
    }
    return {
      // The reader keeps its provider's resource; this one is replaced.
      resourceMetrics: { resource: undefined as never, scopeMetrics: [{ scope: { name: 'herald', version: HERALD_VERSION }, metrics }] },
      errors,
    };
  }
}

const attributesOf = (labels: PromValue['labels'], drop?: string): Attributes =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => k !== drop)) as Attributes;

function toMetricData(m: PromMetric, now: HrTime): MetricData | undefined {
  const descriptor = (type: InstrumentType) => ({ name: m.name, description: m.help, unit: '', type, valueType: ValueType.DOUBLE });
  const values = m.values as PromValue[];
  switch (String(m.type)) {
    case 'counter':
      return {
        descriptor: descriptor(InstrumentType.COUNTER),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: values.map((v) => ({ startTime: PROCESS_START, endTime: now, attributes: attributesOf(v.labels), value: v.value })),
      };
    case 'gauge':
      return {
        descriptor: descriptor(InstrumentType.OBSERVABLE_GAUGE),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.GAUGE,
        dataPoints: values.map((v) => ({ startTime: now, endTime: now, attributes: attributesOf(v.labels), value: v.value })),
      };
    case 'histogram':
      return {
        descriptor: descriptor(InstrumentType.HISTOGRAM),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: histogramPoints(m.name, values).map((h) => ({ startTime: PROCESS_START, endTime: now, attributes: h.attributes, value: h.value })),
      };
    default:
      return undefined; // summaries: Herald has none
  }
}

/** prom-client's cumulative `_bucket{le}` series, one histogram per label set, as OTLP's per-bucket counts. */
function histogramPoints(name: string, values: PromValue[]) {
  const series = new Map<string, { attributes: Attributes; le: Map<number, number>; sum: number; count: number }>();
  for (const v of values) {
    const attributes = attributesOf(v.labels, 'le');
    const key = JSON.stringify(attributes);
    const s = series.get(key) ?? { attributes, le: new Map(), sum: 0, count: 0 };
    series.set(key, s);
    if (v.metricName === `${name}_bucket`) s.le.set(v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), v.value);
    else if (v.metricName === `${name}_sum`) s.sum = v.value;
    else if (v.metricName === `${name}_count`) s.count = v.value;
  }
  return [...series.values()].map((s) => {
    const bounds = [...s.le.keys()].filter(Number.isFinite).sort((a, b) => a - b);
    let below = 0;
    const counts = bounds.map((b) => {
      const c = (s.le.get(b) ?? below) - below;
      below += c;
      return c;
    });
    counts.push(s.count - below);
    return { attributes: s.attributes, value: { buckets: { boundaries: bounds, counts }, sum: s.sum, count: s.count } };
  });
}
