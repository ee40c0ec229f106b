/**
 * The outbox's dispatchers (libs/temporal/dispatcher.ts) share the events table: two of them,
 * each on its own pool like two API replicas, race over the same events, and every event's
 * workflow is started exactly once, none skipped; a starter that fails (Temporal away) makes
 * them back off and catch up afterwards, still once per event. Claims are fair (issue #21): a
 * tenant's burst does not hold up another tenant's fresh event, weights set the shares, and a
 * tenant beyond the claim's size is never starved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../libs/db/data-source';
import { createStores } from '../../libs/db/repositories';
import { Dispatcher, type EventStarter } from '../../libs/temporal/dispatcher';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventWorkflowId } from '../../libs/temporal/names';
import { eventually, testSecretBox } from '../support/engine';
import { seedEvent, seedSubscription } from '../support/seed';

const EVENTS = 200;

/**
 * Counts starts per event id; `down()` makes every start fail like an unreachable Temporal
 * (`hangs`: each failing start and ping takes its whole deadline, like a partitioned replica).
 */
function countingStarter(
  opts: { hangs?: boolean; starts?: Map<string, number> } = {},
): EventStarter & { starts: Map<string, number>; order: { id: string; tenant?: string; weight?: number }[]; failures: number; down(v: boolean): void } {
  let isDown = false;
  const unreachable = async (timeoutMs = 0): Promise<never> => {
    if (opts.hangs) await new Promise((r) => setTimeout(r, timeoutMs));
    throw new Error('Temporal unreachable');
  };
  const s = {
    starts: opts.starts ?? new Map<string, number>(),
    failures: 0,
    down: (v: boolean) => void (isDown = v),
    /** Each successful start in order, with the tenant it was started for. */
    order: [] as { id: string; tenant?: string; weight?: number }[],
    async startEvent(id: string, o: { timeoutMs?: number; tenant?: { id: string; weight?: number } } = {}) {
      await new Promise((r) => setTimeout(r, Math.random() * 4)); // a start's round trip
      if (isDown) {
        s.failures++;
        await unreachable(o.timeoutMs);
      }
      s.starts.set(id, (s.starts.get(id) ?? 0) + 1);
      s.order.push({ id, tenant: o.tenant?.id, weight: o.tenant?.weight });
    },
    async ping(o: { timeoutMs: number }) {
      if (isDown) await unreachable(o.timeoutMs);
    },
  };
  return s;
}

