import { ApiProperty } from '@nestjs/swagger';
import { WindowStatsView } from '../../tenants/dto/tenant-stats.view';
import { LatencyStatsView } from './latency-stats.view';

/** One subscription's figures since an instant, from the delivery log in Postgres. */
export class SubscriptionStatsView extends WindowStatsView {
  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  subscriptionId: string;

  @ApiProperty({ description: 'Dead letters made in the window and still held', example: 4 })
  deadLetters: number;

  @ApiProperty({ description: 'Attempt durations, 202 → first success, outcomes, and the same bucket by bucket', type: LatencyStatsView })
  latency: LatencyStatsView;
}
