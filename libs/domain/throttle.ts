/**
 * A subscription's send rate. Pure.
 *
 * Each request to a throttled subscription takes the next free slot of that subscription (a row
 * in Postgres, shared by every worker): slots are 1/rate seconds apart, so no 1-second window
 * holds more than `rate` slots. A send whose slot is near waits for it in the activity; one whose
 * slot is further off returns it, and its workflow sleeps on a timer until just before it.
 */
export const RATE_LIMIT_MIN = 1;
export const RATE_LIMIT_MAX = 10_000;

/** A slot at most this far off is waited for inside the send activity. */
export const THROTTLE_IN_PROCESS_MS = 3_500;
/** The workflow's timer wakes this long before its slot, so the activity is running when it comes. */
export const THROTTLE_LEAD_MS = 2_500;
/** A send that starts later than this after its slot gives the slot up and takes a new one: a late send must not crowd the next. */
export const THROTTLE_LATE_MS = 50;

/**
 * What a receiver may see beyond the limit. Requests leave within THROTTLE_LATE_MS of their
 * slots, so any rate + 1 consecutive departures span at least 1 s minus that; network and
 * scheduling jitter between Herald's send and the receiver's clock adds to it (on the 2-core test
 * host under heavy load, up to about 120 ms). Any rate + 1 consecutive requests arrive at least
 * 1 s minus this apart.
 */
export const THROTTLE_TOLERANCE_MS = 150;

export function slotSpacingMs(perSecond: number): number {
  return 1000 / perSecond;
}

/** How long the workflow sleeps for a slot `waitMs` away. */
export function throttleSleepMs(waitMs: number): number {
  return Math.max(0, waitMs - THROTTLE_LEAD_MS);
}
