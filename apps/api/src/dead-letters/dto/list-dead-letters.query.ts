import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { TimeRangePageQuery } from '../../common/pagination';
import { TenantFilterField } from '../../common/tenant-filter';
import { SUBSCRIPTION_ID_PATTERN } from '../../deliveries/dto/list-deliveries.query';

/** `GET /v1/dead-letters`, newest first. since/until bound `createdAt` (when the schedule ran out). */
export class ListDeadLettersQuery extends TimeRangePageQuery {
  @TenantFilterField()
  tenantId?: string;

  @ApiPropertyOptional({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  @IsOptional()
  @Matches(SUBSCRIPTION_ID_PATTERN, { message: 'subscriptionId must be a subscription id (sub_…)' })
  subscriptionId?: string;

  @ApiPropertyOptional({ example: 'image.created' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  eventType?: string;
}
