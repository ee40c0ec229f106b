import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATTEMPT_OUTCOMES,
  attemptOutcomeCounts,
  deliveryCounts,
  MAX_SERIES_BUCKETS,
  seriesBucketSeconds,
  seriesBucketStarts,
  successRate,
} from '../../libs/domain/delivery-stats';
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

describe('latency series buckets', () => {
  const HOUR = 3600_000;
  it('picks the narrowest width that cuts the window into at most 60 buckets', () => {
    assert.equal(seriesBucketSeconds(HOUR), 60);
    assert.equal(seriesBucketSeconds(2 * HOUR), 300, '120 one-minute buckets would be too many');
    assert.equal(seriesBucketSeconds(24 * HOUR), 3600);
    assert.equal(seriesBucketSeconds(7 * 24 * HOUR), 6 * 3600);
    assert.equal(seriesBucketSeconds(30 * 24 * HOUR), 86_400);
    assert.equal(seriesBucketSeconds(365 * 24 * HOUR), 7 * 86_400, 'a week at most, however long the window');
    for (const hours of [1, 3, 13, 24, 48, 24 * 7, 24 * 30])
      assert.ok((hours * HOUR) / (seriesBucketSeconds(hours * HOUR) * 1000) <= MAX_SERIES_BUCKETS, `${hours} h`);
  });

  it('lists every bucket from the one holding since to the one holding now, on whole hours', () => {
    const since = new Date('2025-11-23T10:17:00Z');
    const starts = seriesBucketStarts(since, new Date('2025-11-24T10:17:00Z'), 3600);
    assert.equal(starts.length, 25);
    assert.equal(starts[0].toISOString(), '2025-11-23T10:00:00.000Z');
    assert.equal(starts.at(-1)!.toISOString(), '2025-11-24T10:00:00.000Z');
    assert.deepEqual(
      seriesBucketStarts(new Date('2025-11-23T00:00:00Z'), new Date('2025-11-25T23:59:59Z'), 86_400).map((d) => d.toISOString()),
      ['2025-11-23T00:00:00.000Z', '2025-11-24T00:00:00.000Z', '2025-11-25T00:00:00.000Z'],
      'days start at midnight UTC',
    );
  });

  it('fills every attempt outcome, 0 where none were found, and drops names it does not know', () => {
    const counts = attemptOutcomeCounts({ succeeded: 4, http_5xx: 1, bogus: 9 });
    assert.deepEqual(Object.keys(counts), [...ATTEMPT_OUTCOMES]);
    assert.equal(counts.succeeded, 4);
    assert.equal(counts.http_5xx, 1);
    assert.equal(counts.timeout, 0);
    assert.ok(!('bogus' in counts));
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
