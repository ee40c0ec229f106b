/**
 * Ordered delivery on the time-skipping server: the real event and delivery workflows and
 * activities, real Postgres, a real HTTP receiver. Each request's virtual time is read from the
 * server while the request is held (time does not skip while a workflow task or activity runs).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { Delivery, type Event } from '../../libs/db/entities';
import { deliveryWorkflowId, eventWorkflowId } from '../../libs/temporal/names';
import { eventWorkflow } from '../../workflows/event.workflow';
import { sendTimes, testSecretBox, useTimeSkippingEngine } from '../support/engine';
import { seedEvent, seedSubscription } from '../support/seed';

const MIN = 60_000;
const TASK_QUEUE = 'ordered-tests';

interface Arrival {
  deliveryId: string;
  key: string;
  sequence: number;
  attempt: number;
  virtualMs: number;
}

describe('ordered delivery on the time-skipping server', () => {
  const engine = useTimeSkippingEngine(TASK_QUEUE);

  /** Answers `status(request)`; records each request with the server's virtual time. */
  async function receiver(status: (r: { key: string; sequence: number }) => number) {
    const arrivals: Arrival[] = [];
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        void engine.env.currentTimeMs().then((virtualMs) => {
          const arrival = {
            deliveryId: String(req.headers['webhook-id']),
            key: String(req.headers['x-herald-ordering-key']),
            sequence: Number(req.headers['x-herald-sequence']),
            attempt: Number(req.headers['x-herald-attempt']),
            virtualMs,
          };
          arrivals.push(arrival);
          res.writeHead(status(arrival)).end();
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    return { url, arrivals, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  const deliveryOf = (event: Event): Promise<Delivery> => engine.db.dataSource.getRepository(Delivery).findOneByOrFail({ eventId: event.id });

  // Every event workflow started now matches and attempts in one local activity (`fused`); an event
  // with a fifo delivery takes its turns as in the batched path (ordering came after batching: no
  // inline run has a fifo delivery).
  const firstAttempts = 'fused';
  it('a head exhausting its schedule is dead-lettered at 81 virtual minutes, the next of its key goes at once, other keys never wait', async () => {
    // The first of key A never succeeds.
    const rx = await receiver((r) => (r.key === 'A' && r.sequence === 1 ? 500 : 200));
    const sub = await seedSubscription(engine.db.dataSource, testSecretBox(), { url: rx.url, ordering: 'fifo' });
    // Accepted in this order (accept_seq); their workflows start in another, A2 first.
    const a1 = await seedEvent(engine.db.dataSource, { orderingKey: 'A' });
    const b1 = await seedEvent(engine.db.dataSource, { orderingKey: 'B' });
    const a2 = await seedEvent(engine.db.dataSource, { orderingKey: 'A' });
    const b2 = await seedEvent(engine.db.dataSource, { orderingKey: 'B' });
    const start = (e: Event) =>
      engine.env.client.workflow.start(eventWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: eventWorkflowId(e.id),
        args: [{ eventId: e.id, firstAttempts }],
      });

    // A2 first: its match creates A1's delivery first (acceptance order), so A1 is #1 and A2 waits for it.
    const [a2Run, a1Run, b2Run, b1Run] = [await start(a2), await start(a1), await start(b2), await start(b1)];

    await Promise.all([a1Run.result(), b1Run.result(), b2Run.result()]);
    await assert.rejects(
      engine.env.client.workflow.getHandle(deliveryWorkflowId(a1.id, sub.id)).result(),
      (err) => err instanceof WorkflowFailedError,
      "A1's delivery workflow fails: dead-lettered",
    );
    await a2Run.result();

    const [da1, da2, db1, db2] = await Promise.all([a1, a2, b1, b2].map(deliveryOf));
    assert.deepEqual(
      [da1, da2, db1, db2].map((d) => [d.orderingKey, d.sequence, d.status]),
      [
        ['A', 1, 'dead_lettered'],
        ['A', 2, 'succeeded'],
        ['B', 1, 'succeeded'],
        ['B', 2, 'succeeded'],
      ],
    );
    // The test server moves its clock to the next pending timer (A2's hourly re-check) even while
    // a local activity runs, so wall-clock offsets between attempts are not kept here: the
    // schedule is read from A1's timers as recorded, 0 + 1 + 5 + 15 + 60 = 81 virtual minutes.
    const a1Workflow = engine.env.client.workflow.getHandle(deliveryWorkflowId(a1.id, sub.id));
    const a1History = (await a1Workflow.fetchHistory()).events ?? [];
    const timers = a1History.flatMap((e) => (e.timerStartedEventAttributes ? [tsToMs(e.timerStartedEventAttributes.startToFireTimeout!) / MIN] : []));
    assert.deepEqual(timers, [1, 5, 15, 60], 'A1 waited the fixed schedule between attempts 2…6 (attempt 2 at once)');
    // Handed over with `retries: 'local'`: attempts 2…6 are local activities of its delivery workflow, no send activity.
    assert.equal((await sendTimes(a1Workflow)).length, 0, 'attempts 2…6 made locally');
    assert.ok(a1History[a1History.length - 1].workflowExecutionFailedEventAttributes, 'A1 dead-lettered: its workflow failed');
    const a1Requests = rx.arrivals.filter((a) => a.deliveryId === da1.id);
    assert.equal(a1Requests.length, 6);
    // A2: nothing before A1's last attempt; woken by A1's release and sent with no wait in between.
    const a2Index = rx.arrivals.findIndex((a) => a.deliveryId === da2.id);
    assert.ok(a2Index > rx.arrivals.lastIndexOf(a1Requests[5]), 'A2 arrived after A1 ended');
    assert.equal(rx.arrivals.filter((a) => a.deliveryId === da2.id).length, 1);
    assert.equal(rx.arrivals[a2Index].sequence, 2);
    const a2History = (await a2Run.fetchHistory()).events ?? [];
    const wokenAt = a2History.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'streamTurn');
    assert.ok(wokenAt > 0, 'A2 was woken by the release of A1');
    assert.equal(a2History.filter((e) => e.workflowExecutionSignaledEventAttributes).length, 1, 'woken once');
    assert.equal(a2History.slice(wokenAt).filter((e) => e.timerStartedEventAttributes).length, 0, 'no wait after the wake-up');
    // B never waited on A: both in sequence …
    assert.deepEqual(
      rx.arrivals.filter((a) => a.key === 'B').map((a) => a.sequence),
      [1, 2],
    );
    // … and both arrived while A1 was still being retried (before its third attempt, which waits on a timer).
    const bLast = Math.max(...rx.arrivals.flatMap((a, k) => (a.key === 'B' ? [k] : [])));
    assert.ok(bLast < rx.arrivals.indexOf(a1Requests[2]), 'key B went on while A was held');
    // Every request of A1 carries its stream's key and sequence.
    assert.ok(rx.arrivals.filter((a) => a.deliveryId === da1.id).every((a) => a.key === 'A' && a.sequence === 1));
    await rx.close();
  });
});
