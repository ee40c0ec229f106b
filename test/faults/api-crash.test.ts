/**
 * The API commits an Event row and dies before it starts the event workflow. The producer got
 * no 202 and may never post again; the reconciler must find the event and start it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Event } from '../../libs/db/entities';
import { createStores } from '../../libs/db/repositories';
import { reconcileEvents } from '../../libs/temporal/reconciler';
import { eventually, testSecretBox } from '../support/engine';
import { reportReliability, startCountingReceiver, type CountingReceiver } from '../support/load';
import { seedEvent, seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

describe('an API crash between persisting an event and starting its workflow', () => {
  let stack: TestStack;
  let receiver: CountingReceiver;
  before(async () => {
    stack = await startStack();
    receiver = await startCountingReceiver();
  });
  after(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it('leaves no accepted event behind: the reconciler starts it', async () => {
    await seedSubscription(stack.db.dataSource, testSecretBox(), { url: receiver.url });
    // What the crashed API left: committed rows, no workflow.
    const orphans = await Promise.all(Array.from({ length: 20 }, () => seedEvent(stack.db.dataSource, { receivedAt: new Date(Date.now() - 60_000) })));
    const fresh = await seedEvent(stack.db.dataSource); // too young: its API request may still be starting it
    assert.equal(await reconcileEvents(createStores(stack.db.dataSource).events, stack.deliveries), 20);
    await eventually(async () => receiver.received.size === 20, 30_000, 'orphaned events delivered');
    const rows = await stack.db.dataSource.getRepository(Event).findBy(orphans.map((o) => ({ id: o.id })));
    assert.ok(rows.every((e) => e.workflowStartedAt !== null));
    assert.equal(await reconcileEvents(createStores(stack.db.dataSource).events, stack.deliveries), 0, 'a second pass finds nothing');
    assert.equal((await stack.db.dataSource.getRepository(Event).findOneByOrFail({ id: fresh.id })).workflowStartedAt, null);
    reportReliability({ scenario: 'API crash before workflow start', expected: 20, received: receiver.received.size, lost: 20 - receiver.received.size, duplicated: receiver.total() - receiver.received.size });
  });
});
