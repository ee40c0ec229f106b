import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';

/** One request as an ordered receiver saw it, in arrival order. */
export interface OrderedRequest {
  deliveryId: string;
  key: string;
  sequence: number;
  attempt: number;
  ok: boolean;
}

export interface OrderedReceiver {
  url: string;
  requests: OrderedRequest[];
  /** Requests arriving while `hold` is true are answered only once it is false again (a slow receiver). */
  close(): Promise<void>;
}

/**
 * A receiver of a `fifo` subscription that fails `failRate` of requests at random. A delivery
 * fails at most `maxFailures` times in a row (default 1): its retry then comes at once (the
 * schedule's delay 0), so a stream is never held for the schedule's minutes in a real-time test
 * (the full schedule is proven on the time-skipping server, test/workflows/ordered.test.ts).
 */
export async function startOrderedReceiver(
  opts: {
    failRate?: number;
    maxFailures?: number;
    /** Fails every request it says so of, whatever `failRate` says. */
    fail?: (r: { key: string; sequence: number }) => boolean;
    /** The status to answer a failed request with (default 500): e.g. 410 Gone. */
    failStatus?: (r: { key: string; sequence: number }) => number;
    /** Holds each answer this long. */
    delayMs?: number;
  } = {},
): Promise<OrderedReceiver> {
  const requests: OrderedRequest[] = [];
  const failures = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const deliveryId = String(req.headers['webhook-id']);
      const failed = failures.get(deliveryId) ?? 0;
      // An unordered delivery carries neither header: key '', sequence 0.
      const place = { key: String(req.headers['x-herald-ordering-key'] ?? ''), sequence: Number(req.headers['x-herald-sequence'] ?? 0) };
      const ok = !(opts.fail?.(place) || (failed < (opts.maxFailures ?? 1) && Math.random() < (opts.failRate ?? 0)));
      if (!ok) failures.set(deliveryId, failed + 1);
      requests.push({ deliveryId, key: place.key, sequence: place.sequence, attempt: Number(req.headers['x-herald-attempt']), ok });
      setTimeout(() => res.writeHead(ok ? 200 : (opts.failStatus?.(place) ?? 500)).end(), opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The receiver's view of ordered delivery, per key: in arrival order the sequence never goes
 * back (nothing arrives while an earlier delivery is still being tried), the first successful
 * arrivals are 1, 2, 3 … `perKey[key]` without a gap, and each sequence has a single delivery id.
 */
export function assertArrivedInOrder(requests: readonly OrderedRequest[], perKey: Record<string, number>): void {
  for (const [key, n] of Object.entries(perKey)) {
    const of = requests.filter((r) => r.key === key);
    for (let i = 1; i < of.length; i++) {
      assert.ok(
        of[i].sequence >= of[i - 1].sequence,
        `key ${key}: #${of[i].sequence} (attempt ${of[i].attempt}) arrived after #${of[i - 1].sequence} (attempt ${of[i - 1].attempt}, ${of[i - 1].ok ? 'ok' : 'failed'})`,
      );
    }
    const firstOk: number[] = [];
    const ids = new Map<number, string>();
    for (const r of of) {
      if (ids.has(r.sequence)) assert.equal(ids.get(r.sequence), r.deliveryId, `key ${key}: #${r.sequence} names one delivery`);
      ids.set(r.sequence, r.deliveryId);
      if (r.ok && firstOk[firstOk.length - 1] !== r.sequence && !firstOk.includes(r.sequence)) firstOk.push(r.sequence);
    }
    assert.deepEqual(
      firstOk,
      Array.from({ length: n }, (_, i) => i + 1),
      `key ${key}: first successful arrivals 1…${n} in order`,
    );
  }
}

/** An image.created event of stream `key`. */
export const orderedEvent = (id: string, key: string | undefined, fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  type: 'image.created',
  ...(key === undefined ? {} : { orderingKey: key }),
  data: SAMPLE_IMAGE_CREATED,
  ...fields,
});

/**
 * `producers` concurrent producers post `perKey` events to each of `keys`, all on the same keys;
 * each producer waits for its 202 before it sends its next. Returns, per producer and key, its
 * event ids in the order it got their 202s: those must be delivered in that order.
 */
export async function produceOrdered(
  post: (body: Record<string, unknown>) => Promise<number>,
  opts: { keys: string[]; perKey: number; producers: number; prefix: string; fields?: Record<string, unknown> },
): Promise<Map<string, string[]>> {
  const order = new Map<string, string[]>();
  let next = 0;
  const total = opts.keys.length * opts.perKey;
  await Promise.all(
    Array.from({ length: opts.producers }, async (_, p) => {
      while (next < total) {
        const i = next++;
        const key = opts.keys[i % opts.keys.length];
        const id = `${opts.prefix}_${i}`;
        for (let tries = 0; ; tries++) {
          const status = await post(orderedEvent(id, key, opts.fields));
          if (status === 202) break;
          if (status !== 503 || tries > 100) throw new Error(`event ${id}: ${status}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        const k = `${p}/${key}`;
        order.set(k, [...(order.get(k) ?? []), id]);
      }
    }),
  );
  return order;
}
