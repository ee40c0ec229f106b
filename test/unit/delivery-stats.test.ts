import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryCounts, successRate } from '../../libs/domain/delivery-stats';
import { idFloor, newId } from '../../libs/domain/ids';
import { windowCeiling, windowFloor } from '../../libs/db/repositories/page';

describe('delivery figures', () => {
  it('fills every status, 0 where none were found', () => {
    assert.deepEqual(deliveryCounts({ succeeded: 3, retrying: 1 }), {
      pending: 0,
      delivering: 0,
      succeeded: 3,
      retrying: 1,
      paused: 0,
      dead_lettered: 0,
      cancelled: 0,
    });
  });

  it('rates success over the deliveries that reached an outcome only', () => {
    assert.equal(successRate({ succeeded: 3, dead_lettered: 1 }), 0.75);
    assert.equal(successRate({ succeeded: 0, dead_lettered: 2 }), 0);
    assert.equal(successRate({ succeeded: 2, dead_lettered: 1 }), 0.6667, 'four decimals');
    assert.equal(successRate({ succeeded: 0, dead_lettered: 0 }), null, 'nothing decided yet');
    assert.equal(successRate({ ...deliveryCounts({ retrying: 5, cancelled: 2, succeeded: 1 }) }), 1, 'open and cancelled ones do not count');
  });
});

describe('idFloor', () => {
  it('is at or below every id made at that time or later, and above every id made before', () => {
    const t = Date.now();
    const floor = idFloor('delivery', new Date(t));
    assert.match(floor, /^dlv_[0-9A-Z]{10}0{16}$/);
    const id = newId('delivery');
    assert.ok(id >= floor, 'made at or after t');
    assert.ok(id < idFloor('delivery', new Date(t + 1000)), 'made before t + 1 s');
    assert.equal(id.slice(0, 14) >= floor.slice(0, 14), true, 'the time part decides');
    assert.ok(idFloor('attempt', new Date(0)) === `atm_${'0'.repeat(26)}`);
  });
});

describe('windowFloor and windowCeiling', () => {
  it('bound the ids of rows made in a time range, an hour wide either side', () => {
    const now = Date.now();
    const id = newId('delivery');
    const hour = 60 * 60 * 1000;
    assert.ok(windowFloor('delivery', new Date(now)) <= id && id < windowCeiling('delivery', new Date(now)), 'a row made now is inside [now, now]');
    assert.ok(id < windowCeiling('delivery', new Date(now - hour + 1000)), 'an hour late: a row made within the hour after until is still inside');
    assert.ok(id >= windowCeiling('delivery', new Date(now - hour - 1000)), 'more than an hour after until: outside');
    assert.ok(id < windowFloor('delivery', new Date(now + hour + 1000)), 'more than an hour before since: outside');
  });
});
