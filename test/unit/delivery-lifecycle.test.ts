import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINAL_DELIVERY_STATUSES, isFinal, mayMove } from '../../libs/domain/delivery-lifecycle';
import { DELIVERY_STATUSES } from '../../libs/domain/types';

describe('delivery lifecycle', () => {
  it('has three final statuses: succeeded, dead_lettered and cancelled', () => {
    assert.deepEqual([...FINAL_DELIVERY_STATUSES].sort(), ['cancelled', 'dead_lettered', 'succeeded']);
    assert.deepEqual(DELIVERY_STATUSES.filter(isFinal).sort(), ['cancelled', 'dead_lettered', 'succeeded']);
  });

  it('runs pending → delivering → retrying → delivering → succeeded or dead_lettered', () => {
    for (const [from, to] of [
      ['pending', 'delivering'],
      ['delivering', 'retrying'],
      ['retrying', 'delivering'],
      ['delivering', 'succeeded'],
      ['delivering', 'dead_lettered'],
    ] as const) {
      assert.ok(mayMove(from, to), `${from} → ${to}`);
    }
  });

  it('parks an open delivery in paused, and leaves it for an attempt, a dead letter or a cancel', () => {
    for (const from of ['pending', 'delivering', 'retrying', 'paused'] as const) assert.ok(mayMove(from, 'paused'), `${from} → paused`);
    for (const to of ['delivering', 'dead_lettered', 'cancelled'] as const) assert.ok(mayMove('paused', to), `paused → ${to}`);
    for (const from of FINAL_DELIVERY_STATUSES) assert.ok(!mayMove(from, 'paused'), from);
    assert.ok(!mayMove('paused', 'pending'));
    assert.ok(!isFinal('paused'));
  });

  it('cancels only an open delivery', () => {
    for (const from of ['pending', 'delivering', 'retrying', 'paused'] as const) assert.ok(mayMove(from, 'cancelled'), from);
    for (const from of FINAL_DELIVERY_STATUSES) assert.ok(!mayMove(from, 'cancelled'), from);
  });

  it('moves a final delivery only back to pending, as a manual retry re-opens it', () => {
    for (const from of FINAL_DELIVERY_STATUSES) {
      assert.deepEqual(
        DELIVERY_STATUSES.filter((to) => mayMove(from, to)),
        ['pending'],
        from,
      );
    }
    for (const from of ['pending', 'delivering', 'retrying'] as const) assert.ok(!mayMove(from, 'pending'), from);
  });
});
