/** Figures over deliveries, as operators read them. Pure. */
import { ATTEMPT_ERROR_KINDS, DELIVERY_STATUSES, type AttemptErrorKind, type DeliveryStatus } from './types';

export type DeliveryCounts = Record<DeliveryStatus, number>;

/** Every status, 0 where a query found none. */
export function deliveryCounts(found: Partial<Record<DeliveryStatus, number>>): DeliveryCounts {
  return Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, found[s] ?? 0])) as DeliveryCounts;
}

/**
 * Of the deliveries that reached an outcome, the share that succeeded (0–1, four decimals):
 * succeeded / (succeeded + dead_lettered). Open and cancelled deliveries do not count; null when
 * none reached an outcome. The retry schedule ends within about 1.5 hours, so over a day every
 * failing delivery but the latest has been dead-lettered.
 */
export function successRate(c: Pick<DeliveryCounts, 'succeeded' | 'dead_lettered'>): number | null {
  const decided = c.succeeded + c.dead_lettered;
  return decided === 0 ? null : Math.round((c.succeeded / decided) * 10_000) / 10_000;
}

/**
 * How an attempt ended, as the latency figures count it: `succeeded` (a 2xx in time), the
 * status class of a non-2xx answer (`http_3xx` — redirects are not followed —, `http_4xx`,
 * `http_5xx`), or, without a usable answer, its error kind.
 */
const ANSWER_OUTCOMES = ['succeeded', 'http_3xx', 'http_4xx', 'http_5xx'] as const;
/** The error kinds of an answer that came: counted by its status class instead. */
type AnsweredKind = Extract<AttemptErrorKind, 'http_status' | 'redirect'>;
type UnansweredKind = Exclude<AttemptErrorKind, AnsweredKind>;
export type AttemptOutcomeName = (typeof ANSWER_OUTCOMES)[number] | UnansweredKind;
// Derived from ATTEMPT_ERROR_KINDS, so an error kind added there is counted here too.
export const ATTEMPT_OUTCOMES: readonly AttemptOutcomeName[] = [
  ...ANSWER_OUTCOMES,
  ...ATTEMPT_ERROR_KINDS.filter((k): k is UnansweredKind => k !== 'http_status' && k !== 'redirect'),
];
export type AttemptOutcomeCounts = Record<AttemptOutcomeName, number>;

/** Every outcome, 0 where a query found none (an unknown name a query returns is dropped). */
export function attemptOutcomeCounts(found: Partial<Record<string, number>>): AttemptOutcomeCounts {
  return Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o, found[o] ?? 0])) as AttemptOutcomeCounts;
}

/** Bucket widths a chart over time may use, in seconds: a minute to a week. */
const BUCKETS_S = [60, 5 * 60, 15 * 60, 60 * 60, 6 * 60 * 60, 24 * 60 * 60, 7 * 24 * 60 * 60];
/** A window is cut into at most this many buckets (a small chart, one point per bucket), a week wide at most. */
export const MAX_SERIES_BUCKETS = 60;

/** The narrowest bucket that cuts a window into at most MAX_SERIES_BUCKETS (24 hours → 1 hour, 7 days → 6 hours). */
export function seriesBucketSeconds(windowMs: number): number {
  return BUCKETS_S.find((b) => windowMs / (b * 1000) <= MAX_SERIES_BUCKETS) ?? BUCKETS_S[BUCKETS_S.length - 1];
}

/**
 * The start of every bucket from the one holding `since` to the one holding `now`: multiples of
 * the width since the Unix epoch, as the query's `date_bin(…, '1970-01-01Z')` makes them (whole
 * minutes, hours and UTC days).
 */
export function seriesBucketStarts(since: Date, now: Date, bucketSeconds: number): Date[] {
  const width = bucketSeconds * 1000;
  const first = Math.floor(since.getTime() / width) * width;
  const starts: Date[] = [];
  for (let t = first; t <= now.getTime(); t += width) starts.push(new Date(t));
  return starts;
}
