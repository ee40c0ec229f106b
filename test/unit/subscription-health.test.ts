import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterAttempt } from '../../libs/domain/after-attempt';
import { candidateFilters, matchesSubscription, matchingTenants } from '../../libs/domain/matching';
import { isOperationalEventType, reportsDeadLetter, subjectSubscriptionId } from '../../libs/domain/operational-events';
import { assessAttempt, FAILING_AFTER_ATTEMPTS, HEALTHY, MIN_FAILED_DELIVERIES, type SubscriptionHealth } from '../../libs/domain/subscription-health';

const HOUR = 3_600_000;
const WINDOW = { autoDisableAfterMs: 120 * HOUR };
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

/** Plays attempts through the rule: [hours after T0, ok, status, first attempt of its delivery]. */
function play(attempts: [number, boolean, number | null, boolean][], policy = WINDOW, enabled = true) {
  let health: SubscriptionHealth = { ...HEALTHY };
  let on = enabled;
  const seen: { hours: number; became: string | null; disable: string | null }[] = [];
  for (const [hours, ok, statusCode, firstOfDelivery] of attempts) {
    const v = assessAttempt({ ...health, enabled: on }, { ok, statusCode, at: at(hours), firstOfDelivery }, policy);
    health = v.health;
    if (v.disable) on = false;
    seen.push({ hours, became: v.became, disable: v.disable?.reason ?? null });
  }
  return { health, enabled: on, seen };
}

/** One delivery's whole failed schedule (6 attempts over 81 minutes) starting at `hours`. */
const failedDelivery = (hours: number, status = 500): [number, boolean, number | null, boolean][] =>
  [0, 0, 1, 6, 21, 81].map((m, i) => [hours + m / 60, false, status, i === 0]);

describe('endpoint health rule', () => {
  it('disables after 120 hours of nothing but failures, with several failed deliveries, not before', () => {
    const before = play([...failedDelivery(0), ...failedDelivery(60), ...failedDelivery(118)]);
    assert.equal(before.enabled, true, 'at 119 h 21 min the window is not over');
    assert.equal(before.health.failedDeliveries, 3);
    assert.deepEqual(before.health.failingSince, T0);

    const after = play([...failedDelivery(0), ...failedDelivery(60), ...failedDelivery(118), ...failedDelivery(120)]);
    assert.equal(after.enabled, false);
    const disabling = after.seen.find((s) => s.disable);
    assert.equal(disabling?.hours, 120, 'the first attempt at 120 h disables it');
    assert.equal(disabling?.disable, 'auto: failing since 2026-01-01T00:00:00.000Z');
  });

  it(`needs ${MIN_FAILED_DELIVERIES} failed deliveries in the run: one delivery failing for days is not enough`, () => {
    const twoOnly = play([...failedDelivery(0), [130, false, 500, false]]);
    assert.equal(twoOnly.enabled, true, 'one delivery plus a late manual retry');
    const three = play([...failedDelivery(0), ...failedDelivery(50), [130, false, 500, true]]);
    assert.equal(three.enabled, false);
  });

  it('resets the clock on any success: a success at 119 h starts the window again', () => {
    const r = play([
      ...failedDelivery(0),
      ...failedDelivery(60),
      [119, true, 200, true],
      ...failedDelivery(120),
      ...failedDelivery(180),
      ...failedDelivery(238),
    ]);
    assert.equal(r.enabled, true, '118 h after the last success');
    assert.deepEqual(r.health.failingSince, at(120));
    const later = play([
      ...failedDelivery(0),
      ...failedDelivery(60),
      [119, true, 200, true],
      ...failedDelivery(120),
      ...failedDelivery(180),
      ...failedDelivery(240),
    ]);
    assert.equal(later.enabled, false);
    assert.equal(later.seen.find((s) => s.disable)?.disable, `auto: failing since ${at(120).toISOString()}`);
  });

  it('never auto-disables with a window of 0, but a 410 Gone still disables at once', () => {
    const never = play([...failedDelivery(0), ...failedDelivery(200), ...failedDelivery(400)], { autoDisableAfterMs: 0 });
    assert.equal(never.enabled, true);
    const gone = play([[0, false, 410, true]], { autoDisableAfterMs: 0 });
    assert.equal(gone.enabled, false);
    assert.match(gone.seen[0].disable ?? '', /^gone: the endpoint answered 410 Gone at 2026-01-01T00:00:00.000Z$/);
  });

  it(`is failing after ${FAILING_AFTER_ATTEMPTS} failed attempts in a row, once per run, and recovered at the first success after`, () => {
    const r = play([...failedDelivery(0), [2, true, 200, true], [3, false, 500, true], [3, true, 200, false]]);
    assert.deepEqual(
      r.seen.map((s) => s.became),
      [null, null, null, 'failing', null, null, 'recovered', null, null],
    );
    assert.deepEqual(r.health, HEALTHY);
  });

  it('changes nothing for a success on a healthy subscription, and never disables a disabled one again', () => {
    const v = assessAttempt({ ...HEALTHY, enabled: true }, { ok: true, statusCode: 200, at: T0, firstOfDelivery: true }, WINDOW);
    assert.equal(v.changed, false);
    const off = play([[0, false, 410, true]], WINDOW, false);
    assert.equal(off.seen[0].disable, null);
    assert.equal(off.health.consecutiveFailures, 1, 'the clock still runs while disabled');
  });
});

