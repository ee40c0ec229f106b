import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { MAX_TENANT_WEIGHT, MIN_TENANT_WEIGHT } from '../../../../../libs/domain/tenants';

export const TENANT_NAME_MAX_LENGTH = 200;
/** Metadata is the platform's notes about its customer: kept small. */
export const TENANT_METADATA_MAX_BYTES = 8 * 1024;

export const WEIGHT_DESCRIPTION =
  'Its share under contention (docs/architecture.md, *Fairness*): while tenants are backlogged, one of weight 4 gets about four times the deliveries per second of one of weight 1';

/** `PUT /v1/tenants/:id`: the whole tenant; an absent name is the id, absent metadata is `{}`, absent weight is 1. */
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

  @ApiPropertyOptional({ description: WEIGHT_DESCRIPTION, minimum: MIN_TENANT_WEIGHT, maximum: MAX_TENANT_WEIGHT, default: 1, example: 4 })
  @ValidateIf((_, v) => v !== undefined) // absent is 1; null is refused
  @IsInt()
  @Min(MIN_TENANT_WEIGHT)
  @Max(MAX_TENANT_WEIGHT)
  weight?: number;
}
