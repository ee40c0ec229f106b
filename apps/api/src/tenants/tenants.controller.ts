import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { pathId } from '../common/ids';
import { NoBody } from '../common/json-body';
import type { Page } from '../common/pagination';
import { ListTenantsQuery } from './dto/list-tenants.query';
import { CreatePortalSessionDto, PortalSessionView } from './dto/portal-session.dto';
import { PutTenantDto } from './dto/put-tenant.dto';
import { TenantPage, TenantView } from './dto/tenant.view';
import { UpdateTenantDto } from './dto/update-tenant.dto';
import { PortalSessionsService } from './portal-sessions.service';
import { TenantsService } from './tenants.service';

/** Admin only: a tenant session gets 403 on every route here (the guard's default). */
@ApiTags('tenants')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly portalSessions: PortalSessionsService,
  ) {}

  @Put(':id')
  @ApiOperation({ summary: "Create the tenant under the platform's own id (201), or replace its name and metadata (200)" })
  @ApiCreatedResponse({ type: TenantView, description: 'Created' })
  @ApiOkResponse({ type: TenantView, description: 'Updated' })
  async put(@Param('id') id: string, @Body() dto: PutTenantDto, @Res({ passthrough: true }) res: Response): Promise<TenantView> {
    const { tenant, created } = await this.tenants.put(id, dto);
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return tenant;
  }

  @Get()
  @ApiOperation({ summary: 'List tenants by id, filtered by name prefix' })
  @ApiOkResponse({ type: TenantPage })
  list(@Query() query: ListTenantsQuery): Promise<Page<TenantView>> {
    return this.tenants.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One tenant' })
  @ApiOkResponse({ type: TenantView })
  get(@Param('id') id: string): Promise<TenantView> {
    return this.tenants.get(pathId('tenant', id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the name or replace the metadata' })
  @ApiOkResponse({ type: TenantView })
  update(@Param('id') id: string, @Body() dto: UpdateTenantDto): Promise<TenantView> {
    return this.tenants.update(pathId('tenant', id), dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary:
      'Delete the tenant with its subscriptions, their delivery logs and dead letters; their running deliveries stop, its portal sessions end (`default` cannot be deleted: 409)',
  })
  @ApiNoContentResponse()
  remove(@Param('id') id: string, @NoBody() _body: undefined): Promise<void> {
    return this.tenants.remove(pathId('tenant', id));
  }

  @Post(':id/portal-sessions')
  @ApiOperation({ summary: "A short-lived token (and console link) that sees and manages only this tenant's webhooks" })
  @ApiCreatedResponse({ type: PortalSessionView })
  createPortalSession(@Param('id') id: string, @Body() dto: CreatePortalSessionDto): Promise<PortalSessionView> {
    return this.portalSessions.create(pathId('tenant', id), dto.expiresIn);
  }
}
