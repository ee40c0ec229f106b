import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BenchReceiver {
  url: string;
  /** Arrival time (performance.now() + timeOrigin, ms) of the first successful request per key. */
  arrivals: Map<string, number>;
  requests: number;
  /** Requests per subscription (the x-bench-sub header each bench subscription sets). */
  requestsBy: Map<string, number>;
  status: number;
  close(): Promise<void>;
}

/**
 * A lean loopback receiver: answers `status` at once and notes when each event first arrived.
 * The key is the envelope's event id when the body has one, else the webhook-id header.
 */
export async function startBenchReceiver(status = 200): Promise<BenchReceiver> {
  const r: BenchReceiver = { url: '', arrivals: new Map(), requests: 0, requestsBy: new Map(), status, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.timeOrigin + performance.now();
      r.requests++;
      let key = String(req.headers['webhook-id'] ?? '');
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { id?: string; bench_key?: string };
        key = body.bench_key ?? body.id ?? key;
      } catch {
        // not JSON: keep the header
      }
      const sub = String(req.headers['x-bench-sub'] ?? '');
      r.requestsBy.set(sub, (r.requestsBy.get(sub) ?? 0) + 1);
      const k = `${key}|${sub}`;
      if (r.status < 300 && !r.arrivals.has(k)) r.arrivals.set(k, now);
      res.writeHead(r.status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}
