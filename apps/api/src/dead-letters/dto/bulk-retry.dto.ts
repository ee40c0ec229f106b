import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, Matches } from 'class-validator';
import { TenantFilterField } from '../../common/tenant-filter';
import { SUBSCRIPTION_ID_PATTERN } from '../../deliveries/dto/list-deliveries.query';

/** At most this many dead letters are restarted per bulk call; `remaining` tells what is left. */
export const BULK_RETRY_LIMIT = 1000;

/** `POST /v1/dead-letters/retry`: every filter is optional; none = all dead letters. */
export class BulkRetryDto {
  @TenantFilterField()
  tenantId?: string;

  @ApiPropertyOptional({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  @IsOptional()
  @Matches(SUBSCRIPTION_ID_PATTERN, { message: 'subscriptionId must be a subscription id (sub_…)' })
  subscriptionId?: string;

  @ApiPropertyOptional({ description: 'Dead-lettered at or after (ISO 8601)', example: '2025-11-23T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'Dead-lettered at or before (ISO 8601)', example: '2025-11-24T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class BulkRetryResult {
  @ApiProperty({ description: 'Dead letters whose delivery got a new run with one `manual` attempt', example: 12 })
  restarted: number;

  @ApiProperty({ description: `Matching dead letters left for another call (at most ${BULK_RETRY_LIMIT} are restarted per call)`, example: 0 })
  remaining: number;
}
