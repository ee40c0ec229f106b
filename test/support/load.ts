import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import type { TestStack } from './stack';

/**
 * A receiver for load and fault tests that keys every request by its webhook-id (the delivery
 * id), so a test can count deliveries received, lost and duplicated. `failAttempts: n` answers 500
 * to the first n attempts of every delivery (1: the retry comes at once, the schedule's delay 0;
 * 2: the third attempt waits on the 1-minute timer).
 */
export interface CountingReceiver {
  url: string;
  /** Successful (2xx) requests per webhook-id. */
  received: Map<string, number>;
  /** Every request per webhook-id, failed ones (`failAttempts`) included. */
  requests: Map<string, number>;
  /** Successful requests, duplicates included. */
  total(): number;
  close(): Promise<void>;
}

export async function startCountingReceiver(opts: { failAttempts?: number; delayMs?: number } = {}): Promise<CountingReceiver> {
  const received = new Map<string, number>();
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      requests.set(id, (requests.get(id) ?? 0) + 1);
      const fail = Number(req.headers['x-herald-attempt']) <= (opts.failAttempts ?? 0);
      setTimeout(() => {
        if (!fail) received.set(id, (received.get(id) ?? 0) + 1);
        res.writeHead(fail ? 500 : 200).end();
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    requests,
    total: () => [...received.values()].reduce((a, b) => a + b, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Posts `n` image.created events through the API, `concurrency` at a time; returns their ids.
 * `fields` go into every event (e.g. a templateId that scopes them to some subscriptions).
 */
export async function postEvents(
  stack: TestStack,
  n: number,
  concurrency = 8,
  prefix = `evt_load_${Date.now().toString(36)}`,
  fields: { templateId?: string } = {},
): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}_${i}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++];
        for (let tries = 0; ; tries++) {
          const res = await stack.api('/v1/events', { method: 'POST', json: { id, type: 'image.created', ...fields, data: SAMPLE_IMAGE_CREATED } });
          if (res.status === 202) break;
          // 503 while a dependency is down: a producer posts again with the same id.
          if (res.status !== 503 || tries > 100) throw new Error(`event ${id}: ${res.status} ${JSON.stringify(res.body)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }),
  );
  return ids;
}

export interface ReliabilityFigures {
  scenario: string;
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  notes?: string;
}

/** Figures for docs/reliability.md, gathered by test/run.ts after the run. */
export function reportReliability(figures: ReliabilityFigures): void {
  writeFigures(figures.scenario, figures);
}

/** A security check for docs/reliability.md: how many hostile inputs, how many refused, what got through. */
export interface SecurityFigures {
  check: string;
  cases: number;
  refused: number;
  /** Requests sent, secrets found, 5xx answers: whatever "got through" means for the check. */
  through: number;
  notes?: string;
}

export function reportSecurity(figures: SecurityFigures): void {
  writeFigures(`security ${figures.check}`, figures);
}

function writeFigures(name: string, figures: object): void {
  const dir = process.env.HERALD_RELIABILITY_DIR ?? join(__dirname, '..', '..', 'reliability'); // dist/reliability when run alone
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`), JSON.stringify(figures, null, 2));
}
