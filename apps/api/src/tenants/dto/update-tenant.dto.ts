import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsString, MaxLength, ValidateIf } from 'class-validator';
import { TENANT_METADATA_MAX_BYTES, TENANT_NAME_MAX_LENGTH } from './put-tenant.dto';

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
}
