/**
 * Durable accept while Temporal is away: with the Temporal server killed, every POST /v1/events
 * still gets its 202 at once (the row is committed; nothing waits on Temporal) and /ready stays
 * 200. Once a server is back on the same address, the API's dispatcher catches up on its own:
 * every event is delivered exactly once, none lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { freePort } from '../../libs/devstack/ports';
import type { RunningTemporal } from '../../libs/devstack/temporal-dev-server';
import { createSubscription } from '../support/admin-api';
import { eventually } from '../support/engine';
import { reportReliability, startCountingReceiver, type CountingReceiver } from '../support/load';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startStack, type TestStack } from '../support/stack';
import { startPrivateTemporal } from '../support/temporal';

const BEFORE = 10;
const DURING = 200;
/** Generous: a 202 that waited on Temporal would take the client's deadline, seconds. */
const ACCEPT_BOUND_MS = 1_000;

describe('ingest while the Temporal server is unreachable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-temporal-outage-'));
  let port: number;
  let temporal: RunningTemporal | undefined;
  let stack: TestStack;
  let worker: HeraldProcess;
  let receiver: CountingReceiver;
  before(async () => {
    port = await freePort();
    temporal = await startPrivateTemporal({ dbFile: join(dir, 'temporal.db'), port });
    stack = await startStack({ TEMPORAL_ADDRESS: temporal.address }, { worker: false });
    worker = spawnHerald('worker', envFor(stack.config));
    receiver = await startCountingReceiver();
  });
  after(async () => {
    await worker?.stop();
    await receiver?.close();
    await stack?.stop();
    await temporal?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (id: string): Promise<{ status: number; ms: number }> => {
    const t0 = performance.now();
    const res = await stack.api('/v1/events', { method: 'POST', json: { id, type: 'image.created', data: SAMPLE_IMAGE_CREATED } });
    return { status: res.status, ms: performance.now() - t0 };
  };

  it('answers 202 at once, then delivers every event exactly once when Temporal is back', { timeout: 300_000 }, async () => {
    await createSubscription(stack, { url: receiver.url, eventTypes: ['image.*'] });
    for (let i = 0; i < BEFORE; i++) assert.equal((await post(`evt_pre_outage_${i}`)).status, 202);
    await eventually(async () => receiver.received.size === BEFORE, 60_000, 'the deliveries before the outage');

    temporal!.process.kill('SIGKILL');
    temporal = undefined;
    const down = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        const mine: { id: string; status: number; ms: number }[] = [];
        for (let i = lane; i < DURING; i += 8) mine.push({ id: `evt_outage_${i}`, ...(await post(`evt_outage_${i}`)) });
        return mine;
      }),
    ).then((lanes) => lanes.flat());
    const ready = await stack.api('/ready');
    const unstarted = (await stack.db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE workflow_started_at IS NULL`))[0].n as number;
    const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
    const ms = { p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.ceil(sorted.length * 0.99) - 1] };
    const slowest = sorted[sorted.length - 1];

    assert.deepEqual(
      answers.filter((a) => a.status !== 202),
      [],
      'every event accepted while Temporal is down',
    );
    assert.ok(slowest < ACCEPT_BOUND_MS, `slowest 202 took ${Math.round(slowest)} ms`);
    assert.equal(ready.status, 200, `/ready takes events without Temporal: ${JSON.stringify(ready.body)}`);
    assert.deepEqual(ready.body.checks, { postgres: 'up', temporal: 'down' });
    assert.equal(unstarted, DURING, 'committed, waiting for their workflows');
    await new Promise((r) => setTimeout(r, 3_000)); // the dispatcher fails a few rounds and backs off

    temporal = await startPrivateTemporal({ dbFile: join(dir, 'temporal.db'), port });
    const back = Date.now();
    await eventually(async () => receiver.received.size === BEFORE + DURING, 180_000, 'every accepted event delivered');
    const caughtUpMs = Date.now() - back;
    await new Promise((r) => setTimeout(r, 3_000)); // a duplicate would arrive meanwhile
    const duplicated = receiver.total() - receiver.received.size;
    reportReliability({
      scenario: 'Temporal unreachable during ingest',
      expected: BEFORE + DURING,
      received: receiver.received.size,
      lost: BEFORE + DURING - receiver.received.size,
      duplicated,
      notes: `${DURING} events posted during a ${((back - down) / 1000).toFixed(1)} s outage, all 202 (p50 ${Math.round(ms.p50)} ms, p99 ${Math.round(ms.p99)} ms, slowest ${Math.round(slowest)} ms), /ready 200; all delivered ${(caughtUpMs / 1000).toFixed(1)} s after the restart`,
    });
    assert.equal(receiver.received.size, BEFORE + DURING);
    assert.equal(duplicated, 0, 'each delivery received once');
    assert.equal((await stack.db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE workflow_started_at IS NULL`))[0].n, 0);
  });
});
