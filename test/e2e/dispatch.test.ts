/**
 * The outbox's dispatchers (libs/temporal/dispatcher.ts) share the events table: two of them,
 * each on its own pool like two API replicas, race over the same events, and every event's
 * workflow is started exactly once, none skipped; a starter that fails (Temporal away) makes
 * them back off and catch up afterwards, still once per event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../libs/db/data-source';
import { createStores } from '../../libs/db/repositories';
import { Dispatcher, type EventStarter } from '../../libs/temporal/dispatcher';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/engine';
import { seedEvent } from '../support/seed';

const EVENTS = 200;

/**
 * Counts starts per event id; `down()` makes every start fail like an unreachable Temporal
 * (`hangs`: each failing start and ping takes its whole deadline, like a partitioned replica).
 */
function countingStarter(
  opts: { hangs?: boolean; starts?: Map<string, number> } = {},
): EventStarter & { starts: Map<string, number>; failures: number; down(v: boolean): void } {
  let isDown = false;
  const unreachable = async (timeoutMs = 0): Promise<never> => {
    if (opts.hangs) await new Promise((r) => setTimeout(r, timeoutMs));
    throw new Error('Temporal unreachable');
  };
  const s = {
    starts: opts.starts ?? new Map<string, number>(),
    failures: 0,
    down: (v: boolean) => void (isDown = v),
    async startEvent(id: string, o: { timeoutMs?: number } = {}) {
      await new Promise((r) => setTimeout(r, Math.random() * 4)); // a start's round trip
      if (isDown) {
        s.failures++;
        await unreachable(o.timeoutMs);
      }
      s.starts.set(id, (s.starts.get(id) ?? 0) + 1);
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
    const cutOff = new Dispatcher(createStores(pools[0]).events, cut, { ...opts, sweepMs: 0 }).start();
    const ids = [];
    for (let i = 0; i < 50; i++) ids.push((await seedEvent(db.dataSource, { workflowStartedAt: null })).id);
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
});
