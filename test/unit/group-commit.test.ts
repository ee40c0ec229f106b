/**
 * The group commit (libs/db/group-commit.ts) of attemptDeliveries and of the events API: items
 * that come in together are written in one write, and a slow one never holds the others' writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupCommit } from '../../libs/db/group-commit';

describe('groupCommit', () => {
  it('writes items that come in the same turn together, each caller getting its own result', async () => {
    const writes: number[][] = [];
    const record = groupCommit(async (items: number[]) => {
      writes.push(items);
      return items.map((i) => i * 10);
    });
    assert.deepEqual(await Promise.all([record(1), record(2), record(3)]), [10, 20, 30]);
    assert.deepEqual(writes, [[1, 2, 3]]);
  });

  it('writes what came in during a write in the next one, and a late item on its own without waiting for anything', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((r) => (release = r));
    const record = groupCommit(async (items: number[]) => {
      writes.push(items);
      if (writes.length === 1) await firstWrite;
      return items;
    });
    const first = record(1);
    await new Promise((r) => setImmediate(r));
    const during = [record(2), record(3)];
    release();
    assert.deepEqual(await Promise.all([first, ...during]), [1, 2, 3]);
    assert.deepEqual(writes, [[1], [2, 3]]);
    // A slow sender's answer, long after: written at once, alone.
    assert.equal(await record(4), 4);
    assert.deepEqual(writes[2], [4]);
  });

  it('fails every caller of a failed write, and the next write goes on', async () => {
    let fail = true;
    const record = groupCommit(async (items: number[]) => {
      if (fail) throw new Error('Postgres away');
      return items;
    });
    const results = await Promise.allSettled([record(1), record(2)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    fail = false;
    assert.equal(await record(3), 3);
  });

  it('writes at most maxBatch items at once, in the order they came, the rest in the next write', async () => {
    const writes: number[][] = [];
    const record = groupCommit(
      async (items: number[]) => {
        writes.push(items);
        return items.map((i) => -i);
      },
      { maxBatch: 2 },
    );
    assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map(record)), [-1, -2, -3, -4, -5]);
    assert.deepEqual(writes, [[1, 2], [3, 4], [5]]);
  });
});
