import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptTrigger, DeliveryStatus } from '../domain/types';

/**
 * Herald's Prometheus metrics. Each process builds its own Registry (never prom-client's global
 * one), so a test can run several APIs and workers side by side.
 *
 * - API: `herald_events_accepted_total`, and the Postgres-backed gauges `herald_deliveries_waiting`
 *   and `herald_dead_letters`, computed at scrape time (every replica reports the same value).
 * - Worker: `herald_deliveries_total{outcome}`, `herald_attempts_total{status_class,trigger}`,
 *   `herald_attempt_duration_seconds`.
 * - Both: the default Node process metrics (CPU, heap, event-loop lag, GC, handles).
 */

export type DeliveryOutcome = Extract<DeliveryStatus, 'succeeded' | 'dead_lettered' | 'cancelled'>;
export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['succeeded', 'dead_lettered', 'cancelled'];
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'error';

/** `error` when no HTTP status came back (timeout, DNS, connect, TLS, SSRF guard). */
export function statusClass(statusCode: number | null): StatusClass {
  if (statusCode === null || statusCode < 200 || statusCode >= 600) return 'error';
  return `${Math.floor(statusCode / 100)}xx` as StatusClass;
}

/** Attempt latencies: from a fast 2xx to the 30 s timeout. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

export interface MetricsRegistry {
  readonly registry: Registry;
  /** The exposition text, as `/metrics` serves it. */
  render(): Promise<string>;
  readonly contentType: string;
}

function newRegistry(defaultMetrics: boolean): Registry {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

const render = (registry: Registry) => (): Promise<string> => registry.metrics();

/** The store verbs the Postgres-backed gauges read (libs/db/repositories). */
export interface GaugeStores {
  deliveries: { countWaiting(): Promise<number>; countPending(): Promise<number> };
  deadLetters: { countRetained(): Promise<number> };
  events: {
    backlog(): Promise<{ undispatched: number; waiting: number }>;
    backlogByTenant(filter: { limit: number }): Promise<Map<string, { undispatched: number; waiting: number }>>;
  };
}

export interface ApiMetrics extends MetricsRegistry {
  /** A new Event was persisted and its workflow started (an idempotent repeat is not counted). */
  eventAccepted(): void;
}

export function createApiMetrics(opts: { stores: GaugeStores; defaultMetrics?: boolean; onError?: (err: unknown) => void }): ApiMetrics {
  const registry = newRegistry(opts.defaultMetrics ?? true);
  const eventsAccepted = new Counter({
    name: 'herald_events_accepted_total',
    help: 'Events accepted by POST /v1/events (new events only)',
    registers: [registry],
  });

  // A gauge the database cannot answer reads NaN rather than failing the whole scrape.
  const countGauge = (name: string, help: string, count: () => Promise<number>): Gauge =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          this.set(await count());
        } catch (err) {
          this.set(Number.NaN);
          opts.onError?.(err);
        }
      },
    });
  countGauge('herald_deliveries_waiting', 'Deliveries waiting on a retry timer (status retrying)', () => opts.stores.deliveries.countWaiting());
  countGauge('herald_dead_letters', 'Dead letters currently retained', () => opts.stores.deadLetters.countRetained());
  // The backlog across tenants, without a tenant label (one series per tenant would grow without
  // bound): its size by stage, and how much of it one tenant holds (a burst). Per tenant: GET /v1/tenants/:id/stats.
  new Gauge({
    name: 'herald_backlog',
    help: 'What waits now, by stage: events_not_dispatched (accepted, no workflow yet), events_waiting_for_worker (workflow started, not matched yet), deliveries_waiting_for_worker (pending)',
    labelNames: ['stage'],
    registers: [registry],
    async collect() {
      try {
        const [events, pending] = await Promise.all([opts.stores.events.backlog(), opts.stores.deliveries.countPending()]);
        this.set({ stage: 'events_not_dispatched' }, events.undispatched);
        this.set({ stage: 'events_waiting_for_worker' }, events.waiting);
        this.set({ stage: 'deliveries_waiting_for_worker' }, pending);
      } catch (err) {
        for (const stage of ['events_not_dispatched', 'events_waiting_for_worker', 'deliveries_waiting_for_worker']) this.set({ stage }, Number.NaN);
        opts.onError?.(err);
      }
    },
  });
  countGauge(
    'herald_backlog_largest_tenant_share',
    "The largest single tenant's share (0–1) of the events backlog (not dispatched or waiting for a worker); 0 when there is none",
    async () => {
      const [total, top] = await Promise.all([opts.stores.events.backlog(), opts.stores.events.backlogByTenant({ limit: 1 })]);
      const all = total.undispatched + total.waiting;
      const [largest] = [...top.values()];
      return all === 0 || !largest ? 0 : Math.min(1, (largest.undispatched + largest.waiting) / all);
    },
  );

  return {
    registry,
    contentType: registry.contentType,
    render: render(registry),
    eventAccepted: () => eventsAccepted.inc(),
  };
}

export interface AttemptObservation {
  trigger: AttemptTrigger;
  statusCode: number | null;
  durationMs: number;
}

export interface WorkerMetrics extends MetricsRegistry {
  /** One newly recorded Attempt row. */
  attemptRecorded(e: AttemptObservation): void;
  /** A delivery reached a final status. */
  deliveryFinished(outcome: DeliveryOutcome): void;
}

export function createWorkerMetrics(opts: { defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = newRegistry(opts.defaultMetrics ?? true);
  const deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Deliveries that reached a final status, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'herald_attempts_total',
    help: 'Recorded HTTP attempts, by response status class and trigger',
    labelNames: ['status_class', 'trigger'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'herald_attempt_duration_seconds',
    help: 'Duration of recorded HTTP attempts',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ outcome }, 0);

  return {
    registry,
    contentType: registry.contentType,
    render: render(registry),
    attemptRecorded(e) {
      attempts.inc({ status_class: statusClass(e.statusCode), trigger: e.trigger });
      duration.observe(Math.max(0, e.durationMs) / 1000);
    },
    deliveryFinished(outcome) {
      deliveries.inc({ outcome });
    },
  };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** A bare HTTP server answering `GET /metrics` (the worker's; the API serves its own route). */
export function serveMetrics(metrics: MetricsRegistry, opts: { port: number; host?: string; onError?: (err: unknown) => void }): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: unknown) => {
        opts.onError?.(err);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
