import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IDLE_CPU_MS_PER_S, idleEnough } from '../../bench/settle';

describe('the bench pause before a measured phase (bench/settle.ts)', () => {
  it('is idle after two windows in a row at or under the threshold, not before', () => {
    assert.equal(idleEnough([]), false);
    assert.equal(idleEnough([20]), false, 'one window is not enough');
    assert.equal(idleEnough([1800, 900, 40]), false, 'the tail of a phase still burning CPU');
    assert.equal(idleEnough([1800, 40, IDLE_CPU_MS_PER_S]), true);
    assert.equal(idleEnough([30, 20, IDLE_CPU_MS_PER_S + 1]), false, 'only the last windows count');
    assert.equal(idleEnough([30, 500, 30]), false);
  });

  it('takes its threshold and window count as given', () => {
    assert.equal(idleEnough([150, 150], 200), true);
    assert.equal(idleEnough([10, 10], 100, 3), false);
    assert.equal(idleEnough([10, 10, 10], 100, 3), true);
  });
});
