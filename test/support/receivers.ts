import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Real HTTP receivers on 127.0.0.1 whose behaviour a test scripts: answer a status, hang, redirect,
 * answer slowly, stream forever, send a huge body, or cut the connection mid-response. Every
 * behaviour is bounded, and close() tears down whatever is still open.
 */

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Epoch milliseconds when the request body was complete. */
  receivedAt: number;
  /** The client's port: equal ports on consecutive requests mean a reused keep-alive connection. */
  remotePort: number;
}

export type Step =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'hang' }
  | { kind: 'redirect'; status?: 301 | 302 | 303 | 307 | 308; location?: string }
  | { kind: 'slow'; ms: number; status?: number }
  | { kind: 'stream-forever' }
  | { kind: 'huge'; bytes?: number; status?: number }
  | { kind: 'close-mid-response' };

/** A step, or a sequence of steps taken one per request, the last one repeating. */
export type Behaviour = Step | { kind: 'sequence'; steps: Step[] };

export interface Receiver {
  /** Where to deliver: `http://127.0.0.1:<port>/hook`. */
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Response body bytes written so far by stream-forever and huge responses (what a client could have read). */
  bytesSent(): number;
  /** Replaces the behaviour; a sequence starts again from its first step. */
  setBehaviour(behaviour: Behaviour): void;
  /** Resolves once `n` requests have arrived; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export const RECEIVER_PATH = '/hook';
export const REDIRECT_PATH = '/moved';
const HUGE_BYTES = 5 * 1024 * 1024;
/**
 * A stream-forever response gives up after this long even if the client keeps reading. Time, not
 * bytes: a client without a read limit must still be streaming when its own timeout fires.
 */
const STREAM_FOREVER_MS = 60_000;
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const CHUNK = Buffer.alloc(16 * 1024, 'x');

export async function startReceiver(initial: Behaviour = { kind: 'status', status: 200 }): Promise<Receiver> {
  let behaviour = initial;
  let served = 0; // requests answered under the current behaviour, for sequences
  let closing = false;
  let bytesSent = 0;
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: flatten(req),
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        remotePort: req.socket.remotePort ?? 0,
      });
      for (const wake of waiters) wake();
      respond(nextStep(), res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  function nextStep(): Step {
    const b = behaviour;
    served++;
    if (b.kind !== 'sequence') return b;
    return b.steps[Math.min(served, b.steps.length) - 1] ?? { kind: 'status', status: 200 };
  }

  function respond(step: Step, res: ServerResponse): void {
    switch (step.kind) {
      case 'status':
        res.writeHead(step.status, { 'content-type': 'text/plain; charset=utf-8' }).end(step.body ?? `receiver answered ${step.status}`);
        return;
      case 'hang':
        return; // never answers; close() destroys the socket
      case 'redirect':
        res.writeHead(step.status ?? 302, { location: step.location ?? REDIRECT_PATH }).end();
        return;
      case 'slow':
        later(step.ms, () => {
          if (!res.destroyed) res.writeHead(step.status ?? 200, { 'content-type': 'text/plain' }).end('slow answer');
        });
        return;
      case 'stream-forever':
        res.writeHead(200, { 'content-type': 'text/plain' });
        pump(res, Infinity, Date.now() + STREAM_FOREVER_MS);
        return;
      case 'huge':
        res.writeHead(step.status ?? 200, { 'content-type': 'text/plain', 'content-length': String(step.bytes ?? HUGE_BYTES) });
        pump(res, step.bytes ?? HUGE_BYTES);
        return;
      case 'close-mid-response':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"partial":');
        later(20, () => res.socket?.destroy());
        return;
    }
  }

  /** Writes `total` bytes (or until `deadline`), honouring back-pressure; stops early when the client leaves or the receiver closes. */
  function pump(res: ServerResponse, total: number, deadline = Infinity): void {
    let sent = 0;
    const writeMore = () => {
      while (!closing && !res.destroyed && sent < total && Date.now() < deadline) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, total - sent));
        sent += piece.length;
        bytesSent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', writeMore);
          return;
        }
      }
      if (!closing && !res.destroyed) res.end();
    };
    writeMore();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${RECEIVER_PATH}`,
    port,
    requests,
    bytesSent: () => bytesSent,
    setBehaviour(next) {
      behaviour = next;
      served = 0;
    },
    waitForRequests(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(requests);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${requests.length} of ${n} expected requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy(); // hanging and streaming responses included
      await closed;
    },
  };
}

function flatten(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
