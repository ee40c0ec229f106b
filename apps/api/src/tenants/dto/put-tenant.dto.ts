import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export const TENANT_NAME_MAX_LENGTH = 200;
/** Metadata is the platform's notes about its customer: kept small. */
export const TENANT_METADATA_MAX_BYTES = 8 * 1024;

/** `PUT /v1/tenants/:id`: the whole tenant; an absent name is the id, absent metadata is `{}`. */
export class PutTenantDto {
  @ApiPropertyOptional({ description: 'Shown to operators; defaults to the id', maxLength: TENANT_NAME_MAX_LENGTH, example: 'Acme Studio' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(TENANT_NAME_MAX_LENGTH)
  name?: string;

  @ApiPropertyOptional({
    description: `Any JSON object (at most ${TENANT_METADATA_MAX_BYTES / 1024} KiB); replaced as a whole`,
    type: 'object',
    additionalProperties: true,
    example: { plan: 'pro' },
  })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}
