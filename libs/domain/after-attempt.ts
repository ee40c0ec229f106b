/**
 * Where a delivery goes after an attempt: the one decision, shared by every caller that makes
 * attempts. Pure: imported by workflow code.
 */
import type { AttemptStatus } from './delivery-lifecycle';
import { nextDelay } from './retry-schedule';
import type { AttemptTrigger } from './types';

/** `410 Gone`: the receiver asks Herald to stop sending (docs/architecture.md, *Endpoint health*). */
export const GONE_STATUS = 410;

export function isGone(statusCode: number | null | undefined): boolean {
  return statusCode === GONE_STATUS;
}

export interface AfterAttempt {
  status: AttemptStatus;
  /** The wait before the next attempt when `retrying`. */
  delayMs?: number;
}

/**
 * After the `scheduled`-th scheduled attempt: a success succeeds; a manual attempt, a
 * `410 Gone` or an exhausted schedule dead-letters; anything else retries after `nextDelay`.
 * `goneStops: false` replays histories recorded before a 410 stopped retries.
 */
export function afterAttempt(
  outcome: { ok: boolean; statusCode: number | null },
  trigger: AttemptTrigger,
  scheduled: number,
  opts: { goneStops: boolean } = { goneStops: true },
): AfterAttempt {
  if (outcome.ok) return { status: 'succeeded' };
  if (trigger === 'manual' || (opts.goneStops && isGone(outcome.statusCode))) return { status: 'dead_lettered' };
  const delayMs = nextDelay(scheduled);
  return delayMs === undefined ? { status: 'dead_lettered' } : { status: 'retrying', delayMs };
}
