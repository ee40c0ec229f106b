import { ApiProperty } from '@nestjs/swagger';
import { DeliveryCountsView } from '../../tenants/dto/tenant-stats.view';
import { LatencyStatsView } from './latency-stats.view';

/** One subscription's figures since an instant, from the delivery log in Postgres. */
export class SubscriptionStatsView {
  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  subscriptionId: string;

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

  @ApiProperty({ description: 'Dead letters made in the window and still held', example: 4 })
  deadLetters: number;

  @ApiProperty({ description: 'Attempt durations, 202 → first success, outcomes, and the same bucket by bucket', type: LatencyStatsView })
  latency: LatencyStatsView;
}
