import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { SAMPLE_IMAGE_CREATED } from '../../../../../libs/delivery/payload';
import { MAX_ORDERING_KEY_LENGTH } from '../../../../../libs/domain/ordering';
import { EVENT_ID_PATTERN } from '../../common/ids';
import { TenantIdField } from '../../common/tenant-filter';

/** `POST /v1/events`. The data is checked against the JSON Schema of its type by the service. */
export class IngestEventDto {
  @ApiPropertyOptional({
    description: "The producer's own id (1..255 of `A-Za-z0-9_.:-`). Posting the same id again is idempotent; Herald makes `evt_<ulid>` when absent.",
    pattern: EVENT_ID_PATTERN.source,
    example: 'render_7f3a9c2e',
  })
  @IsOptional()
  @IsString()
  @Matches(EVENT_ID_PATTERN, { message: 'id must be 1 to 255 characters of A-Za-z0-9 _ . : -' })
  id?: string;

  @TenantIdField(
    "Whose event it is (1..64 of `A-Za-z0-9._:-`): only this tenant's subscriptions receive it; absent = `default`. The tenant need not be registered: an event no subscription matches is accepted and delivered nowhere.",
  )
  tenantId?: string;

  @ApiProperty({ description: 'An event type of the catalog (GET /v1/event-types)', example: 'image.created' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  type: string;

  @ApiPropertyOptional({ description: 'The template the image was rendered from; subscriptions can be scoped to templates', example: 'tpl_product_highlight' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  templateId?: string;

  @ApiPropertyOptional({ description: "The producer's trace id, carried into the `envelope` payload", example: 'trace-4bf92f3577b34da6' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  traceId?: string;

  @ApiPropertyOptional({
    description:
      "The stream the event belongs to at `fifo` subscriptions (a batch, job, image or video id): their deliveries of one key go one at a time, in acceptance order. Absent: the subscription's single stream",
    example: 'batch_8123',
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_ORDERING_KEY_LENGTH, { message: `orderingKey must be 1 to ${MAX_ORDERING_KEY_LENGTH} characters` })
  orderingKey?: string;

  @ApiProperty({
    description: 'The payload, valid against the JSON Schema of `type`',
    type: 'object',
    additionalProperties: true,
    example: SAMPLE_IMAGE_CREATED,
  })
  @IsObject()
  data: Record<string, unknown>;
}
