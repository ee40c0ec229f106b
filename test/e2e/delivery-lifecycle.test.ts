/**
 * The delivery repository writes a status only where the lifecycle allows it: the check is in
 * the UPDATE itself, so a late or repeated write cannot move a finished delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Delivery } from '../../libs/db/entities';
import { createStores, type Stores } from '../../libs/db/repositories';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testSecretBox } from '../support/engine';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';

describe('delivery status writes', () => {
  let db: TestDatabase;
  let stores: Stores;
  const statusOf = async (id: string): Promise<string | undefined> => (await db.dataSource.getRepository(Delivery).findOneBy({ id }))?.status;
  const newDelivery = async (): Promise<Delivery> => {
    const sub = await seedSubscription(db.dataSource, testSecretBox(), { url: 'https://example.com/hook' });
    return seedDelivery(db.dataSource, await seedEvent(db.dataSource), sub);
  };

  before(async () => {
    db = await createTestDatabase();
    stores = createStores(db.dataSource);
  });
  after(async () => {
    await db?.drop();
  });

  it('moves an open delivery and leaves a finished one as it is', async () => {
    const d = await newDelivery();
    assert.equal(await stores.deliveries.markDelivering(d.id, new Date()), true);
    assert.equal(await stores.deliveries.moveTo(d.id, 'succeeded', { updatedAt: new Date() }), true);
    assert.equal(await stores.deliveries.markDelivering(d.id, new Date()), false, 'a succeeded delivery does not start an attempt');
    assert.equal(await stores.deliveries.markCancelled(d.id, 'late cancel', new Date()), false, 'nor is it cancelled');
    assert.equal(await statusOf(d.id), 'succeeded');
  });

  it('re-opens a finished delivery for a manual retry, and undoes it when nothing restarted', async () => {
    const d = await newDelivery();
    await stores.deliveries.markCancelled(d.id, 'subscription disabled', new Date());
    const cancelled = await stores.deliveries.find(d.id);
    assert.equal(await stores.deliveries.reopen(cancelled!, new Date()), true);
    assert.equal(await statusOf(d.id), 'pending');
    assert.equal(await stores.deliveries.reopen(cancelled!, new Date()), false, 'only from the status read');
    await stores.deliveries.undoReopen(d.id, 'cancelled');
    assert.equal(await statusOf(d.id), 'cancelled');
  });
});
