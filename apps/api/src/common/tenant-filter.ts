import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { TENANT_ID_PATTERN } from '../../../../libs/domain/tenants';

/** An optional `tenantId` field, validated by the one tenant-id rule; `description` says what it means where it stands. */
export const TenantIdField = (description: string): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ description, pattern: TENANT_ID_PATTERN.source, example: 'ws_4821' }),
    IsOptional(),
    IsString(),
    Matches(TENANT_ID_PATTERN, { message: 'tenantId must be 1 to 64 characters of A-Za-z0-9 . _ : -' }),
  );

/** The `tenantId` filter of every list (and bulk action): the admin narrows by it; a tenant session may only name its own. */
export const TenantFilterField = (): PropertyDecorator =>
  TenantIdField("Only this tenant's rows (admin); a tenant session always sees only its own, and naming another tenant is 403");
