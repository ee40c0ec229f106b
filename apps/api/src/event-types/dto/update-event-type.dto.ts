import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { EVENT_TYPE_DESCRIPTION_MAX_LENGTH, GROUP_PATTERN } from './create-event-type.dto';

const Present = (): PropertyDecorator => ValidateIf((_, v) => v !== undefined);

/**
 * `PATCH /v1/event-types/:name`: any subset. A new schema must accept the stored example and the
 * new example when one is given (else 422 `incompatible_schema` naming the first path); it bumps
 * the version, and events are checked against it from the next request on every replica.
 */
export class UpdateEventTypeDto {
  @ApiPropertyOptional({ maxLength: EVENT_TYPE_DESCRIPTION_MAX_LENGTH, example: 'A video render finished' })
  @Present()
  @IsString()
  @IsNotEmpty()
  @MaxLength(EVENT_TYPE_DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiPropertyOptional({ description: 'JSON Schema 2020-12 of the event `data`', type: 'object', additionalProperties: true })
  @Present()
  @IsObject()
  schema?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Replaces the stored example; the (new) schema must accept it', type: 'object', additionalProperties: true })
  @Present()
  @IsObject()
  example?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'null clears it', nullable: true, type: String, pattern: GROUP_PATTERN.source, example: 'video' })
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @IsString()
  @Matches(GROUP_PATTERN, { message: 'group must be 1 to 100 characters of a-z, 0-9, _, . and -' })
  group?: string | null;
}