describe('after an attempt', () => {
  it('retries on the schedule, and stops at once on 410 Gone', () => {
    assert.deepEqual(afterAttempt({ ok: true, statusCode: 200 }, 'scheduled', 1), { status: 'succeeded' });
    assert.deepEqual(afterAttempt({ ok: false, statusCode: 500 }, 'scheduled', 3), { status: 'retrying', delayMs: 5 * 60_000 });
    assert.deepEqual(afterAttempt({ ok: false, statusCode: 500 }, 'scheduled', 6), { status: 'dead_lettered' });
    assert.deepEqual(afterAttempt({ ok: false, statusCode: 500 }, 'manual', 1), { status: 'dead_lettered' });
    assert.deepEqual(afterAttempt({ ok: false, statusCode: 410 }, 'scheduled', 1), { status: 'dead_lettered' });
    assert.deepEqual(afterAttempt({ ok: false, statusCode: 410 }, 'scheduled', 1, { goneStops: false }), { status: 'retrying', delayMs: 0 });
  });
});

describe('operational events', () => {
  const event = (type: string, tenantId: string, subscriptionId?: string) => ({
    type,
    tenantId,
    templateId: null,
    data: subscriptionId ? { subscriptionId } : {},
  });
  const sub = (id: string, tenantId: string, eventTypes: string[]) => ({ id, tenantId, eventTypes, templateIds: [], enabled: true });

  it('are the herald.* family, which `*` does not include', () => {
    assert.ok(isOperationalEventType('herald.subscription.disabled'));
    assert.ok(!isOperationalEventType('heraldry.created'));
    assert.deepEqual(candidateFilters('herald.subscription.disabled'), ['herald.subscription.disabled', 'herald.subscription.*', 'herald.*']);
  });

  it('reach the tenant and the operator, never the subscription they are about', () => {
    assert.deepEqual(matchingTenants(event('herald.subscription.failing', 'acme')), ['acme', '_operator']);
    assert.deepEqual(matchingTenants(event('image.created', '_operator')), [], 'the operator receives nothing else');
    const e = event('herald.subscription.failing', 'acme', 'sub_a');
    assert.equal(subjectSubscriptionId(e), 'sub_a');
    assert.equal(matchesSubscription(sub('sub_a', 'acme', ['herald.*']), e), false);
    assert.equal(matchesSubscription(sub('sub_b', 'acme', ['herald.*']), e), true);
    assert.equal(matchesSubscription(sub('sub_op', '_operator', ['herald.*']), e), true);
    assert.equal(matchesSubscription(sub('sub_x', 'globex', ['herald.*']), e), false);
    assert.equal(matchesSubscription(sub('sub_op', '_operator', ['herald.*']), event('image.created', 'acme')), false);
  });

  it('report no dead letter of a delivery that carried an operational event (no chain between failing operators)', () => {
    assert.equal(reportsDeadLetter('image.created'), true);
    assert.equal(reportsDeadLetter('herald.delivery.dead_lettered'), false);
  });
});
