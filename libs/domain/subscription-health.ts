/**
 * Endpoint health (docs/architecture.md, *Endpoint health*): how one attempt changes a
 * subscription's failing clock, and whether it must be disabled now. Pure, the one rule; the
 * attempt repository applies it inside the transaction that records the attempt.
 *
 * Like Svix: a subscription whose every attempt has failed for the window
 * (HERALD_AUTO_DISABLE_AFTER_HOURS) is disabled, but only once several deliveries have failed,
 * so one unlucky delivery (its whole schedule lasts 81 minutes) never disables anything; any
 * success resets the clock. A `410 Gone` disables at once.
 */
import { isGone } from './after-attempt';

/** This many failed attempts in a row make a subscription `failing` (herald.subscription.failing). */
export const FAILING_AFTER_ATTEMPTS = 4;

/** Deliveries that must have failed in the run before the window can disable a subscription. */
export const MIN_FAILED_DELIVERIES = 3;

/** HERALD_AUTO_DISABLE_AFTER_HOURS' default, 120 hours (5 days, as Svix). */
export const DEFAULT_AUTO_DISABLE_AFTER_MS = 120 * 3_600_000;

export const AUTO_DISABLE_PREFIX = 'auto: failing since ';

export interface SubscriptionHealth {
  /** When the current run of failed attempts began; null while healthy. */
  failingSince: Date | null;
  consecutiveFailures: number;
  /** Deliveries with a failed attempt in the current run. */
  failedDeliveries: number;
}

export const HEALTHY: SubscriptionHealth = Object.freeze({ failingSince: null, consecutiveFailures: 0, failedDeliveries: 0 });

export interface AttemptSeen {
  ok: boolean;
  statusCode: number | null;
  /** When it happened, in the time the delivery workflow sees. */
  at: Date;
  /** The delivery's first attempt: a new delivery joins the run. */
  firstOfDelivery: boolean;
}

export interface HealthVerdict {
  health: SubscriptionHealth;
  /** The health columns must be written. */
  changed: boolean;
  /** An edge: the run reached FAILING_AFTER_ATTEMPTS, or a success ended such a run. */
  became: 'failing' | 'recovered' | null;
  /** Disable it now, with this reason (only while it is enabled). */
  disable: { reason: string; failingSince: Date } | null;
}

/** `autoDisableAfterMs` 0: never auto-disable (a 410 still disables). */
export function assessAttempt(current: SubscriptionHealth & { enabled: boolean }, attempt: AttemptSeen, policy: { autoDisableAfterMs: number }): HealthVerdict {
  if (attempt.ok) {
    const wasHealthy = current.consecutiveFailures === 0 && current.failingSince === null;
    return {
      health: { ...HEALTHY },
      changed: !wasHealthy,
      became: current.consecutiveFailures >= FAILING_AFTER_ATTEMPTS ? 'recovered' : null,
      disable: null,
    };
  }
  const runStarts = current.consecutiveFailures === 0 || current.failingSince === null;
  const failingSince = runStarts ? attempt.at : current.failingSince!;
  const health: SubscriptionHealth = {
    failingSince,
    consecutiveFailures: runStarts ? 1 : current.consecutiveFailures + 1,
    failedDeliveries: runStarts ? 1 : current.failedDeliveries + (attempt.firstOfDelivery ? 1 : 0),
  };
  const became = health.consecutiveFailures === FAILING_AFTER_ATTEMPTS ? 'failing' : null;
  let disable: HealthVerdict['disable'] = null;
  if (current.enabled && isGone(attempt.statusCode)) {
    disable = { reason: `gone: the endpoint answered 410 Gone at ${attempt.at.toISOString()}`, failingSince };
  } else if (
    current.enabled &&
    policy.autoDisableAfterMs > 0 &&
    attempt.at.getTime() - failingSince.getTime() >= policy.autoDisableAfterMs &&
    health.failedDeliveries >= MIN_FAILED_DELIVERIES
  ) {
    disable = { reason: `${AUTO_DISABLE_PREFIX}${failingSince.toISOString()}`, failingSince };
  }
  return { health, changed: true, became, disable };
}
