import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsString,
  Length,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { ORDERINGS, PAYLOAD_FORMATS, type Ordering, type PayloadFormat } from '../../../../../libs/domain/types';
import {
  DESCRIPTION_MAX_LENGTH,
  MAX_EVENT_TYPE_FILTERS,
  MAX_TEMPLATE_IDS,
  ORDERING_DESCRIPTION,
  RateLimitField,
  URL_MAX_LENGTH,
} from './create-subscription.dto';

/** Absent = unchanged; null is a value (and refused, except for `description`). */
const Present = (): PropertyDecorator => ValidateIf((_, v) => v !== undefined);

/**
 * `PATCH /v1/subscriptions/:id`: any subset of the fields. Changes apply from the next attempt
 * of every delivery. The secret changes only through `rotate-secret`.
 */
export class UpdateSubscriptionDto {
  @ApiPropertyOptional({ maxLength: URL_MAX_LENGTH, example: 'https://hooks.example.com/herald/v2' })
  @Present()
  @IsString()
  @IsNotEmpty()
  @MaxLength(URL_MAX_LENGTH)
  url?: string;

  @ApiPropertyOptional({ type: [String], example: ['image.*'] })
  @Present()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_EVENT_TYPE_FILTERS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  eventTypes?: string[];

  @ApiPropertyOptional({ type: [String], example: [] })
  @Present()
  @IsArray()
  @ArrayMaxSize(MAX_TEMPLATE_IDS)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  templateIds?: string[];

  @ApiPropertyOptional({ description: 'null clears it', maxLength: DESCRIPTION_MAX_LENGTH, nullable: true, type: String, example: 'Staging pipeline' })
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({
    description:
      'Replaces the whole map, every value given in full: values are write-only, so a header cannot be kept without resending its value ' +
      '(a masked `••••…` value is refused). `{}` removes them all.',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'x-customer-id': 'acme' },
  })
  @Present()
  @IsObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { environment: 'production' } })
  @Present()
  @IsObject()
  userDefined?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: PAYLOAD_FORMATS, example: 'envelope' })
  @Present()
  @IsIn(PAYLOAD_FORMATS)
  payloadFormat?: PayloadFormat;

  @ApiPropertyOptional({ description: 'false stops sending: running deliveries end `cancelled` at their next attempt', example: false })
  @Present()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    description:
      'Payload filter mirroring the event (`type`, `templateId`, `tenantId`, `data`) with `$eq $neq $in $nin $gt $gte $lt $lte $exists $startsWith $and $or $not` at the leaves; `{}` or null: none',
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { data: { metadata: { env: { $eq: 'prod' } } } },
  })
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @IsObject()
  filter?: Record<string, unknown> | null;

  /** null removes the limit. */
  @RateLimitField()
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ enum: ORDERINGS, description: ORDERING_DESCRIPTION, example: 'fifo' })
  @Present()
  @IsIn(ORDERINGS)
  ordering?: Ordering;
}
