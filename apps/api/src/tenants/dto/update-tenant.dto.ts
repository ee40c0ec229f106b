import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsObject, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { MAX_TENANT_WEIGHT, MIN_TENANT_WEIGHT } from '../../../../../libs/domain/tenants';
import { TENANT_METADATA_MAX_BYTES, TENANT_NAME_MAX_LENGTH, WEIGHT_DESCRIPTION } from './put-tenant.dto';

/** Absent = unchanged; null is refused. */
const Present = (): PropertyDecorator => ValidateIf((_, v) => v !== undefined);

/** `PATCH /v1/tenants/:id`: any subset of the fields. */
export class UpdateTenantDto {
  @ApiPropertyOptional({ maxLength: TENANT_NAME_MAX_LENGTH, example: 'Acme Studio (EU)' })
  @Present()
  @IsString()
  @IsNotEmpty()
  @MaxLength(TENANT_NAME_MAX_LENGTH)
  name?: string;

  @ApiPropertyOptional({
    description: `Replaces the metadata as a whole (at most ${TENANT_METADATA_MAX_BYTES / 1024} KiB of JSON)`,
    type: 'object',
    additionalProperties: true,
    example: { plan: 'enterprise' },
  })
  @Present()
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ description: WEIGHT_DESCRIPTION, minimum: MIN_TENANT_WEIGHT, maximum: MAX_TENANT_WEIGHT, example: 4 })
  @Present()
  @IsInt()
  @Min(MIN_TENANT_WEIGHT)
  @Max(MAX_TENANT_WEIGHT)
  weight?: number;
}
