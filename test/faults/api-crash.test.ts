/**
 * The API commits an Event row and dies before its dispatcher starts the event workflow. The
 * producer may have its 202 and never post again; the worker's dispatcher sweep must find the
 * event and start it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Event } from '../../libs/db/entities';
import { createStores } from '../../libs/db/repositories';
import { Dispatcher, WORKER_DISPATCH } from '../../libs/temporal/dispatcher';
import { eventually, testSecretBox } from '../support/engine';
import { reportReliability, startCountingReceiver, type CountingReceiver } from '../support/load';
import { seedEvent, seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

describe('an API crash between persisting an event and starting its workflow', () => {
  let stack: TestStack;
  let receiver: CountingReceiver;
  before(async () => {
    // The in-process API does not sweep: only the worker's dispatcher, under test, may find the orphans.
    stack = await startStack({ HERALD_DISPATCH_SWEEP_SECONDS: '0' });
    receiver = await startCountingReceiver();
  });
  after(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it("leaves no accepted event behind: the worker's dispatcher starts it", async () => {
    await seedSubscription(stack.db.dataSource, testSecretBox(), { url: receiver.url });
    // What the crashed API left: committed rows, no workflow, no dispatcher to wake.
    const orphans = await Promise.all(
      Array.from({ length: 20 }, () => seedEvent(stack.db.dataSource, { receivedAt: new Date(Date.now() - 60_000), workflowStartedAt: null })),
    );
    const fresh = await seedEvent(stack.db.dataSource, { workflowStartedAt: null }); // too young: the API that accepted it may still be starting it
    const sweep = new Dispatcher(createStores(stack.db.dataSource).events, stack.deliveries, WORKER_DISPATCH);
    assert.equal(await sweep.drain(), 20);
    await eventually(async () => receiver.received.size === 20, 30_000, 'orphaned events delivered');
    const rows = await stack.db.dataSource.getRepository(Event).findBy(orphans.map((o) => ({ id: o.id })));
    assert.ok(rows.every((e) => e.workflowStartedAt !== null));
    assert.equal(await sweep.drain(), 0, 'a second pass finds nothing');
    assert.equal((await stack.db.dataSource.getRepository(Event).findOneByOrFail({ id: fresh.id })).workflowStartedAt, null);
    reportReliability({
      scenario: 'API crash before workflow start',
      expected: 20,
      received: receiver.received.size,
      lost: 20 - receiver.received.size,
      duplicated: receiver.total() - receiver.received.size,
    });
  });
});
