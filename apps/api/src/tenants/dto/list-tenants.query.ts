import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, IsOptional, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { TENANT_NAME_MAX_LENGTH } from './put-tenant.dto';

/** `GET /v1/tenants`, by id. */
export class ListTenantsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only tenants whose name starts with this (case-sensitive)', maxLength: TENANT_NAME_MAX_LENGTH, example: 'Acme' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(TENANT_NAME_MAX_LENGTH)
  namePrefix?: string;
}
