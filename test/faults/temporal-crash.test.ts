/**
 * kill -9 of the Temporal server while deliveries wait on their 1-minute retry timer, then a
 * restart on the same SQLite file: the timers fire, every delivery completes, none is lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Delivery } from '../../libs/db/entities';
import { freePort } from '../../libs/devstack/ports';
import type { RunningTemporal } from '../../libs/devstack/temporal-dev-server';
import { createSubscription } from '../support/admin-api';
import { eventually } from '../support/engine';
import { postEvents, reportReliability, startCountingReceiver, type CountingReceiver } from '../support/load';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startStack, type TestStack } from '../support/stack';
import { startPrivateTemporal } from '../support/temporal';

const EVENTS = 200;

describe('kill -9 of the Temporal server during retry timers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-temporal-crash-'));
  let port: number;
  let temporal: RunningTemporal;
  let stack: TestStack;
  let worker: HeraldProcess;
  let ok: CountingReceiver;
  let flaky: CountingReceiver;
  before(async () => {
    port = await freePort();
    temporal = await startPrivateTemporal({ dbFile: join(dir, 'temporal.db'), port });
    stack = await startStack({ TEMPORAL_ADDRESS: temporal.address }, { worker: false });
    worker = spawnHerald('worker', envFor(stack.config));
    ok = await startCountingReceiver({ delayMs: 10 });
    flaky = await startCountingReceiver({ failAttempts: 2 });
  });
  after(async () => {
    await worker?.stop();
    await ok?.close();
    await flaky?.close();
    await stack?.stop();
    await temporal?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes the timers after a restart on the same database file', { timeout: 300_000 }, async () => {
    for (const r of [ok, flaky]) await createSubscription(stack, { url: r.url, eventTypes: ['image.*'] });
    await postEvents(stack, EVENTS);
    const repo = stack.db.dataSource.getRepository(Delivery);
    // Every flaky delivery has failed twice: it waits on its 1-minute timer (or is already past it).
    const flakySubscription = (await stack.db.dataSource.query(`SELECT id FROM subscriptions WHERE url = $1`, [flaky.url]))[0].id as string;
    await eventually(
      async () =>
        (await stack.db.dataSource.query(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND attempt_count >= 2`, [flakySubscription]))[0]
          .n === EVENTS,
      120_000,
      'flaky deliveries on their timer',
    );
    const waiting = await repo.countBy({ subscriptionId: flakySubscription, status: 'retrying' });
    temporal.process.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3_000));
    temporal = await startPrivateTemporal({ dbFile: join(dir, 'temporal.db'), port });

    await eventually(async () => (await repo.countBy({ status: 'succeeded' })) === EVENTS * 2, 240_000, 'every delivery to succeed');
    const received = ok.received.size + flaky.received.size;
    const duplicated = ok.total() + flaky.total() - received;
    reportReliability({
      scenario: 'Temporal server kill -9 and restart',
      expected: EVENTS * 2,
      received,
      lost: EVENTS * 2 - received,
      duplicated,
      notes: `${waiting} deliveries were waiting on the 1-minute timer at the kill`,
    });
    assert.equal(received, EVENTS * 2);
    assert.ok(waiting > EVENTS / 2, `${waiting} deliveries waiting on a timer at the kill`);
    const third = await repo.countBy({ status: 'succeeded', attemptCount: 3 });
    assert.equal(third, EVENTS, 'the flaky deliveries succeeded on their timer-driven third attempt');
  });
});
