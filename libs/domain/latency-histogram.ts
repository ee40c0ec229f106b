/**
 * Latency histograms with a fixed exponential scale: the hourly rollup of attempts keeps one per
 * subscription and hour, so that a window of weeks is answered from a few thousand small rows
 * instead of sorting a million attempts. Pure; the SQL twin of `histogramIndex` is in the data
 * layer (attempt.repository.ts), built from the same constants.
 *
 * Bucket i holds values in [GROWTH^i, GROWTH^(i+1)) milliseconds (bucket 0 also holds 0 to 1 ms),
 * so a percentile read from it is within GROWTH − 1 (5 %) of the exact one.
 */

/** Median, 95th and 99th percentile, milliseconds (unrounded); null when there is nothing to rank. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export const HISTOGRAM_GROWTH = 1.05;
/** The last bucket starts at 1.05^400 ms (about 80 hours): anything longer is counted there. */
export const HISTOGRAM_MAX_INDEX = 400;

/** Sparse counts by bucket index. */
export type Histogram = Record<number, number>;

export function histogramIndex(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(HISTOGRAM_MAX_INDEX, Math.floor(Math.log(ms) / Math.log(HISTOGRAM_GROWTH)));
}

/** Adds `from` into `into` (and returns it). */
export function mergeHistogram(into: Histogram, from: Histogram | null | undefined): Histogram {
  for (const [i, n] of Object.entries(from ?? {})) into[Number(i)] = (into[Number(i)] ?? 0) + Number(n);
  return into;
}

export function histogramCount(h: Histogram): number {
  return Object.values(h).reduce((a, n) => a + n, 0);
}

/**
 * p50/p95/p99 as percentile_cont ranks them: the value at rank p × (n − 1), interpolated between
 * the two nearest values. Each value is read from its bucket, taking a bucket's values as spread
 * evenly across it on the log scale, so each is within the bucket's 5 % of the real one, and so
 * is the interpolation between two of them.
 */
export function histogramPercentiles(h: Histogram): Percentiles {
  const buckets = Object.entries(h)
    .map(([i, n]) => [Number(i), Number(n)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((a, [, n]) => a + n, 0);
  if (total === 0) return { p50: null, p95: null, p99: null };
  /** The k-th smallest value (0-based), read from its bucket. */
  const nth = (k: number): number => {
    let below = 0;
    for (const [i, n] of buckets) {
      if (k < below + n) {
        const within = n === 1 ? 0.5 : (k - below) / (n - 1);
        const upper = HISTOGRAM_GROWTH ** (i + 1);
        if (i === 0) return upper * within;
        const lower = HISTOGRAM_GROWTH ** i;
        return lower * (upper / lower) ** within;
      }
      below += n;
    }
    return HISTOGRAM_GROWTH ** buckets[buckets.length - 1][0];
  };
  const at = (p: number): number => {
    const rank = p * (total - 1);
    const lo = Math.floor(rank);
    const v = nth(lo);
    return rank === lo ? v : v + (nth(lo + 1) - v) * (rank - lo);
  };
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
