/**
 * Receivers that misbehave, each with ten deliveries (the slow one fifty) in flight at once,
 * beside a healthy receiver under load. The sender's real 30 s budget is the promise under test:
 * a hanging receiver costs one attempt of 30 s and a worker slot, never the healthy receiver's
 * deliveries. Every bad answer is a recorded, bounded attempt that the schedule retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSubscription } from '../support/admin-api';
import { eventually } from '../support/engine';
import { postEvents, reportReliability, startCountingReceiver, type CountingReceiver } from '../support/load';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { RECEIVER_PATH, startReceiver, type Receiver, type Step } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

/** The sender's default budget for one attempt (libs/delivery/http-sender.ts); the worker uses it unchanged. */
const SEND_TIMEOUT_MS = 30_000;
const EXCERPT_BYTES = 4 * 1024;
const BAD_EVENTS = 10;
const SLOW_EVENTS = 50;
const SLOW_MS = 2_000;
const HEALTHY_EVENTS = 100;

type Misbehaviour = 'hang' | 'stream-forever' | 'redirect' | 'close-mid-response' | 'huge-error';
const BEHAVIOURS: Record<Misbehaviour | 'slow', Step> = {
  hang: { kind: 'hang' },
  'stream-forever': { kind: 'stream-forever' },
  redirect: { kind: 'redirect', status: 302 },
  'close-mid-response': { kind: 'close-mid-response' },
  'huge-error': { kind: 'huge', status: 500 },
  slow: { kind: 'slow', ms: SLOW_MS },
};

interface AttemptRow {
  delivery_id: string;
  number: number;
  ok: boolean;
  status_code: number | null;
  error_kind: string | null;
  error_message: string | null;
  excerpt_bytes: number | null;
  response_excerpt: string | null;
  duration_ms: number;
  started_at: Date;
  finished_at: Date;
}

