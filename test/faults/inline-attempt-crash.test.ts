/**
 * kill -9 of the worker while the event workflow's inline first attempt is on the wire. The
 * local activity runs again when another worker replays the workflow task; its claim in
 * Postgres (deliveries.sending_attempt) stops it from sending attempt 1 a second time: the
 * attempt is recorded as interrupted and the delivery goes on, on the schedule, in a delivery workflow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Attempt, Delivery } from '../../libs/db/entities';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { createSubscription, imageCreated, postEvent, uniqueTemplate } from '../support/admin-api';
import { eventually } from '../support/engine';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startReceiver, type Receiver } from '../support/receivers';
import { startStack, type TestStack } from '../support/stack';

describe('kill -9 of the worker mid inline first attempt', () => {
  let stack: TestStack;
  let receiver: Receiver;
  const workers: HeraldProcess[] = [];
  before(async () => {
    stack = await startStack({}, { worker: false });
    // The first request is never answered: the worker is killed while it waits.
    receiver = await startReceiver({ kind: 'sequence', steps: [{ kind: 'hang' }, { kind: 'status', status: 200 }] });
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await receiver?.close();
    await stack?.stop();
  });

  it('sends attempt 1 exactly once, records it interrupted, and finishes the delivery', { timeout: 180_000 }, async () => {
    const tpl = uniqueTemplate();
    const sub = await createSubscription(stack, { url: receiver.url, templateIds: [tpl] });
    const first = spawnHerald('worker', envFor(stack.config));
    workers.push(first);
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }));
    await receiver.waitForRequests(1, 60_000);
    const repo = stack.db.dataSource.getRepository(Delivery);
    const [inFlight] = await repo.findBy({ eventId });
    assert.equal(inFlight.sendingAttempt, 1, 'the claim was committed before the request went out');
    assert.equal(inFlight.attemptCount, 0);
    await first.kill9();

    workers.push(spawnHerald('worker', envFor(stack.config)));
    const done = await eventually(
      async () => {
        const d = await repo.findOneBy({ id: inFlight.id });
        return d?.status === 'succeeded' && d;
      },
      120_000,
      'the delivery to succeed',
    );

    const numbers = receiver.requests.map((r) => r.headers['x-herald-attempt']);
    assert.deepEqual(numbers, ['1', '2'], 'attempt 1 went out once; attempt 2 came from the schedule (its wait is 0)');
    const attempts = await stack.db.dataSource.getRepository(Attempt).find({ where: { deliveryId: done.id }, order: { number: 'ASC' } });
    assert.deepEqual(
      attempts.map((a) => [a.number, a.ok]),
      [
        [1, false],
        [2, true],
      ],
    );
    assert.match(attempts[0].errorMessage ?? '', /^attempt interrupted/);
    assert.equal(done.attemptCount, 2);
    // The rest of the schedule ran in a delivery workflow, which the row now names.
    assert.equal(done.workflowId, deliveryWorkflowId(eventId, sub.id));
    assert.deepEqual(await stack.client.workflow.getHandle(done.workflowId).result(), { status: 'succeeded', attempts: 2 });
  });
});
