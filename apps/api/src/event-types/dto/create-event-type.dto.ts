import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IMAGE_CREATED } from '../../../../../libs/domain/builtin-event-types';
import { EVENT_TYPE_NAME } from '../../../../../libs/domain/event-types';

export const EVENT_TYPE_DESCRIPTION_MAX_LENGTH = 1000;
export const GROUP_PATTERN = /^[a-z0-9_.-]{1,100}$/;

/** `POST /v1/event-types`. The schema is compiled and the example checked against it by the service. */
export class CreateEventTypeDto {
  @ApiProperty({ description: 'Dot-separated segments of `a-z 0-9 _`, 1 to 5 of them', pattern: EVENT_TYPE_NAME.source, example: 'video.render.completed' })
  @IsString()
  @Matches(EVENT_TYPE_NAME, { message: 'name must be 1 to 5 dot-separated segments of a-z, 0-9 and _' })
  @MaxLength(255)
  name: string;

  @ApiProperty({ maxLength: EVENT_TYPE_DESCRIPTION_MAX_LENGTH, example: 'A video render finished; the payload carries its URL and duration.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(EVENT_TYPE_DESCRIPTION_MAX_LENGTH)
  description: string;

  @ApiProperty({ description: 'JSON Schema 2020-12 of the event `data`', type: 'object', additionalProperties: true, example: IMAGE_CREATED.schema })
  @IsObject()
  schema: Record<string, unknown>;

  @ApiProperty({
    description: 'A `data` the schema accepts; every later schema of the type must accept it too',
    type: 'object',
    additionalProperties: true,
    example: IMAGE_CREATED.example,
  })
  @IsObject()
  example: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'For grouping in lists and the console (`a-z 0-9 _ . -`)', pattern: GROUP_PATTERN.source, example: 'video' })
  @IsOptional()
  @IsString()
  @Matches(GROUP_PATTERN, { message: 'group must be 1 to 100 characters of a-z, 0-9, _, . and -' })
  group?: string;
}