describe('dispatchers racing over the outbox', () => {
  let db: TestDatabase;
  const pools: DataSource[] = [];
  before(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < 2; i++) pools.push(await createDataSource(db.url, { applicationName: `dispatcher-${i}`, poolSize: 4 }).initialize());
  });
  after(async () => {
    for (const p of pools) await p.destroy();
    await db?.drop();
  });

  const unstarted = async (): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE workflow_started_at IS NULL`))[0].n as number;

  it(`starts each of ${EVENTS} events once, woken by two "APIs" and sweeping, none skipped`, async () => {
    const starter = countingStarter();
    // Small claims and short sweeps: many claims interleave.
    const dispatchers = pools.map((p) => new Dispatcher(createStores(p).events, starter, { batch: 7, concurrency: 4, sweepMs: 50 }).start());
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < EVENTS; i += 8) {
          ids.push((await seedEvent(db.dataSource, { workflowStartedAt: null })).id);
          for (const d of dispatchers) d.wake(); // both see every commit: the worst case for a race
        }
      }),
    );
    await eventually(async () => (await unstarted()) === 0 && starter.starts.size === EVENTS, 30_000, 'every event started');
    for (const d of dispatchers) await d.stop();
    const twice = [...starter.starts].filter(([, n]) => n !== 1);
    assert.deepEqual(twice, [], 'no event started twice');
    assert.deepEqual(
      ids.filter((id) => !starter.starts.has(id)),
      [],
      'no event skipped',
    );
    assert.equal(await unstarted(), 0);
  });

  it('backs off while starts fail and starts every event once when they succeed again', async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    starter.down(true);
    const dispatchers = pools.map((p) =>
      new Dispatcher(createStores(p).events, starter, { batch: 25, concurrency: 4, sweepMs: 60_000, backoffMs: { initial: 50, max: 400 } }).start(),
    );
    const ids = [];
    for (let i = 0; i < EVENTS; i++) {
      ids.push((await seedEvent(db.dataSource, { workflowStartedAt: null })).id);
      for (const d of dispatchers) d.wake();
    }
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(starter.starts.size, 0);
    assert.equal(await unstarted(), EVENTS, 'nothing marked started while every start fails');
    // Backing off: a failed round stops its claim at the first failure, and rounds are spaced out.
    assert.ok(starter.failures < 100, `${starter.failures} failed starts in 1 s`);
    starter.down(false);
    // No wake: the backoff timers alone catch up (the sweep is a minute away).
    await eventually(async () => (await unstarted()) === 0 && starter.starts.size === EVENTS, 30_000, 'caught up');
    for (const d of dispatchers) await d.stop();
    assert.deepEqual(
      [...starter.starts].filter(([, n]) => n !== 1),
      [],
      'no event started twice',
    );
    assert.deepEqual(
      ids.filter((id) => !starter.starts.has(id)),
      [],
      'no event skipped',
    );
  });

  it('leaves the events to a replica that reaches Temporal: a cut-off one claims nothing after its first failure', async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starts = new Map<string, number>();
    const cut = countingStarter({ hangs: true, starts });
    cut.down(true);
    const healthy = countingStarter({ starts });
    const opts = { batch: 10, concurrency: 2, startTimeoutMs: 1_000, backoffMs: { initial: 50, max: 200 } };
    const ids = [];
    for (let i = 0; i < 50; i++) ids.push((await seedEvent(db.dataSource, { workflowStartedAt: null })).id);
    // Started once every event is in: its first claim then holds a full batch (started before,
    // a slow machine let that claim see only the first event, and one lane).
    const cutOff = new Dispatcher(createStores(pools[0]).events, cut, { ...opts, sweepMs: 0 }).start();
    cutOff.wake(); // the cut-off replica claims first and holds its claim for a start deadline
    await new Promise((r) => setTimeout(r, 100));
    const good = new Dispatcher(createStores(pools[1]).events, healthy, { ...opts, sweepMs: 100 }).start();
    await eventually(async () => (await unstarted()) === 0, 15_000, 'the healthy replica starts them all');
    await good.stop();
    await cutOff.stop();
    assert.equal(cut.failures, 2, 'one failed start per lane of its first claim, then only pings');
    assert.deepEqual(
      [...starts].filter(([, n]) => n !== 1),
      [],
    );
    assert.deepEqual(
      ids.filter((id) => !starts.has(id)),
      [],
    );
  });
  /** `n` unstarted events of `tenantId`, received `ageMs` ago, 1 ms apart (oldest first); their ids. */
  async function backlog(tenantId: string, n: number, ageMs: number): Promise<string[]> {
    await db.dataSource.query(`INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING`, [tenantId]);
    const rows: { id: string }[] = await db.dataSource.query(
      `INSERT INTO events (id, tenant_id, type, data, received_at)
       SELECT 'evt_' || $1 || '_' || lpad(i::text, 5, '0'), $1, 'image.created', '{}', now() - make_interval(secs => ($3::float8 - i) / 1000)
         FROM generate_series(1, $2) AS i
       RETURNING id`,
      [tenantId, n, ageMs],
    );
    return rows.map((r) => r.id);
  }

  const exactlyOnce = (starter: { starts: Map<string, number> }, ids: string[]): void => {
    assert.deepEqual(
      [...starter.starts].filter(([, n]) => n !== 1),
      [],
      'no event started twice',
    );
    assert.deepEqual(
      ids.filter((id) => !starter.starts.has(id)),
      [],
      'no event skipped',
    );
  };

  it("starts another tenant's fresh event in the next claim, not after a burst; two dispatchers, each event once", async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    const burst = await backlog('burst', 600, 60_000);
    const fresh = await backlog('fresh', 1, 0);
    const batch = 20;
    const dispatchers = pools.map((p) => new Dispatcher(createStores(p).events, starter, { batch, concurrency: 4, sweepMs: 0 }));
    for (const d of dispatchers) d.start();
    await eventually(async () => starter.starts.size === 601, 30_000, 'every event started');
    for (const d of dispatchers) await d.stop();
    exactlyOnce(starter, [...burst, ...fresh]);
    // Oldest first over the whole table (before issue #21) started it 601st. Fair: each claim of
    // a dispatcher gives the two backlogged tenants half of it each, so it is in the first claims.
    const at = starter.order.findIndex((s) => s.id === fresh[0]);
    assert.ok(at < 2 * batch, `the fresh event was started ${at + 1}th of 601`);
    assert.deepEqual(starter.order[at], { id: fresh[0], tenant: 'fresh', weight: 1 }, 'started with its tenant as fairness key');
    // Each tenant's own events start oldest first, claim by claim (lanes may swap neighbours within one claim).
    const burstOrder = starter.order.filter((s) => s.tenant === 'burst').map((s) => burst.indexOf(s.id));
    assert.ok(
      burstOrder.every((n, i) => Math.abs(n - i) < 2 * batch),
      'the burst is started in the order it was received',
    );
  });

  it('shares claims by weight while tenants are backlogged: weights 1 and 4 get 1:4 of the starts', async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    const light = await backlog('light', 400, 60_000);
    const heavy = await backlog('heavy', 400, 30_000);
    await db.dataSource.query(`UPDATE tenants SET weight = 4 WHERE id = 'heavy'`);
    const dispatchers = pools.map((p) => new Dispatcher(createStores(p).events, starter, { batch: 20, concurrency: 4, sweepMs: 0 }));
    for (const d of dispatchers) d.start();
    await eventually(async () => starter.starts.size === 800, 30_000, 'every event started');
    for (const d of dispatchers) await d.stop();
    exactlyOnce(starter, [...light, ...heavy]);
    // While both are backlogged: up to the heavy tenant's last start (it drains first at 4:1).
    const lastHeavy = starter.order.map((s) => s.tenant).lastIndexOf('heavy');
    const window = starter.order.slice(0, lastHeavy + 1);
    const lightShare = window.filter((s) => s.tenant === 'light').length / window.length;
    assert.ok(Math.abs(lightShare / 0.2 - 1) <= 0.25, `light's share ${lightShare.toFixed(3)} of the starts while both were backlogged (expected 0.2 ± 25 %)`);
    assert.ok(
      starter.order.filter((s) => s.tenant === 'heavy').every((s) => s.weight === 4),
      "the heavy tenant's starts carry its weight",
    );
  });

  it('never starves a tenant when more tenants are backlogged than a claim holds: the oldest heads go first', async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    const ids: string[] = [];
    // 30 tenants; the one last in id order has the oldest events, the first in id order the newest.
    for (let t = 29; t >= 0; t--) ids.push(...(await backlog(`t${String(t).padStart(2, '0')}`, 5, 10_000 + t * 100)));
    const dispatcher = new Dispatcher(createStores(pools[0]).events, starter, { batch: 10, concurrency: 1, sweepMs: 0 });
    const first = await dispatcher.dispatchOnce();
    assert.equal(first.claimed, 10);
    assert.equal(first.more, true, 'more tenants were waiting than took part');
    assert.deepEqual(
      [...new Set(starter.order.map((s) => s.tenant))].sort(),
      ['t20', 't21', 't22', 't23', 't24', 't25', 't26', 't27', 't28', 't29'],
      'the ten tenants whose oldest event is oldest, one event each',
    );
    assert.equal(await dispatcher.drain(), 140);
    await dispatcher.stop();
    exactlyOnce(starter, ids);
  });

  it("admits at most a window of a tenant's events not yet matched, starts another tenant's event beside a full one, and drains as matching frees room", async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    const burst = await backlog('burst', 50, 60_000);
    const unmatched = async (): Promise<string[]> =>
      (await db.dataSource.query(`SELECT id FROM events WHERE workflow_started_at IS NOT NULL AND NOT matched ORDER BY id`)).map((r: { id: string }) => r.id);
    const dispatcher = new Dispatcher(createStores(pools[0]).events, starter, { batch: 20, concurrency: 1, sweepMs: 0, window: 8, windowPollMs: 5 });
    const first = await dispatcher.dispatchOnce();
    assert.deepEqual([first.claimed, first.more], [8, true], 'the first claim fills the window and no more');
    assert.deepEqual(await unmatched(), burst.slice(0, 8));
    const second = await dispatcher.dispatchOnce();
    assert.deepEqual([second.claimed, second.more, second.full], [0, true, true], 'full while none of them is matched: nothing claimed, claim again soon');
    // Another tenant's event is not held by the burst's window: its own is empty.
    const fresh = await backlog('fresh', 1, 0);
    assert.equal((await dispatcher.dispatchOnce()).claimed, 1);
    assert.deepEqual(starter.order.slice(8), [{ id: fresh[0], tenant: 'fresh', weight: 1 }]);
    // A worker matches three of the burst's events: three more are admitted.
    await db.dataSource.query(`UPDATE events SET matched = true WHERE id = ANY($1)`, [[...burst.slice(0, 3), fresh[0]]]);
    assert.equal((await dispatcher.dispatchOnce()).claimed, 3);
    // Woken once, the dispatcher drains the rest by itself as a "worker" matches what it started,
    // and never has more than the window of them waiting.
    let most = 0;
    const worker = setInterval(() => {
      void unmatched().then(async (ids) => {
        most = Math.max(most, ids.length);
        await db.dataSource.query(`UPDATE events SET matched = true WHERE id = ANY($1)`, [ids.slice(0, 2)]);
      });
    }, 10);
    dispatcher.start();
    await eventually(async () => starter.starts.size === 51, 30_000, 'every event started');
    clearInterval(worker);
    await dispatcher.stop();
    assert.ok(most <= 8, `at most the window waited unmatched (${most})`);
    exactlyOnce(starter, [...burst, ...fresh]);
    assert.deepEqual(
      starter.order.filter((s) => s.tenant === 'burst').map((s) => s.id),
      burst,
      'oldest first',
    );
  });

  it('while the windows are full, polls with the window lookup alone and claims again once room frees, when woken, or after fullReclaimMs', async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    const burst = await backlog('burst', 30, 60_000);
    const events = createStores(pools[0]).events;
    const calls = { claims: 0, lookups: 0 };
    const outbox = {
      dispatchUnstarted: (...a: Parameters<typeof events.dispatchUnstarted>) => (calls.claims++, events.dispatchUnstarted(...a)),
      unfinished: (...a: Parameters<typeof events.unfinished>) => (calls.lookups++, events.unfinished(...a)),
    };
    const reclaimMs = 3_000;
    const dispatcher = new Dispatcher(outbox, starter, { batch: 20, concurrency: 1, sweepMs: 0, window: 4, windowPollMs: 5, fullReclaimMs: reclaimMs }).start();
    await eventually(async () => starter.starts.size === 4, 10_000, 'the window filled');
    const claimsWhenFull = calls.claims;
    await new Promise((r) => setTimeout(r, 300)); // ~60 polls, none of them matched
    assert.ok(calls.lookups >= 10, `polled (${calls.lookups} lookups)`);
    // A claim each poll before (~60): now the full round that found the windows full, no other.
    assert.ok(calls.claims <= claimsWhenFull + 1, `no claim while nothing freed room (${calls.claims - claimsWhenFull} claims)`);
    assert.equal(starter.starts.size, 4);
    // Room frees: claimed at once.
    await db.dataSource.query(`UPDATE events SET matched = true WHERE id = ANY($1)`, [burst.slice(0, 2)]);
    await eventually(async () => starter.starts.size === 6, 2_000, 'two more admitted');
    // Woken (an event committed here): claimed at once, not at the next reclaim.
    const [mine] = await backlog('mine', 1, 0);
    const asked = Date.now();
    dispatcher.wake();
    await eventually(async () => starter.starts.has(mine), reclaimMs, 'the woken claim');
    assert.ok(Date.now() - asked < reclaimMs, 'a wake does not wait for the reclaim');
    // Another tenant's event committed by another API (no wake here): claimed at the reclaim.
    const [other] = await backlog('other', 1, 0);
    await eventually(async () => starter.starts.has(other), 3 * reclaimMs, "the other tenant's event claimed");
    await dispatcher.stop();
    exactlyOnce(starter, [...burst.slice(0, 6), other, mine]);
  });

  it("counts an event in its tenant's window until its first attempts go out: matched with a first attempt to make; not once its POST is on the wire, handed over, recorded, or waiting for its stream's turn", async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    const burst = await backlog('firsts', 12, 60_000);
    const sub = await seedSubscription(db.dataSource, testSecretBox(), { url: 'http://127.0.0.1:9/hook', tenantId: 'firsts' });
    const dispatcher = new Dispatcher(createStores(pools[0]).events, starter, { batch: 20, concurrency: 1, sweepMs: 0, window: 4, windowPollMs: 5 });
    assert.equal((await dispatcher.dispatchOnce()).claimed, 4, 'the window fills');
    const [making, sending, handed, waitingTurn] = burst.slice(0, 4);
    // A "worker" matches all four: each gets a delivery its event workflow holds, no attempt recorded yet.
    await db.dataSource.query(`UPDATE events SET matched = true, matched_at = now() WHERE id = ANY($1)`, [burst.slice(0, 4)]);
    await db.dataSource.query(
      `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, workflow_id, created_at, updated_at)
       SELECT 'dlv_' || e, e, $2, 'firsts', 'image.created', 'pending', 'event:' || e, now(), now() FROM unnest($1::text[]) AS e`,
      [burst.slice(0, 4), sub.id],
    );
    assert.equal(eventWorkflowId(making), `event:${making}`);
    await db.dataSource.query(`UPDATE deliveries SET status = 'delivering', sending_attempt = 1 WHERE event_id = $1`, [sending]);
    const claim = async (): Promise<number> => (await dispatcher.dispatchOnce()).claimed;
    assert.equal(
      await claim(),
      1,
      "matched is not enough: three still have their first attempt to make; the one whose POST is on the wire is done (a hanging receiver must not hold its tenant's window)",
    );
    // One handed over to its delivery workflow (e.g. its subscription is paused), one an ordered
    // delivery behind an earlier event of its stream: they wait on time or on another event.
    await db.dataSource.query(`UPDATE deliveries SET workflow_id = 'delivery:' || event_id || ':' || subscription_id WHERE event_id = $1`, [handed]);
    await db.dataSource.query(`UPDATE deliveries SET ordering_key = '', sequence = 2 WHERE event_id = $1`, [waitingTurn]);
    assert.equal(await claim(), 2, 'two more freed');
    // The three just started match no subscription: done at once; one still counts.
    await db.dataSource.query(`UPDATE events SET matched = true, matched_at = now() WHERE id = ANY($1)`, [burst.slice(4, 7)]);
    assert.equal(await claim(), 3, 'one counts: the one about to make its attempt');
    // Its first attempt recorded: room again, beside the three unmatched.
    await db.dataSource.query(`UPDATE deliveries SET attempt_count = 1, status = 'succeeded' WHERE event_id = $1`, [making]);
    assert.equal(await claim(), 1);
    const last = await dispatcher.dispatchOnce();
    assert.deepEqual([last.claimed, last.full], [0, true], 'the four last started count: the twelfth waits');
    await dispatcher.stop();
    exactlyOnce(starter, burst.slice(0, 11));
  });

  it('claims a lone tenant in full batches, oldest first', async () => {
    await db.dataSource.query(`DELETE FROM events`);
    const starter = countingStarter();
    const ids = await backlog('alone', 45, 5_000);
    const dispatcher = new Dispatcher(createStores(pools[0]).events, starter, { batch: 20, concurrency: 1, sweepMs: 0 });
    const rounds = [await dispatcher.dispatchOnce(), await dispatcher.dispatchOnce(), await dispatcher.dispatchOnce()];
    assert.deepEqual(
      rounds.map((r) => [r.claimed, r.more]),
      [
        [20, true],
        [20, true],
        [5, false],
      ],
    );
    assert.deepEqual(
      starter.order.map((s) => s.id),
      ids,
      'in the order received',
    );
    await dispatcher.stop();
  });
});
