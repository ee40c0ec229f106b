import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { TENANT_ID_PATTERN } from '../../../../libs/domain/tenants';

/** The `tenantId` filter of every list (and bulk action): the admin narrows by it; a tenant session may only name its own. */
export const TenantFilterField = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ description: "Only this tenant's rows (admin); a tenant session always sees only its own, and naming another tenant is 403", pattern: TENANT_ID_PATTERN.source, example: 'ws_4821' }),
    IsOptional(),
    IsString(),
    Matches(TENANT_ID_PATTERN, { message: 'tenantId must be 1 to 64 characters of A-Za-z0-9 . _ : -' }),
  );