describe('misbehaving receivers under load', () => {
  let stack: TestStack;
  let worker: HeraldProcess;
  let healthy: CountingReceiver;
  const bad = {} as Record<Misbehaviour | 'slow', Receiver>;
  const subscriptionOf = {} as Record<Misbehaviour | 'slow', string>;
  let healthySubscription: string;

  before(async () => {
    stack = await startStack({}, { worker: false });
    // The real worker process, with the sender's default budget; its own event loop, apart from the receivers'.
    worker = spawnHerald('worker', envFor(stack.config));
    healthy = await startCountingReceiver();
    for (const [name, step] of Object.entries(BEHAVIOURS)) bad[name as Misbehaviour] = await startReceiver(step);
  });
  after(async () => {
    // Closing the receivers ends the attempts still hanging, so the worker shuts down at once.
    await Promise.all(Object.values(bad).map((r) => r.close()));
    await healthy?.close();
    await worker?.stop();
    await stack?.stop();
  });

  const subscribe = async (url: string, templateIds?: string[]): Promise<string> =>
    (await createSubscription(stack, { url, ...(templateIds ? { templateIds } : {}) })).id;
  const attempts = async (subscriptionId: string): Promise<AttemptRow[]> =>
    (await stack.db.dataSource.query(
      `SELECT delivery_id, number, ok, status_code, error_kind, error_message, octet_length(response_excerpt) AS excerpt_bytes, response_excerpt,
              duration_ms, started_at, finished_at
         FROM attempts WHERE subscription_id = $1 ORDER BY delivery_id, number`,
      [subscriptionId],
    )) as AttemptRow[];
  const deliveries = async (subscriptionId: string): Promise<{ id: string; status: string; attempt_count: number }[]> =>
    (await stack.db.dataSource.query(`SELECT id, status, attempt_count FROM deliveries WHERE subscription_id = $1`, [subscriptionId])) as {
      id: string;
      status: string;
      attempt_count: number;
    }[];
  const breakdown = async (): Promise<Record<string, number>> => {
    const names = new Map<string, string>([[healthySubscription, 'healthy'], ...Object.entries(subscriptionOf).map(([n, id]) => [id, n] as [string, string])]);
    const rows = (await stack.db.dataSource.query(`SELECT subscription_id, status, count(*)::int AS n FROM deliveries GROUP BY 1, 2 ORDER BY 1, 2`)) as {
      subscription_id: string;
      status: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [`${names.get(r.subscription_id) ?? r.subscription_id} ${r.status}`, r.n]));
  };
  const count = async (sql: string, args: unknown[]): Promise<number> => ((await stack.db.dataSource.query(sql, args)) as { n: number }[])[0].n;

  it('bounds every bad answer, retries it on schedule, and delays no healthy delivery', { timeout: 150_000 }, async () => {
    // Each receiver takes the events of its own template.
    healthySubscription = await subscribe(healthy.url, ['tpl_healthy']);
    for (const name of Object.keys(BEHAVIOURS) as (Misbehaviour | 'slow')[]) subscriptionOf[name] = await subscribe(bad[name].url, [`tpl_${name}`]);
    const post = (name: Misbehaviour | 'slow' | 'healthy', n: number) =>
      postEvents(stack, n, 8, `evt_${name.replace(/-/g, '_')}_${Date.now().toString(36)}`, { templateId: `tpl_${name}` });

    // 1. The hanging deliveries go first: all of them on the wire at once.
    await post('hang', BAD_EVENTS);
    await bad.hang.waitForRequests(BAD_EVENTS, 30_000);
    const hangStarted = Math.min(...bad.hang.requests.map((r) => r.receivedAt));
    const hangLast = Math.max(...bad.hang.requests.map((r) => r.receivedAt));

    // 2. While they hang: the healthy load, then the other misbehaviours beside it.
    const loadStarted = Date.now();
    await post('healthy', HEALTHY_EVENTS);
    const othersPosted = Promise.all((['stream-forever', 'redirect', 'close-mid-response', 'huge-error'] as const).map((name) => post(name, BAD_EVENTS)));
    void othersPosted.catch(() => undefined); // awaited below

    // 3. No head-of-line blocking: the healthy deliveries all succeed while the hanging attempts are still open.
    await eventually(
      async () =>
        (await count(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND status = 'succeeded'`, [healthySubscription])) ===
        HEALTHY_EVENTS,
      hangStarted + SEND_TIMEOUT_MS - Date.now(),
      'every healthy delivery to succeed',
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; ${healthy.received.size} received; deliveries by subscription and status: ${JSON.stringify(await breakdown())}`);
    });
    const healthyDoneAt = Date.now();
    const hangAttemptsByThen = await count(`SELECT count(*)::int AS n FROM attempts WHERE subscription_id = $1`, [subscriptionOf.hang]);
    await othersPosted;
    assert.equal(hangAttemptsByThen, 0, 'the healthy load finished before any hanging attempt did');
    assert.ok(healthyDoneAt - hangStarted < SEND_TIMEOUT_MS, `healthy load done ${healthyDoneAt - hangStarted} ms after the hangs began`);

    // 4. Slow under load: 50 answers of 2 s each, concurrently, each a success on its first attempt.
    await post('slow', SLOW_EVENTS);
    await eventually(
      async () =>
        (await count(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND status = 'succeeded'`, [subscriptionOf.slow])) === SLOW_EVENTS,
      30_000,
      'every slow delivery to succeed',
    );
    const slow = await attempts(subscriptionOf.slow);
    assert.equal(slow.length, SLOW_EVENTS, 'one attempt per slow delivery: slow is not a failure');
    for (const a of slow) {
      assert.equal(a.ok, true);
      assert.ok(a.duration_ms >= SLOW_MS - 50 && a.duration_ms < SLOW_MS + 8_000, `slow attempt took ${a.duration_ms} ms`);
    }
    const slowSpanMs = Math.max(...slow.map((a) => a.finished_at.getTime())) - Math.min(...slow.map((a) => a.started_at.getTime()));
    assert.ok(slowSpanMs < (SLOW_EVENTS * SLOW_MS) / 4, `the 50 slow answers overlapped (${slowSpanMs} ms from first to last)`);

    // 5. Stream forever (200): the read stops at the limit, the attempt ends at once, a 4 KiB excerpt is kept.
    await eventually(
      async () => (await deliveries(subscriptionOf['stream-forever'])).filter((d) => d.status === 'succeeded').length === BAD_EVENTS,
      30_000,
      'stream-forever deliveries',
    );
    const streamed = await attempts(subscriptionOf['stream-forever']);
    assert.equal(streamed.length, BAD_EVENTS);
    for (const a of streamed) {
      assert.deepEqual([a.ok, a.status_code, a.excerpt_bytes], [true, 200, EXCERPT_BYTES], 'a complete 2xx status, the excerpt cut at 4 KiB');
      assert.ok(a.duration_ms < 5_000, `stream-forever attempt took ${a.duration_ms} ms (the receiver streams for 60 s)`);
    }
    const streamedBytesPerRequest = bad['stream-forever'].bytesSent() / bad['stream-forever'].requests.length;
    assert.ok(streamedBytesPerRequest < 16 * 1024 * 1024, `Herald hung up: ${Math.round(streamedBytesPerRequest / 1024)} KiB written per endless response`);

    // 6. Redirects, cut responses, huge error bodies: failed attempts of the right kind, bounded, and
    //    the schedule goes on (the second attempt follows at once, then the 1-minute wait: 'retrying').
    const expectations: Record<'redirect' | 'close-mid-response' | 'huge-error', (a: AttemptRow) => void> = {
      redirect: (a) => {
        assert.deepEqual([a.ok, a.status_code, a.error_kind], [false, 302, 'redirect']);
        assert.match(a.error_message ?? '', /redirect to \/moved \(redirects are not followed\)/);
      },
      'close-mid-response': (a) => {
        assert.deepEqual([a.ok, a.status_code, a.error_kind], [false, 200, 'network']);
        assert.match(a.error_message ?? '', /response interrupted after HTTP 200/);
        assert.ok((a.excerpt_bytes ?? 0) <= EXCERPT_BYTES);
      },
      'huge-error': (a) => {
        assert.deepEqual([a.ok, a.status_code, a.error_kind, a.excerpt_bytes], [false, 500, 'http_status', EXCERPT_BYTES]);
      },
    };
    for (const [name, check] of Object.entries(expectations) as [keyof typeof expectations, (a: AttemptRow) => void][]) {
      await eventually(
        async () => {
          const ds = await deliveries(subscriptionOf[name]);
          return ds.length === BAD_EVENTS && ds.every((d) => d.status === 'retrying' && d.attempt_count === 2);
        },
        30_000,
        `${name} deliveries waiting on their 1-minute timer`,
      );
      const rows = await attempts(subscriptionOf[name]);
      assert.equal(rows.length, 2 * BAD_EVENTS, `${name}: two attempts per delivery`);
      for (const a of rows) {
        check(a);
        assert.ok(a.duration_ms < 5_000, `${name} attempt took ${a.duration_ms} ms`);
      }
      assert.equal(bad[name].requests.length, 2 * BAD_EVENTS, `${name}: the receiver saw exactly the recorded attempts`);
    }
    assert.ok(
      bad.redirect.requests.every((r) => r.path === RECEIVER_PATH),
      'the Location was never followed',
    );
    assert.ok(bad['huge-error'].bytesSent() / bad['huge-error'].requests.length < 16 * 1024 * 1024, 'the huge body was not read to its end');

    // 7. The hanging ones: each first attempt ends by the 30 s budget as a timeout, and the schedule goes on.
    await eventually(
      async () => (await count(`SELECT count(*)::int AS n FROM attempts WHERE subscription_id = $1`, [subscriptionOf.hang])) === BAD_EVENTS,
      SEND_TIMEOUT_MS + 15_000,
      'the hanging attempts to time out',
    );
    const hung = await attempts(subscriptionOf.hang);
    for (const a of hung) {
      assert.deepEqual([a.number, a.ok, a.status_code, a.error_kind, a.response_excerpt], [1, false, null, 'timeout', null]);
      assert.match(a.error_message ?? '', new RegExp(`no complete response within ${SEND_TIMEOUT_MS} ms`));
      assert.ok(a.duration_ms >= SEND_TIMEOUT_MS - 100 && a.duration_ms <= SEND_TIMEOUT_MS + 5_000, `hanging attempt took ${a.duration_ms} ms`);
    }
    const hangFinished = Math.max(...hung.map((a) => a.finished_at.getTime()));
    // The timeout is a failure like any other: attempt 2 follows at once (schedule delay 0), and hangs in its turn.
    await bad.hang.waitForRequests(2 * BAD_EVENTS, 15_000);
    assert.ok(bad.hang.requests.slice(BAD_EVENTS).every((r) => r.headers['x-herald-attempt'] === '2'));
    const hangDeliveries = await deliveries(subscriptionOf.hang);
    assert.ok(
      hangDeliveries.every((d) => d.attempt_count === 1 && ['retrying', 'delivering'].includes(d.status)),
      JSON.stringify(hangDeliveries),
    );
    // The receiver goes away: the second attempts fail at once, and the deliveries wait on their 1-minute timer.
    await bad.hang.close();
    await eventually(
      async () => (await deliveries(subscriptionOf.hang)).every((d) => d.status === 'retrying' && d.attempt_count === 2),
      15_000,
      'hanging deliveries retrying',
    );
    const secondHangs = (await attempts(subscriptionOf.hang)).filter((a) => a.number === 2);
    assert.equal(secondHangs.length, BAD_EVENTS);
    assert.ok(
      secondHangs.every((a) => a.error_kind === 'network' && a.status_code === null),
      JSON.stringify(secondHangs.map((a) => a.error_message)),
    );

    // 8. The healthy receiver got everything, once.
    const received = healthy.received.size;
    const duplicated = healthy.total() - received;
    const hangSeconds = hung.map((a) => a.duration_ms / 1000);
    reportReliability({
      scenario: 'misbehaving receivers beside a healthy one',
      expected: HEALTHY_EVENTS,
      received,
      lost: HEALTHY_EVENTS - received,
      duplicated,
      notes:
        `healthy load done ${((healthyDoneAt - loadStarted) / 1000).toFixed(1)} s after it was posted, while ${BAD_EVENTS} attempts hung; ` +
        `hang: timeouts after ${Math.min(...hangSeconds).toFixed(1)}–${Math.max(...hangSeconds).toFixed(1)} s (${BAD_EVENTS} in ${((hangFinished - hangStarted) / 1000).toFixed(1)} s, started within ${hangLast - hangStarted} ms); ` +
        `slow (2 s): ${SLOW_EVENTS} concurrent, all in ${(slowSpanMs / 1000).toFixed(1)} s; stream-forever: 2xx, excerpt 4 KiB, ${Math.round(streamedBytesPerRequest / 1024)} KiB written per response; ` +
        `3xx, cut mid-response, 5 MiB error body: failed attempts (redirect, network, http_status), excerpts ≤ 4 KiB, retrying`,
    });
    assert.equal(received, HEALTHY_EVENTS, 'every healthy delivery arrived');
    assert.equal(duplicated, 0, 'no healthy delivery was sent twice');
  });
});
