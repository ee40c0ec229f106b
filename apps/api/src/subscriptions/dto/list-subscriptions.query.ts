import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { TenantFilterField } from '../../common/tenant-filter';

/** `?enabled=true|false`; anything else stays a string and fails @IsBoolean. */
const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

export class ListSubscriptionsQuery extends PageQuery {
  @TenantFilterField()
  tenantId?: string;

  @ApiPropertyOptional({
    description: 'Subscriptions that receive this type (exact, `image.*` or `*` filters); a wildcard matches subscriptions that list it',
    example: 'image.created',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  eventType?: string;

  @ApiPropertyOptional({ type: Boolean, example: true })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  enabled?: boolean;
}
