/**
 * Fair under bursts (issue #21), end to end on real Temporal (the dev server with task-queue
 * fairness on, libs/temporal/fairness.ts) and real Postgres: one tenant's burst does not hold up
 * another tenant's events, weights set the shares, and every event of every tenant arrives
 * exactly once. The dispatcher's own fairness, with two replicas, is test/e2e/dispatch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSubscription, imageCreated } from '../support/admin-api';
import { eventually } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

const BURST = 1_000;
const QUIET = 20;
const QUIET_EVERY_MS = 250;
/** The quiet tenant's events before its idle figure, not counted. */
const WARM_UP = 5;

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

describe('fair under bursts: real Temporal with fairness on, real Postgres', { timeout: 900_000 }, () => {
  let stack: TestStack;
  const receivers: Receiver[] = [];
  /** When the API answered 202, by event id. */
  const accepted = new Map<string, number>();

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  /** A receiver answering 200 and a subscription of the tenant to it (envelope: the body names the event). */
  async function endpoint(tenantId: string, weight = 1): Promise<Receiver> {
    assert.ok((await stack.api(`/v1/tenants/${tenantId}`, { method: 'PUT', json: { name: tenantId, weight } })).status < 300);
    const receiver = await startReceiver({ kind: 'status', status: 200 });
    receivers.push(receiver);
    await createSubscription(stack, { tenantId, url: receiver.url, payloadFormat: 'envelope' });
    return receiver;
  }

  /** Posts the event; a request that got no answer (a reset connection) is posted again with the same id, as a producer does. */
  async function post(tenantId: string, id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await stack.api('/v1/events', { method: 'POST', json: imageCreated({ id, tenantId }) });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        if (!accepted.has(id)) accepted.set(id, Date.now());
        return;
      } catch (err) {
        if (attempt >= 5 || err instanceof assert.AssertionError) throw err;
      }
    }
  }

  /** `n` events of the tenant, `concurrency` requests in flight: a burst. */
  async function burst(tenantId: string, ids: string[], concurrency = 16): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ids.length) await post(tenantId, ids[next++]);
      }),
    );
  }

  /** Each event's first arrival (epoch ms). */
  function arrivals(receiver: Receiver): Map<string, number> {
    const at = new Map<string, number>();
    for (const r of receiver.requests) {
      const id = (JSON.parse(r.body) as { id: string }).id;
      if (!at.has(id)) at.set(id, r.receivedAt);
    }
    return at;
  }

  /**
   * Every event delivered, exactly once: one delivery (one `webhook-id`, what receivers dedupe
   * on) per event, succeeded. A request repeated for a delivery is only ever a later attempt of
   * it (an inline attempt cut off by a lost workflow task is recorded `interrupted` and tried
   * again: at least once), never a second delivery; how many is reported.
   */
  async function deliveredOnce(receiver: Receiver, eventIds: string[], what: string): Promise<void> {
    const byEvent = new Map<string, { webhookIds: Set<string>; attempts: number[] }>();
    for (const r of receiver.requests) {
      const id = (JSON.parse(r.body) as { id: string }).id;
      const seen = byEvent.get(id) ?? { webhookIds: new Set(), attempts: [] };
      seen.webhookIds.add(r.headers['webhook-id']);
      seen.attempts.push(Number(r.headers['x-herald-attempt']));
      byEvent.set(id, seen);
    }
    assert.deepEqual(
      eventIds.filter((id) => !byEvent.has(id)),
      [],
      `${what}: every event arrived`,
    );
    assert.equal(byEvent.size, eventIds.length, `${what}: nothing else arrived`);
    const repeated = [...byEvent].filter(([, s]) => s.attempts.length > 1);
    for (const [id, s] of byEvent) {
      assert.equal(s.webhookIds.size, 1, `${what}: ${id} is one delivery`);
      assert.equal(new Set(s.attempts).size, s.attempts.length, `${what}: ${id}: no attempt sent twice (${s.attempts.join(', ')})`);
    }
    // The POST arrives before its attempt is recorded: wait for the rows.
    const succeeded = async (): Promise<{ event_id: string; status: string }[]> =>
      stack.db.dataSource.query(`SELECT event_id, status FROM deliveries WHERE event_id = ANY($1)`, [eventIds]);
    await eventually(async () => (await succeeded()).filter((r) => r.status === 'succeeded').length === eventIds.length, 60_000, `${what}: all succeeded`);
    assert.equal((await succeeded()).length, eventIds.length, `${what}: one delivery row per event`);
    if (repeated.length > 0) process.stderr.write(`fairness: ${what}: ${repeated.length} deliveries needed a second attempt (an inline attempt interrupted)\n`);
  }

  const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}_${String(i).padStart(4, '0')}`);

  // The quiet tenant's bound (issue #21). It held in 8 runs of 8 with the window counting events
  // until their first attempts are made (8 × weight): p99 376 ms against a bound of 1,099 ms on a
  // quiet host, 421–792 ms against 1,102–1,561 ms at load average 2–10, and once 1,083 against
  // 1,150 ms (load ~6, other suites running: the closest). It fails first come, first served (the
  // burst drains in 15–30 s, more than twice the bound, asserted below). It does not tell the
  // window's variants apart on this host: without any window (fair claims and Temporal's fair
  // matching only) a quiet run gave p99 950 ms against 1,108 ms; the bench's `noisy` compares
  // those (bench/results/2026-12-03-fairness.md). Never loosen the bound to make it pass.
  it(`delivers a quiet tenant's events within a bound from its own idle latency while another's ${BURST}-event burst drains; each event once`, async () => {
    const suffix = Date.now().toString(36);
    const [noisy, quiet] = [`noisy_${suffix}`, `quiet_${suffix}`];
    const noisyReceiver = await endpoint(noisy);
    const quietReceiver = await endpoint(quiet);
    const quietLatencies = async (eventIds: string[]): Promise<number[]> => {
      await eventually(async () => eventIds.every((id) => arrivals(quietReceiver).has(id)), 120_000, "the quiet tenant's events");
      const at = arrivals(quietReceiver);
      return eventIds.map((id) => at.get(id)! - accepted.get(id)!);
    };
    const quietly = async (eventIds: string[]): Promise<void> => {
      for (const id of eventIds) {
        const tick = Date.now();
        await post(quiet, id);
        await new Promise((r) => setTimeout(r, Math.max(0, QUIET_EVERY_MS - (Date.now() - tick))));
      }
    };

    // 1. The quiet tenant alone: its idle figure, on this machine, now. A few events first, not
    // counted: the first of a new tenant and subscription is slower (caches, the worker's first
    // tasks), and an idle p99 inflated by it would loosen the bound.
    const warmIds = ids(`evt_warm_${suffix}`, WARM_UP);
    await quietly(warmIds);
    await quietLatencies(warmIds);
    const idleIds = ids(`evt_idle_${suffix}`, QUIET);
    await quietly(idleIds);
    const idle = await quietLatencies(idleIds);
    const idleP99 = percentile(idle, 99);

    // 2. The burst, and the quiet tenant posting beside it once the burst's backlog has built up.
    const burstIds = ids(`evt_burst_${suffix}`, BURST);
    const duringIds = ids(`evt_during_${suffix}`, QUIET);
    const started = Date.now();
    const burstPosted = burst(noisy, burstIds);
    burstPosted.catch(() => undefined); // awaited below; a failure before that must not outlive this test unreported
    await eventually(async () => burstIds.filter((id) => accepted.has(id)).length >= 200, 60_000, 'a backlog of the burst');
    await quietly(duringIds);
    const during = await quietLatencies(duringIds);
    await burstPosted;
    await eventually(async () => arrivals(noisyReceiver).size >= BURST, 600_000, 'the burst drained');
    const burstDrainMs = Date.now() - started;

    // The bound, from the idle figure. With fairness a quiet event waits, beyond its own idle
    // delivery, for at most: the dispatcher's claim in progress (its event is in the next claim,
    // test/e2e/dispatch), and one workflow-task slot of the worker to free, each held by one of
    // the burst's event workflows for about one idle delivery (on the task queue its task is next,
    // round robin by tenant). So about 3 × the idle p99; plus 1 s for the CPU the burst itself
    // takes from the shared machine (API, worker, Temporal and Postgres on the same cores). First
    // come, first served (before issue #21) it waits behind the whole burst: about its drain time.
    const bound = 3 * idleP99 + 1_000;
    const p99 = percentile(during, 99);
    const figures = `idle p50 ${percentile(idle, 50)} / p99 ${idleP99} ms, during the burst p50 ${percentile(during, 50)} / p99 ${p99} ms, bound ${bound} ms, burst drained in ${burstDrainMs} ms`;
    process.stderr.write(`fairness: ${figures}\n`);
    assert.ok(burstDrainMs > 2 * bound, `the burst outlasts the bound, so waiting behind it would fail this test (${figures})`);
    assert.ok(p99 <= bound, `the quiet tenant's p99 within the bound (${figures})`);

    // Exactly once, every event of both tenants.
    await deliveredOnce(noisyReceiver, burstIds, 'the burst');
    await deliveredOnce(quietReceiver, [...warmIds, ...idleIds, ...duringIds], 'the quiet tenant');
  });

  it('shares deliveries 1:1:4 (±25 %) among tenants of weights 1, 1 and 4 while all three are backlogged', async () => {
    const suffix = Date.now().toString(36);
    const tenants = [
      { id: `w1a_${suffix}`, weight: 1 },
      { id: `w1b_${suffix}`, weight: 1 },
      { id: `w4_${suffix}`, weight: 4 },
    ];
    const per = 60; // events per unit of weight: 60, 60 and 240, so all three stay backlogged about as long
    const rx = await Promise.all(tenants.map((t) => endpoint(t.id, t.weight)));
    const eventIds = tenants.map((t) => ids(`evt_${t.id}`, per * t.weight));
    // Posted interleaved, so no tenant is ahead merely by posting first.
    const order = eventIds.flatMap((list, t) => list.map((id, i) => ({ id, tenantId: tenants[t].id, at: i / tenants[t].weight }))).sort((a, b) => a.at - b.at);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < order.length) {
          const e = order[next++];
          await post(e.tenantId, e.id);
        }
      }),
    );
    const total = eventIds.reduce((n, l) => n + l.length, 0);
    await eventually(async () => rx.reduce((n, r) => n + arrivals(r).size, 0) >= total, 600_000, 'every weighted event delivered');

    const all = rx.flatMap((r, t) => [...arrivals(r).values()].map((at) => ({ t, at }))).sort((a, b) => a.at - b.at);
    // While all three are backlogged: from the 10th delivery (the worker is busy) until the first tenant's last one.
    const from = all[9].at;
    const until = Math.min(...rx.map((r) => Math.max(...[...arrivals(r).values()])));
    const window = all.filter((a) => a.at > from && a.at <= until);
    const shares = tenants.map((t, i) => window.filter((a) => a.t === i).length / window.length);
    const expected = tenants.map((t) => t.weight / 6);
    const figures = `shares ${shares.map((s) => s.toFixed(3)).join(' : ')} of ${window.length} deliveries in ${until - from} ms (expected ${expected.map((e) => e.toFixed(3)).join(' : ')})`;
    process.stderr.write(`fairness: ${figures}\n`);
    assert.ok(window.length >= total / 3, `the window holds a good part of the deliveries (${figures})`);
    for (let i = 0; i < tenants.length; i++)
      assert.ok(Math.abs(shares[i] / expected[i] - 1) <= 0.25, `${tenants[i].id} (weight ${tenants[i].weight}): ${figures}`);
    for (let i = 0; i < tenants.length; i++) await deliveredOnce(rx[i], eventIds[i], tenants[i].id);
  });
});
