import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAllowed } from '../common/auth';
import { pathId } from '../common/ids';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { TenantStatsQuery } from './dto/tenant-stats.query';
import { TenantStatsView } from './dto/tenant-stats.view';
import { TenantStatsService } from './tenant-stats.service';

/** Beside the admin's tenant routes: a tenant session may read its own figures here (another tenant's are 404 to it). */
@ApiTags('tenants')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantStatsController {
  constructor(private readonly stats: TenantStatsService) {}

  @Get(':id/stats')
  @TenantAllowed()
  @ApiOperation({
    summary:
      "The tenant's deliveries by status, success rate, attempts, p50/p95 attempt duration and dead letters since an instant (default: the last 24 hours)",
  })
  @ApiOkResponse({ type: TenantStatsView })
  get(@Param('id') id: string, @Query() query: TenantStatsQuery, @CurrentPrincipal() principal: Principal): Promise<TenantStatsView> {
    return this.stats.stats(pathId('tenant', id), query, principal.kind === 'tenant' ? { tenantId: principal.tenantId } : {});
  }
}
