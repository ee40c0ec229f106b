import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { GROUP_PATTERN } from './create-event-type.dto';

const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

/** `GET /v1/event-types?group=&includeArchived=`. The catalog is small: one page, by name. */
export class ListEventTypesQuery {
  @ApiPropertyOptional({ example: 'video' })
  @IsOptional()
  @IsString()
  @Matches(GROUP_PATTERN, { message: 'group must be 1 to 100 characters of a-z, 0-9, _, . and -' })
  group?: string;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Archived types too (kept for history)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  includeArchived?: boolean;
}
