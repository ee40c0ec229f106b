import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in OpenTelemetry collector on 127.0.0.1 for OTLP over HTTP with JSON bodies
 * (OTEL_EXPORTER_OTLP_PROTOCOL=http/json): it keeps every export, raw and parsed, so a test can
 * read what a Herald process exported and search it.
 */
export interface OtlpCollector {
  /** OTEL_EXPORTER_OTLP_ENDPOINT */
  url: string;
  /** Raw JSON bodies by signal path (`/v1/traces`, `/v1/metrics`). */
  raw(path: '/v1/traces' | '/v1/metrics'): string[];
  spans(): CollectedSpan[];
  /** Every metric data point exported, flattened. */
  metricPoints(): CollectedPoint[];
  close(): Promise<void>;
}

export interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

export interface CollectedPoint {
  service: string;
  name: string;
  kind: 'sum' | 'gauge' | 'histogram';
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
  bounds?: number[];
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

const anyValue = (v: Record<string, unknown>): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
const attrs = (list: KeyValue[] = []): Record<string, unknown> => Object.fromEntries(list.map((a) => [a.key, anyValue(a.value)]));

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const bodies = new Map<string, string[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      bodies.set(path, [...(bodies.get(path) ?? []), Buffer.concat(chunks).toString()]);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const parsed = (path: string) => (bodies.get(path) ?? []).map((b) => JSON.parse(b) as Record<string, any>);
  const serviceOf = (resource: { attributes?: KeyValue[] }) => String(attrs(resource?.attributes)['service.name']);
  return {
    url: `http://127.0.0.1:${port}`,
    raw: (path) => bodies.get(path) ?? [],
    spans: () =>
      parsed('/v1/traces').flatMap((b) =>
        (b.resourceSpans ?? []).flatMap((rs: any) =>
          (rs.scopeSpans ?? []).flatMap((ss: any) =>
            (ss.spans ?? []).map((s: any) => ({
              service: serviceOf(rs.resource),
              name: s.name,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              attributes: attrs(s.attributes),
            })),
          ),
        ),
      ),
    metricPoints: () =>
      parsed('/v1/metrics').flatMap((b) =>
        (b.resourceMetrics ?? []).flatMap((rm: any) =>
          (rm.scopeMetrics ?? []).flatMap((sm: any) =>
            (sm.metrics ?? []).flatMap((m: any): CollectedPoint[] => {
              const service = serviceOf(rm.resource);
              if (m.sum)
                return m.sum.dataPoints.map((p: any) => ({
                  service,
                  name: m.name,
                  kind: 'sum',
                  attributes: attrs(p.attributes),
                  value: p.asDouble ?? Number(p.asInt),
                }));
              if (m.gauge)
                return m.gauge.dataPoints.map((p: any) => ({
                  service,
                  name: m.name,
                  kind: 'gauge',
                  attributes: attrs(p.attributes),
                  value: p.asDouble ?? Number(p.asInt),
                }));
              if (m.histogram)
                return m.histogram.dataPoints.map((p: any) => ({
                  service,
                  name: m.name,
                  kind: 'histogram',
                  attributes: attrs(p.attributes),
                  count: Number(p.count),
                  bounds: p.explicitBounds,
                }));
              return [];
            }),
          ),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
