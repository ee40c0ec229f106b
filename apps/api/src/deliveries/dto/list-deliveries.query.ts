import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../../../libs/domain/types';
import { EVENT_ID_PATTERN } from '../../common/ids';
import { TimeRangePageQuery } from '../../common/pagination';
import { TenantFilterField } from '../../common/tenant-filter';

export const SUBSCRIPTION_ID_PATTERN = /^sub_[0-9A-HJKMNP-TV-Z]{26}$/;

/** `GET /v1/deliveries`: the delivery log, newest first. since/until bound `createdAt`. */
export class ListDeliveriesQuery extends TimeRangePageQuery {
  @TenantFilterField()
  tenantId?: string;

  @ApiPropertyOptional({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  @IsOptional()
  @Matches(SUBSCRIPTION_ID_PATTERN, { message: 'subscriptionId must be a subscription id (sub_…)' })
  subscriptionId?: string;

  @ApiPropertyOptional({ example: 'evt_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  @IsOptional()
  @Matches(EVENT_ID_PATTERN, { message: 'eventId must be an event id' })
  eventId?: string;

  @ApiPropertyOptional({ example: 'image.created' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  eventType?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, example: 'retrying' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}
