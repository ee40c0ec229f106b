/**
 * Postgres stopped for 20 s in the middle of a load, then restarted on the same data: no Attempt
 * record is lost, no schedule slot is consumed, nothing is sent while Postgres is down, and the
 * API says so honestly meanwhile (/ready 503, writes 503 with Retry-After, never 500; /health 200).
 * The test runs a Postgres of its own: stopping the run's shared one would break other files.
 *
 * The worker runs with a 20-run workflow cache, far fewer than the ~600 runs of the load: every
 * task of a run it does not hold evicts another, as a production worker does with 10,000 waiting
 * deliveries. That is where the cache stall lived (libs/config/config.ts, workflowTaskSlots): an
 * eviction that lands on a run still waiting on its local activities cancels them, the task is
 * lost and replayed, and deliveries stopped finishing after the outage.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { startEmbeddedPostgres, type RunningPostgres } from '../../libs/devstack/embedded-postgres';
import { freePort } from '../../libs/devstack/ports';
import { createSubscription } from '../support/admin-api';
import { eventually } from '../support/engine';
import { postEvents, reportReliability, startCountingReceiver, type CountingReceiver } from '../support/load';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startStack, type TestStack } from '../support/stack';

const EVENTS = 200;
const OUTAGE_MS = 20_000;
/** Sends already prepared when Postgres stops still go out; after this long nothing may. */
const IN_FLIGHT_GRACE_MS = 5_000;
const SMALL_CACHE = 20;
/** What the native core logs when a local activity's result arrives for a run evicted mid-task. */
const EVICTED_MID_TASK = 'Tried to complete untracked local activity';

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe('Postgres stopped for 20 s mid-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-pg-outage-'));
  let port: number;
  let pg: RunningPostgres | undefined;
  let stack: TestStack;
  let worker: HeraldProcess;
  let ok: CountingReceiver;
  let flaky: CountingReceiver;
  before(async () => {
    port = await freePort();
    pg = await startEmbeddedPostgres({ dataDir: dir, port });
    stack = await startStack({}, { worker: false, postgres: pg });
    // The real worker process, with its own pool and its reconciler, rides out the outage.
    worker = spawnHerald('worker', envFor(stack.config, { HERALD_MAX_CACHED_WORKFLOWS: String(SMALL_CACHE) }));
    // Slow enough answers that many sends are on the wire when Postgres stops.
    ok = await startCountingReceiver({ delayMs: 200 });
    flaky = await startCountingReceiver({ failAttempts: 1, delayMs: 200 });
  });
  after(async () => {
    if (!pg && port) pg = await startEmbeddedPostgres({ dataDir: dir, port }); // a failure mid-outage must still drop the database
    await worker?.stop();
    await ok?.close();
    await flaky?.close();
    await stack?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no Attempt, consumes no schedule slot, and answers 503 meanwhile', { timeout: 240_000 }, async () => {
    await createSubscription(stack, { url: ok.url });
    const flakySubscription = await createSubscription(stack, { url: flaky.url });
    await postEvents(stack, EVENTS);
    await eventually(async () => ok.received.size + flaky.received.size >= EVENTS / 2, 120_000, 'a quarter of the deliveries');
    const [{ n: succeededAtStop }] = (await stack.db.dataSource.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`)) as {
      n: number;
    }[];

    const stoppedAt = new Date();
    await pg!.stop();
    pg = undefined;
    const sentAtStop = sum(ok.requests) + sum(flaky.requests);

    // While Postgres is down: probe the API about once a second.
    const outageEventId = `evt_outage_${Date.now().toString(36)}`;
    let sentAfterGrace: number | undefined;
    const seen: { ready: number[]; subscription: number[]; event: number[]; health: number[] } = { ready: [], subscription: [], event: [], health: [] };
    while (Date.now() - stoppedAt.getTime() < OUTAGE_MS) {
      const round = Date.now();
      if (sentAfterGrace === undefined && round - stoppedAt.getTime() >= IN_FLIGHT_GRACE_MS) sentAfterGrace = sum(ok.requests) + sum(flaky.requests);
      const [ready, subscription, event, health] = await Promise.all([
        stack.api('/ready'),
        stack.api('/v1/subscriptions', { method: 'POST', json: { url: ok.url, eventTypes: ['image.created'] } }),
        stack.api('/v1/events', { method: 'POST', json: { id: outageEventId, type: 'image.created', data: SAMPLE_IMAGE_CREATED } }),
        stack.api('/health'),
      ]);
      seen.ready.push(ready.status);
      seen.subscription.push(subscription.status);
      seen.event.push(event.status);
      seen.health.push(health.status);
      assert.equal(ready.status, 503, `/ready while Postgres is down: ${JSON.stringify(ready.body)}`);
      assert.equal(ready.body?.error?.code, 'not_ready');
      assert.equal(ready.body.error.details?.checks?.postgres, 'down');
      assert.equal(ready.body.error.details?.checks?.temporal, 'up');
      for (const [what, res] of [
        ['POST /v1/subscriptions', subscription],
        ['POST /v1/events', event],
      ] as const) {
        assert.equal(res.status, 503, `${what} while Postgres is down: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body?.error?.code, 'service_unavailable', what);
        assert.equal(typeof res.body.error.message, 'string', what);
        assert.deepEqual(Object.keys(res.body.error).sort(), ['code', 'details', 'message'], what);
        assert.ok(Number(res.headers.get('retry-after')) > 0, `${what}: Retry-After`);
      }
      assert.equal(health.status, 200, '/health is liveness only');
      await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - round))));
    }
    const sentDuringOutage = sum(ok.requests) + sum(flaky.requests) - (sentAfterGrace ?? 0);

    pg = await startEmbeddedPostgres({ dataDir: dir, port });
    const restartedAt = new Date();
    const outageMs = restartedAt.getTime() - stoppedAt.getTime();
    await eventually(async () => (await stack.api('/ready')).status === 200, 30_000, '/ready after the restart');
    const readyAfterMs = Date.now() - restartedAt.getTime();
    // The producer whose event got 503 posts it again: accepted now, and delivered like the others.
    const repost = await stack.api('/v1/events', { method: 'POST', json: { id: outageEventId, type: 'image.created', data: SAMPLE_IMAGE_CREATED } });
    assert.equal(repost.status, 202, JSON.stringify(repost.body));
    assert.equal((await stack.api('/v1/subscriptions')).status, 200);

    const expected = (EVENTS + 1) * 2;
    await eventually(
      async () => {
        const [{ n }] = (await stack.db.dataSource.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`)) as { n: number }[];
        return n === expected;
      },
      120_000,
      'every delivery to succeed',
    ).catch(async (err: Error) => {
      const statuses = await stack.db.dataSource.query(`SELECT status, count(*)::int AS n FROM deliveries GROUP BY status ORDER BY status`);
      const errors = worker
        .output()
        .split('\n')
        .filter((l) => /error|warn/i.test(l))
        .slice(-15);
      throw new Error(`${err.message}; deliveries ${JSON.stringify(statuses)}; last worker warnings:\n${errors.join('\n')}`);
    });
    const recoveredMs = Date.now() - restartedAt.getTime();

    const received = ok.received.size + flaky.received.size;
    const duplicated = ok.total() + flaky.total() - received;
    // Sends on the wire at the stop: their outcome waited in the workflow history until Postgres was back.
    const [{ n: onTheWire }] = (await stack.db.dataSource.query(`SELECT count(*)::int AS n FROM attempts WHERE started_at < $1 AND finished_at >= $1`, [
      stoppedAt,
    ])) as { n: number }[];
    reportReliability({
      scenario: 'Postgres stopped 20 s mid-run',
      expected,
      received,
      lost: expected - received,
      duplicated,
      notes:
        `worker cache ${SMALL_CACHE} runs; outage ${(outageMs / 1000).toFixed(1)} s with ${succeededAtStop} of ${EVENTS * 2} deliveries done and ${onTheWire} sends on the wire; ` +
        `/ready 503 and writes 503 throughout (${seen.ready.length} probes), /ready again ${(readyAfterMs / 1000).toFixed(1)} s after the restart, ` +
        `all delivered ${(recoveredMs / 1000).toFixed(1)} s after it; flaky receiver: exactly 2 attempts per delivery`,
    });

    assert.ok(succeededAtStop < EVENTS * 2, 'Postgres stopped mid-run');
    assert.ok(seen.ready.length >= 10, `the API was probed throughout the outage (${seen.ready.length} rounds)`);
    assert.equal(sentDuringOutage, 0, `nothing is sent while no attempt can be prepared (${sentAtStop} requests at the stop)`);
    assert.equal(received, expected, 'every delivery arrived');
    assert.equal(duplicated, 0, 'a Postgres outage never re-sends (the outcome waits in the workflow history)');
    const evictedMidTask = worker.output().split(EVICTED_MID_TASK).length - 1;
    assert.equal(evictedMidTask, 0, `no run was evicted while its local activities ran (${evictedMidTask} results dropped, cache ${SMALL_CACHE})`);

    // At the receivers: the flaky one saw each delivery exactly twice (500, then 200), the other once.
    assert.deepEqual([...new Set(flaky.requests.values())], [2], 'flaky receiver: two requests per delivery');
    assert.deepEqual([...new Set(ok.requests.values())], [1], 'healthy receiver: one request per delivery');

    // In Postgres: attempts 1..n without gaps or duplicates; no failure of Postgres recorded as an attempt.
    const rows = (await stack.db.dataSource.query(
      `SELECT d.id, d.subscription_id, d.attempt_count, array_agg(a.number ORDER BY a.number) AS numbers,
              array_agg(a.status_code ORDER BY a.number) AS codes, array_agg(coalesce(a.error_kind, '') ORDER BY a.number) AS kinds
         FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id
        GROUP BY d.id`,
    )) as { id: string; subscription_id: string; attempt_count: number; numbers: number[]; codes: number[]; kinds: string[] }[];
    assert.equal(rows.length, expected);
    for (const r of rows) {
      const flakyOne = r.subscription_id === flakySubscription.id;
      assert.deepEqual(r.numbers, flakyOne ? [1, 2] : [1], `attempt numbers of ${r.id}`);
      assert.equal(r.attempt_count, r.numbers.length, `attempt count of ${r.id}`);
      assert.deepEqual(r.codes, flakyOne ? [500, 200] : [200], `status codes of ${r.id}`);
      assert.deepEqual(r.kinds, flakyOne ? ['http_status', ''] : [''], `error kinds of ${r.id}`);
    }
  });
});
