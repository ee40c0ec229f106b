import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { RATE_LIMIT_MAX, RATE_LIMIT_MIN } from '../../../../../libs/domain/throttle';
import { ORDERINGS, PAYLOAD_FORMATS, type Ordering, type PayloadFormat } from '../../../../../libs/domain/types';
import { TenantIdField } from '../../common/tenant-filter';

export const ORDERING_DESCRIPTION =
  "`none` (default): each delivery on its own. `fifo`: deliveries of one ordering key (the event's `orderingKey`; without one, the subscription's single stream) go one at a time, in the order their events were accepted; requests carry `x-herald-ordering-key` and `x-herald-sequence`. A change applies to deliveries created from then on";

export const URL_MAX_LENGTH = 2048;
export const DESCRIPTION_MAX_LENGTH = 1000;
export const MAX_EVENT_TYPE_FILTERS = 50;
export const MAX_TEMPLATE_IDS = 100;

const EXAMPLE_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** `POST /v1/subscriptions`. Catalog, URL policy, header and secret rules are checked by the service. */
export class CreateSubscriptionDto {
  @TenantIdField(
    'The tenant it belongs to (1..64 of `A-Za-z0-9._:-`), created when new; absent = `default`. With a tenant token: absent or its own tenant (another is 403)',
  )
  tenantId?: string;

  @ApiProperty({
    description: 'Where Herald POSTs; https unless HERALD_ALLOW_HTTP, no private/loopback/metadata address unless HERALD_ALLOWED_TARGETS',
    maxLength: URL_MAX_LENGTH,
    example: 'https://hooks.example.com/herald',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(URL_MAX_LENGTH)
  url: string;

  @ApiProperty({ description: 'Event types to receive: an exact type, a family (`image.*`) or `*`', type: [String], example: ['image.created'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_EVENT_TYPE_FILTERS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  eventTypes: string[];

  @ApiPropertyOptional({ description: 'Only events of these templates; empty or absent = every template', type: [String], example: ['tpl_product_highlight'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TEMPLATE_IDS)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  templateIds?: string[];

  @ApiPropertyOptional({ maxLength: DESCRIPTION_MAX_LENGTH, example: 'Production image pipeline' })
  @IsOptional()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiPropertyOptional({
    description: 'Signing secret `whsec_<base64>` (24 to 64 bytes); generated when absent. Shown only in this response and on rotation.',
    example: EXAMPLE_SECRET,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  secret?: string;

  @ApiPropertyOptional({
    description:
      'Custom request headers; may not override content-type, user-agent, the webhook-* signature headers or x-herald-*; no CR/LF in values. ' +
      'Values are credentials: stored encrypted and shown masked (`••••` and the last 4 characters) in every response; they cannot be read back.',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'x-customer-id': 'acme' },
  })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'Sent as `user_defined` in every payload (at most 8 KiB of JSON)',
    type: 'object',
    additionalProperties: true,
    example: { auth: 'stencil-secret-xyz', environment: 'staging', source: 'usestencil' },
  })
  @IsOptional()
  @IsObject()
  userDefined?: Record<string, unknown>;

  @ApiPropertyOptional({
    enum: PAYLOAD_FORMATS,
    default: 'flat',
    description: '`flat`: the documented image payload plus `user_defined`; `envelope`: `{ id, type, timestamp, traceId, data, user_defined }`',
    example: 'flat',
  })
  @IsOptional()
  @IsIn(PAYLOAD_FORMATS)
  payloadFormat?: PayloadFormat;

  @ApiPropertyOptional({ default: true, example: true })
  @IsOptional()
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
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown> | null;

  @RateLimitField()
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ enum: ORDERINGS, default: 'none', description: ORDERING_DESCRIPTION, example: 'fifo' })
  @IsOptional()
  @IsIn(ORDERINGS)
  ordering?: Ordering;
}

/** `rateLimitPerSecond` on create and PATCH: an integer 1–10,000, or null (absent on create: null). */
export function RateLimitField(): PropertyDecorator {
  const decorators = [
    ApiPropertyOptional({
      description:
        'At most this many requests a second to this endpoint, across every worker; deliveries over it wait for their turn without consuming an attempt. null: unlimited',
      type: 'integer',
      minimum: RATE_LIMIT_MIN,
      maximum: RATE_LIMIT_MAX,
      nullable: true,
      example: 50,
    }),
    ValidateIf((_, v) => v !== undefined && v !== null),
    IsInt(),
    Min(RATE_LIMIT_MIN),
    Max(RATE_LIMIT_MAX),
  ];
  return (target, key) => decorators.forEach((d) => d(target, key));
}

export { EXAMPLE_SECRET };
