import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import { IMAGE_CREATED } from '../../../../../libs/domain/builtin-event-types';

/** The event to try, in the shape a filter sees (as posted to /v1/events). */
export class FilterTestEventDto {
  @ApiProperty({ example: 'image.created' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  type: string;

  @ApiPropertyOptional({ example: 'tpl_product_highlight' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  templateId?: string;

  @ApiPropertyOptional({ example: 'acme' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  tenantId?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: IMAGE_CREATED.example })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;
}

/** `POST /v1/subscriptions/:id/filter-test`. */
export class FilterTestDto {
  // Checked by the service after the subscription is found, so another tenant's id is a 404 first.
  @ApiProperty({ type: FilterTestEventDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FilterTestEventDto)
  event?: FilterTestEventDto;
}

export class FilterTestChecks {
  @ApiProperty({ description: 'The type passes one of `eventTypes`', example: true })
  eventType: boolean;

  @ApiProperty({ description: 'The template is in `templateIds` (or they are empty)', example: true })
  template: boolean;

  @ApiProperty({ description: 'The payload passes `filter` (or there is none)', example: true })
  filter: boolean;
}

export class FilterTestResult {
  @ApiProperty({ description: 'Whether an event like this one would be delivered to the subscription (were it enabled)', example: true })
  matches: boolean;

  @ApiProperty({ type: FilterTestChecks })
  checks: FilterTestChecks;
}
