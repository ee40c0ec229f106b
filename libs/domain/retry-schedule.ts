/**
 * The fixed retry schedule (docs/architecture.md, "Retry schedule"). Pure: imported by workflow code.
 * RETRY_DELAYS[i] is the wait before attempt i + 2, after attempt i + 1 failed.
 */
const MINUTE = 60_000;

export const RETRY_DELAYS: readonly number[] = Object.freeze([0, 1 * MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE]);

/** Attempts a delivery gets before it is dead-lettered: the first one plus one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS.length + 1;

/** Dead letters are kept this long for inspection and manual retry, then purged. */
export const DEAD_LETTER_RETENTION_MS = 7 * 24 * 60 * MINUTE;

/**
 * The wait after `attemptsMade` scheduled attempts have failed, or undefined when the schedule is
 * exhausted and the delivery must be dead-lettered.
 */
export function nextDelay(attemptsMade: number): number | undefined {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) throw new RangeError(`attemptsMade must be a positive integer, got ${attemptsMade}`);
  return RETRY_DELAYS[attemptsMade - 1];
}
