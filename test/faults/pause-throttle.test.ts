/**
 * Pause and throttle with worker processes of their own: a pause survives kill -9 of the worker,
 * and a throttle of 5 requests a second holds across three workers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Attempt, Delivery } from '../../libs/db/entities';
import { THROTTLE_LATE_MS, THROTTLE_TOLERANCE_MS } from '../../libs/domain/throttle';
import { createSubscription, uniqueTemplate } from '../support/admin-api';
import { eventually } from '../support/engine';
import { postEvents, reportReliability } from '../support/load';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startStack, type TestStack } from '../support/stack';

/** Records each request's webhook-id and arrival time; answers 200. */
async function arrivalsReceiver() {
  const arrivals: { id: string; at: number }[] = [];
  const server: Server = createServer((req, res) => {
    arrivals.push({ id: String(req.headers['webhook-id']), at: performance.timeOrigin + performance.now() });
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrivals,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Of sorted-or-not times: the span of the tightest `rate + 1` consecutive ones, the most in any 1 s window, and the whole span. */
function windowFigures(unsorted: number[], rate: number): { tightest: number; busiest: number; seconds: number } {
  const times = [...unsorted].sort((x, y) => x - y);
  let tightest = Infinity;
  for (let i = 0; i + rate < times.length; i++) tightest = Math.min(tightest, times[i + rate] - times[i]);
  let busiest = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  return { tightest, busiest, seconds: (times[times.length - 1] - times[0]) / 1000 };
}

describe('pause and throttle with worker processes', () => {
  let stack: TestStack;
  const workers: HeraldProcess[] = [];
  before(async () => {
    stack = await startStack({}, { worker: false });
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await stack?.stop();
  });
  const spawnWorker = (): HeraldProcess => {
    const w = spawnHerald('worker', envFor(stack.config));
    workers.push(w);
    return w;
  };

  it('keeps every paused delivery across kill -9 of the worker and sends each once after resume', { timeout: 180_000 }, async (t) => {
    const EVENTS = 40;
    const receiver = await arrivalsReceiver();
    t.after(receiver.close); // also when an assert fails: an open server would keep the run alive
    const templateId = uniqueTemplate();
    const sub = await createSubscription(stack, { url: receiver.url, templateIds: [templateId] });
    assert.equal((await stack.api(`/v1/subscriptions/${sub.id}/pause`, { method: 'POST' })).status, 200);
    const first = spawnWorker();
    await postEvents(stack, EVENTS, 8, `evt_pause_${Date.now().toString(36)}`, { templateId });
    const deliveries = stack.db.dataSource.getRepository(Delivery);
    await eventually(async () => (await deliveries.countBy({ subscriptionId: sub.id, status: 'paused' })) === EVENTS, 90_000, 'every delivery to park');
    await first.kill9();
    spawnWorker();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(receiver.arrivals.length, 0, 'nothing sent while paused');

    const resumed = await stack.api(`/v1/subscriptions/${sub.id}/resume`, { method: 'POST' });
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.paused, false);
    await eventually(async () => (await deliveries.countBy({ subscriptionId: sub.id, status: 'succeeded' })) === EVENTS, 90_000, 'every delivery to succeed');
    const ids = receiver.arrivals.map((a) => a.id);
    reportReliability({
      scenario: 'pause across worker kill -9',
      expected: EVENTS,
      received: new Set(ids).size,
      lost: EVENTS - new Set(ids).size,
      duplicated: ids.length - new Set(ids).size,
    });
    assert.equal(new Set(ids).size, EVENTS, 'every delivery arrived');
    assert.equal(ids.length, EVENTS, 'none twice');
    const numbers = await stack.db.dataSource.getRepository(Attempt).find({ where: { subscriptionId: sub.id }, select: { number: true } });
    assert.deepEqual([...new Set(numbers.map((a) => a.number))], [1], 'each delivery used one attempt: the wait consumed none');
  });

  it('never sends more than 5 requests in a second with rateLimitPerSecond 5 and three workers', { timeout: 240_000 }, async (t) => {
    const EVENTS = 200;
    const RATE = 5;
    while (workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length < 3) spawnWorker();
    const receiver = await arrivalsReceiver();
    t.after(receiver.close);
    const templateId = uniqueTemplate();
    const sub = await createSubscription(stack, { url: receiver.url, templateIds: [templateId], rateLimitPerSecond: RATE });
    const started = Date.now();
    await postEvents(stack, EVENTS, 8, `evt_throttle_${Date.now().toString(36)}`, { templateId });
    await eventually(async () => receiver.arrivals.length >= EVENTS, 200_000, 'every delivery to arrive');
    await new Promise((r) => setTimeout(r, 1000)); // a duplicate would show up now
    const ids = receiver.arrivals.map((a) => a.id);
    assert.equal(new Set(ids).size, EVENTS, 'all 200 arrived');
    assert.equal(ids.length, EVENTS, 'none twice');

    // Departures (each Attempt's start, in the worker) and arrivals: any RATE + 1 consecutive ones span at least a second,
    // less THROTTLE_LATE_MS for departures and the documented tolerance for arrivals.
    const departures = (await stack.db.dataSource.getRepository(Attempt).find({ where: { subscriptionId: sub.id } })).map((a) => a.startedAt.getTime());
    const arrivals = receiver.arrivals.map((a) => a.at);
    const d = windowFigures(departures, RATE);
    const a = windowFigures(arrivals, RATE);
    const [slots] = await stack.db.dataSource.query(`SELECT next_at FROM subscription_send_slots WHERE subscription_id = $1`, [sub.id]);
    const reserved = Math.round((slots.next_at.getTime() - Math.min(...departures)) / (1000 / RATE));
    process.stderr.write(
      `throttle: ${EVENTS} in ${a.seconds.toFixed(1)} s (${(EVENTS / a.seconds).toFixed(2)}/s), ~${reserved} slots taken; ` +
        `departures: busiest 1 s ${d.busiest}, tightest ${RATE + 1} ${d.tightest.toFixed(1)} ms; arrivals: busiest 1 s ${a.busiest}, tightest ${RATE + 1} ${a.tightest.toFixed(1)} ms; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s in all\n`,
    );
    // The slot is located to within half a round trip to Postgres (5 ms, or more after three slow reads).
    assert.ok(d.tightest >= 1000 - THROTTLE_LATE_MS - 20, `${RATE + 1} departures within ${d.tightest.toFixed(1)} ms`);
    assert.ok(a.tightest >= 1000 - THROTTLE_TOLERANCE_MS, `${RATE + 1} arrivals within ${a.tightest.toFixed(1)} ms`);
    assert.ok(a.seconds >= (EVENTS - 1) / RATE - 1, `200 arrivals at 5/s take at least 40 s, took ${a.seconds.toFixed(1)} s`);
  });
});
