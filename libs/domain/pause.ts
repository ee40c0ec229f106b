/**
 * How a paused subscription's deliveries wait. Pure: workflows import it.
 *
 * A delivery whose subscription is paused makes no attempt and consumes no schedule slot; it
 * waits for the `resume` signal and, in case that signal was lost (the API stopped between its
 * commit and the signal), asks again every PAUSE_RECHECK_MS. One that has waited longer than a
 * dead letter is kept is dead-lettered with reason PAUSED_TOO_LONG: nothing waits forever.
 */
import { DEAD_LETTER_RETENTION_MS } from './retry-schedule';

export const PAUSE_RECHECK_MS = 60 * 60 * 1000;
export const PAUSED_TOO_LONG_MS = DEAD_LETTER_RETENTION_MS;
export const PAUSED_TOO_LONG = 'paused_too_long';

/** How long a delivery paused since `pausedSince` may still wait before its next re-check; 0: dead-letter it now. */
export function pauseWaitMs(pausedSince: number, now: number): number {
  const left = pausedSince + PAUSED_TOO_LONG_MS - now;
  return left <= 0 ? 0 : Math.min(PAUSE_RECHECK_MS, left);
}
