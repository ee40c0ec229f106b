import { ApiProperty } from '@nestjs/swagger';
import type { AttemptStats } from '../../../../../libs/db/repositories';
import { successRate, type DeliveryCounts } from '../../../../../libs/domain/delivery-stats';
import { LatencyStatsView } from '../../subscriptions/dto/latency-stats.view';

export class DeliveryCountsView implements DeliveryCounts {
  @ApiProperty({ example: 0 }) pending: number;
  @ApiProperty({ example: 1 }) delivering: number;
  @ApiProperty({ example: 3 }) retrying: number;
  @ApiProperty({ example: 0 }) paused: number;
  @ApiProperty({ example: 1520 }) succeeded: number;
  @ApiProperty({ example: 4 }) dead_lettered: number;
  @ApiProperty({ example: 0 }) cancelled: number;
}

export class DurationPercentilesView {
  @ApiProperty({ nullable: true, type: Number, example: 84 }) p50: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 412 }) p95: number | null;
}

/** What waits, now: a tenant bursting has a large backlog (docs/architecture.md, *Fairness*). */
export class TenantBacklogView {
  @ApiProperty({ description: 'Events accepted (202) and not yet dispatched: no workflow started yet', example: 0 })
  eventsNotDispatched: number;

  @ApiProperty({ description: 'Events dispatched whose workflow waits for a worker: not matched to subscriptions yet', example: 1200 })
  eventsWaitingForWorker: number;

  @ApiProperty({ description: 'Deliveries created and waiting for a worker to make their first attempt (status pending)', example: 3 })
  deliveriesWaitingForWorker: number;
}

/**
 * What a tenant's and a subscription's stats share: the window, its deliveries by status, and the
 * success rate of those that reached an outcome.
 */
export class WindowStatsView {
  @ApiProperty({ example: 'ws_4821' })
  tenantId: string;

  @ApiProperty({
    description: 'Start of the window: deliveries and dead letters created, attempts started, at or after it',
    type: String,
    format: 'date-time',
    example: '2025-11-23T00:00:00.000Z',
  })
  since: Date;

  @ApiProperty({ description: 'Deliveries created in the window, by their status now', type: DeliveryCountsView })
  deliveries: DeliveryCountsView;

  @ApiProperty({
    description: 'succeeded / (succeeded + dead_lettered) of those deliveries, 0–1; null when none reached an outcome',
    nullable: true,
    type: Number,
    example: 0.9974,
  })
  successRate: number | null;
}

/** A tenant's figures since an instant, from the delivery log in Postgres. */
export class TenantStatsView extends WindowStatsView {
  @ApiProperty({ description: "HTTP tries to the tenant's endpoints started in the window (scheduled, manual and test)", example: 1571 })
  attempts: number;

  @ApiProperty({
    description: 'Median and 95th percentile of those tries, whole milliseconds (percentile_cont); null without tries',
    type: DurationPercentilesView,
  })
  attemptDurationMs: DurationPercentilesView;

  @ApiProperty({ description: 'Dead letters made in the window and still held (not recovered by a retry, discarded or expired)', example: 4 })
  deadLetters: number;

  @ApiProperty({ description: 'Its backlog now, whatever the window', type: TenantBacklogView })
  backlog: TenantBacklogView;
  @ApiProperty({
    description:
      "Latency of the tenant's endpoints (the block GET /v1/subscriptions/:id/stats gives per subscription): attempt duration and 202 → first success p50/p95/p99, attempts by outcome, bucket by bucket",
    type: LatencyStatsView,
  })
  latency: LatencyStatsView;
}

export function toTenantStatsView(input: {
  tenantId: string;
  since: Date;
  deliveries: DeliveryCounts;
  attempts: AttemptStats;
  deadLetters: number;
  backlog: TenantBacklogView;
}): Omit<TenantStatsView, 'latency'> {
  const ms = (v: number | null): number | null => (v === null ? null : Math.round(v));
  return {
    tenantId: input.tenantId,
    since: input.since,
    deliveries: input.deliveries,
    successRate: successRate(input.deliveries),
    attempts: input.attempts.attempts,
    attemptDurationMs: { p50: ms(input.attempts.durationMs.p50), p95: ms(input.attempts.durationMs.p95) },
    deadLetters: input.deadLetters,
    backlog: input.backlog,
  };
}
