import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentileCont } from '../support/percentiles';
import {
  HISTOGRAM_GROWTH,
  HISTOGRAM_MAX_INDEX,
  histogramIndex,
  histogramPercentiles,
  mergeHistogram,
  type Histogram,
} from '../../libs/domain/latency-histogram';

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const histogramOf = (values: number[]): Histogram => values.reduce<Histogram>((h, v) => mergeHistogram(h, { [histogramIndex(v)]: 1 }), {});

describe('latency histograms (the stats rollup)', () => {
  it('puts a value in the bucket [1.05^i, 1.05^(i+1)), everything up to 1 ms in bucket 0, beyond the scale in the last', () => {
    for (const ms of [1.5, 2, 10, 99, 150, 1_000, 7_000, 30_000, 3_600_000]) {
      const i = histogramIndex(ms);
      assert.ok(HISTOGRAM_GROWTH ** i <= ms * (1 + 1e-12) && ms < HISTOGRAM_GROWTH ** (i + 1), `${ms} ms in bucket ${i}`);
    }
    assert.deepEqual([histogramIndex(0), histogramIndex(0.4), histogramIndex(1)], [0, 0, 0]);
    assert.equal(histogramIndex(1e12), HISTOGRAM_MAX_INDEX);
  });

  it('reads p50/p95/p99 within 5 % of percentile_cont, whatever the spread', () => {
    const next = random(24);
    const samples: Record<string, number[]> = {
      'one value': [150],
      'a fast endpoint': Array.from({ length: 2_000 }, () => 20 + next() * 30),
      'long-tailed': Array.from({ length: 5_000 }, () => Math.exp(3 + 2.5 * next() ** 3 * 3)),
      'two modes (timeouts)': Array.from({ length: 1_000 }, (_, i) => (i % 20 === 0 ? 30_000 : 80 + next() * 40)),
    };
    for (const [what, values] of Object.entries(samples)) {
      const read = histogramPercentiles(histogramOf(values));
      for (const p of [0.5, 0.95, 0.99] as const) {
        const want = percentileCont(values, p)!;
        const got = read[`p${Math.round(p * 100)}` as 'p50' | 'p95' | 'p99']!;
        assert.ok(Math.abs(got - want) <= want * (HISTOGRAM_GROWTH - 1), `${what} p${p * 100}: ${got} vs exact ${want}`);
      }
    }
  });

  it('merges hour by hour to the histogram of the whole window, and has nothing to rank when empty', () => {
    const next = random(7);
    const hours = Array.from({ length: 5 }, () => Array.from({ length: 200 }, () => 50 + next() * 500));
    const merged = hours.map(histogramOf).reduce((into, h) => mergeHistogram(into, h), {});
    assert.deepEqual(merged, histogramOf(hours.flat()));
    assert.deepEqual(histogramPercentiles({}), { p50: null, p95: null, p99: null });
  });
});
