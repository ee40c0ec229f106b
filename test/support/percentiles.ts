import assert from 'node:assert/strict';

/** Postgres's percentile_cont: linear interpolation between the two nearest ranks; null without values. */
export function percentileCont(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/**
 * Percentiles the API read from latency histograms (`percentiles: "histogram"`) against the exact
 * ones, for each key of `exact`: within 5 % (the buckets' width), give or take bucket 0
 * (0–1.05 ms) and the rounding to whole ms; null where there was nothing to rank.
 */
export function assertNearPercentiles(actual: Record<string, number | null>, exact: Record<string, number | null>, what: string): void {
  for (const [p, want] of Object.entries(exact)) {
    if (want === null) assert.equal(actual[p], null, `${what} ${p}`);
    else assert.ok(Math.abs(actual[p]! - want) <= want * 0.05 + 1.5, `${what} ${p}: ${actual[p]} vs exact ${want}`);
  }
}
