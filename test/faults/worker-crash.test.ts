/**
 * kill -9 of the worker in the middle of a load: every delivery still reaches its final state,
 * none is lost, and the only duplicates are attempts that were on the wire at the kill.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Delivery } from '../../libs/db/entities';
import { createSubscription } from '../support/admin-api';
import { eventually } from '../support/engine';
import { postEvents, reportReliability, startCountingReceiver, type CountingReceiver } from '../support/load';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startStack, type TestStack } from '../support/stack';

const EVENTS = 200;

describe('kill -9 of the worker mid-run', () => {
  let stack: TestStack;
  let ok: CountingReceiver;
  let flaky: CountingReceiver;
  const workers: HeraldProcess[] = [];
  before(async () => {
    stack = await startStack({}, { worker: false });
    ok = await startCountingReceiver({ delayMs: 20 });
    flaky = await startCountingReceiver({ failAttempts: 1, delayMs: 20 });
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await ok?.close();
    await flaky?.close();
    await stack?.stop();
  });

  it('loses no delivery', { timeout: 300_000 }, async () => {
    for (const r of [ok, flaky]) await createSubscription(stack, { url: r.url });
    const first = spawnHerald('worker', envFor(stack.config));
    workers.push(first);
    await postEvents(stack, EVENTS);
    await eventually(async () => ok.received.size + flaky.received.size >= EVENTS / 2, 120_000, 'half the deliveries');
    await first.kill9();
    const atKill = ok.received.size + flaky.received.size;
    workers.push(spawnHerald('worker', envFor(stack.config)));

    const repo = stack.db.dataSource.getRepository(Delivery);
    await eventually(async () => (await repo.countBy({ status: 'succeeded' })) === EVENTS * 2, 240_000, 'every delivery to succeed');
    const received = ok.received.size + flaky.received.size;
    const duplicated = ok.total() + flaky.total() - received;
    reportReliability({
      scenario: 'worker kill -9',
      expected: EVENTS * 2,
      received,
      lost: EVENTS * 2 - received,
      duplicated,
      notes: `killed after ${atKill} deliveries had arrived`,
    });
    assert.equal(received, EVENTS * 2, 'every delivery arrived');
    assert.ok(
      duplicated <= stack.config.worker.maxConcurrentActivities,
      `duplicates (${duplicated}) bounded by the attempts that can be in flight at the kill`,
    );
    assert.ok(atKill < EVENTS * 2, 'the kill happened mid-run');
  });
});
