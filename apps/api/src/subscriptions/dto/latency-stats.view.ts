import { ApiProperty } from '@nestjs/swagger';
import type { LatencyBucket, LatencyStats, Percentiles } from '../../../../../libs/db/repositories';
import { attemptOutcomeCounts, seriesBucketStarts, type AttemptOutcomeCounts } from '../../../../../libs/domain/delivery-stats';

export class PercentilesView {
  @ApiProperty({ nullable: true, type: Number, example: 84 }) p50: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 412 }) p95: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 1630 }) p99: number | null;
}

export class AttemptOutcomeCountsView implements AttemptOutcomeCounts {
  @ApiProperty({ description: 'A 2xx within 30 s', example: 1520 }) succeeded: number;
  @ApiProperty({ description: 'A redirect (never followed)', example: 0 }) http_3xx: number;
  @ApiProperty({ example: 12 }) http_4xx: number;
  @ApiProperty({ example: 31 }) http_5xx: number;
  @ApiProperty({ example: 5 }) timeout: number;
  @ApiProperty({ example: 0 }) dns: number;
  @ApiProperty({ example: 3 }) connect: number;
  @ApiProperty({ example: 0 }) tls: number;
  @ApiProperty({ example: 0 }) ssrf_blocked: number;
  @ApiProperty({ example: 0 }) invalid_url: number;
  @ApiProperty({ description: 'Another network failure, or a try interrupted by its worker stopping', example: 0 }) network: number;
  @ApiProperty({ example: 0 }) response_too_large: number;
}

export class LatencyBucketView {
  @ApiProperty({ description: 'Start of the bucket (it lasts bucketSeconds)', type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  start: Date;

  @ApiProperty({ description: 'Attempts started in the bucket', example: 65 })
  attempts: number;

  @ApiProperty({ description: 'Of those, the ones that succeeded', example: 63 })
  succeeded: number;

  @ApiProperty({ description: 'Their durations, whole milliseconds', type: PercentilesView })
  attemptDurationMs: PercentilesView;

  @ApiProperty({ description: 'Deliveries whose first successful attempt started in the bucket', example: 60 })
  firstSuccesses: number;

  @ApiProperty({ description: "Their time from the event's 202 to that success, whole milliseconds", type: PercentilesView })
  firstSuccessMs: PercentilesView;
}

/** Latency per endpoint (issue 24): the same block for a subscription and for a tenant. */
export class LatencyStatsView {
  @ApiProperty({ description: 'HTTP tries started in the window (scheduled, manual and test sends)', example: 1571 })
  attempts: number;

  @ApiProperty({ description: 'Those tries by how they ended', type: AttemptOutcomeCountsView })
  attemptsByOutcome: AttemptOutcomeCountsView;

  @ApiProperty({ description: 'Their durations, whole milliseconds (see `percentiles`); null without tries', type: PercentilesView })
  attemptDurationMs: PercentilesView;

  @ApiProperty({ description: 'Deliveries whose first successful attempt started in the window', example: 1520 })
  firstSuccesses: number;

  @ApiProperty({
    description:
      "202 → first success: from the event's acceptance (its 202) to the end of the delivery's first successful attempt, whole milliseconds; null without one",
    type: PercentilesView,
  })
  firstSuccessMs: PercentilesView;

  @ApiProperty({
    description:
      'How the percentiles were computed: `exact` (percentile_cont over the attempts) for windows up to 24 hours; `histogram` for longer ones, read from hourly latency histograms whose buckets are 5 % wide (each percentile within 5 % of the exact one, 1 ms below 20 ms; counts stay exact)',
    enum: ['exact', 'histogram'],
    example: 'exact',
  })
  percentiles: 'exact' | 'histogram';

  @ApiProperty({ description: 'Width of each bucket of the series: 1 minute to 1 week, so that the window makes at most 60', example: 3600 })
  bucketSeconds: number;

  @ApiProperty({ description: 'The window bucket by bucket, oldest first, every bucket present (empty ones with zeros and nulls)', type: [LatencyBucketView] })
  series: LatencyBucketView[];
}

export function toLatencyStatsView(stats: LatencyStats, window: { since: Date; now: Date; bucketSeconds: number }): LatencyStatsView {
  const byStart = new Map(stats.buckets.map((b) => [b.start!.getTime(), b]));
  const bucket = (b: LatencyBucket | undefined) => ({
    attempts: b?.attempts ?? 0,
    attemptDurationMs: percentiles(b?.attemptDurationMs),
    firstSuccesses: b?.firstSuccesses ?? 0,
    firstSuccessMs: percentiles(b?.firstSuccessMs),
  });
  const total = bucket(stats.total);
  return {
    attempts: total.attempts,
    attemptsByOutcome: attemptOutcomeCounts(stats.outcomes),
    attemptDurationMs: total.attemptDurationMs,
    firstSuccesses: total.firstSuccesses,
    firstSuccessMs: total.firstSuccessMs,
    percentiles: stats.percentiles,
    bucketSeconds: window.bucketSeconds,
    series: seriesBucketStarts(window.since, window.now, window.bucketSeconds).map((start) => {
      const b = byStart.get(start.getTime());
      const { attempts, attemptDurationMs, firstSuccesses, firstSuccessMs } = bucket(b);
      return { start, attempts, succeeded: b?.succeeded ?? 0, attemptDurationMs, firstSuccesses, firstSuccessMs };
    }),
  };
}

function percentiles(p: Percentiles | undefined): PercentilesView {
  const ms = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : Math.round(v));
  return { p50: ms(p?.p50), p95: ms(p?.p95), p99: ms(p?.p99) };
}
