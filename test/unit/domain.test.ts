import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidEventTypeName, matchesEventType, matchesTemplate, parseEventTypeFilter } from '../../libs/domain/event-types';
import { isId, newId, ulid } from '../../libs/domain/ids';
import { PAUSE_RECHECK_MS, PAUSED_TOO_LONG_MS, pauseWaitMs } from '../../libs/domain/pause';
import { DEAD_LETTER_RETENTION_MS, MAX_ATTEMPTS, nextDelay, RETRY_DELAYS } from '../../libs/domain/retry-schedule';
import { slotSpacingMs, THROTTLE_LEAD_MS, throttleSleepMs } from '../../libs/domain/throttle';

describe('retry schedule', () => {
  it('is immediately, 1, 5, 15 and 60 minutes: six attempts at most', () => {
    assert.deepEqual([...RETRY_DELAYS], [0, 60_000, 300_000, 900_000, 3_600_000]);
    assert.equal(MAX_ATTEMPTS, 6);
  });

  it('gives the wait after each failed attempt, then nothing', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(nextDelay), [0, 60_000, 300_000, 900_000, 3_600_000, undefined]);
    assert.throws(() => nextDelay(0), RangeError);
  });

  it('cannot be changed at run time', () => {
    assert.throws(() => (RETRY_DELAYS as number[]).push(1));
  });
});

describe('ids', () => {
  it('are prefixed and sort by creation time', () => {
    const ids = Array.from({ length: 1000 }, () => newId('delivery'));
    assert.ok(ids.every((id) => isId('delivery', id)));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('encode the time in the first ten characters', () => {
    assert.ok(ulid(1_700_000_000_000) < ulid(1_700_000_000_001));
    assert.equal(isId('subscription', 'sub_x'), false);
    assert.equal(isId('subscription', newId('event')), false);
  });
});

describe('event-type filters', () => {
  it('match exact types, families and everything', () => {
    assert.ok(matchesEventType(['image.created'], 'image.created'));
    assert.ok(matchesEventType(['image.*'], 'image.created'));
    assert.ok(matchesEventType(['*'], 'video.rendered'));
    assert.ok(!matchesEventType(['image.*'], 'imagery.created'));
    assert.ok(!matchesEventType(['video.*', 'image.deleted'], 'image.created'));
  });

  it('are an exact name, a family at any depth, or *; anything else is malformed', () => {
    assert.deepEqual(parseEventTypeFilter('image.created'), { kind: 'exact', name: 'image.created' });
    assert.deepEqual(parseEventTypeFilter('video.render.*'), { kind: 'family', family: 'video.render' });
    assert.deepEqual(parseEventTypeFilter('*'), { kind: 'all' });
    for (const bad of ['', '.*', 'image.', 'Image.created', 'image..created', 'image.*.created', 'a.b.c.d.e.*', 'image created', 'image.cre-ated']) {
      assert.equal(parseEventTypeFilter(bad), undefined, bad);
    }
  });

  it('name types in 1 to 5 dot-separated segments of a-z 0-9 _', () => {
    for (const ok of ['image', 'image.created', 'video.render.completed', 'a.b.c.d.e', 'campaign_v2.approved']) assert.ok(isValidEventTypeName(ok), ok);
    for (const bad of ['', 'a.b.c.d.e.f', 'Image', 'image.', '.image', 'image-created', 'imäge']) assert.ok(!isValidEventTypeName(bad), bad);
  });

  it('scope by template only when templates are listed', () => {
    assert.ok(matchesTemplate([], null));
    assert.ok(matchesTemplate(['tpl_1'], 'tpl_1'));
    assert.ok(!matchesTemplate(['tpl_1'], 'tpl_2'));
    assert.ok(!matchesTemplate(['tpl_1'], null));
  });
});

describe('pause', () => {
  it('re-checks hourly and stops waiting when the dead-letter retention has passed', () => {
    assert.equal(PAUSED_TOO_LONG_MS, DEAD_LETTER_RETENTION_MS);
    assert.equal(pauseWaitMs(0, 0), PAUSE_RECHECK_MS);
    assert.equal(pauseWaitMs(0, PAUSED_TOO_LONG_MS - 1000), 1000, 'the last wait ends at the deadline');
    assert.equal(pauseWaitMs(0, PAUSED_TOO_LONG_MS), 0);
    assert.equal(pauseWaitMs(0, PAUSED_TOO_LONG_MS + 1), 0);
  });
});

describe('throttle', () => {
  it('spaces slots 1/rate apart and wakes the workflow ahead of its slot', () => {
    assert.equal(slotSpacingMs(5), 200);
    assert.equal(slotSpacingMs(10_000), 0.1);
    assert.equal(throttleSleepMs(10_000), 10_000 - THROTTLE_LEAD_MS);
    assert.equal(throttleSleepMs(THROTTLE_LEAD_MS / 2), 0);
  });
});
