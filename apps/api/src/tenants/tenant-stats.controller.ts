import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { pathId } from '../common/ids';
import { TenantStatsQuery } from './dto/tenant-stats.query';
import { TenantStatsView } from './dto/tenant-stats.view';
import { TenantStatsService } from './tenant-stats.service';

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantStatsController {
  constructor(private readonly stats: TenantStatsService) {}

  @Get(':id/stats')
  @ApiOperation({ summary: "The tenant's deliveries by status, success rate, attempts, p50/p95 attempt duration and dead letters since an instant (default: the last 24 hours)" })
  @ApiOkResponse({ type: TenantStatsView })
  get(@Param('id') id: string, @Query() query: TenantStatsQuery): Promise<TenantStatsView> {
    return this.stats.stats(pathId('tenant', id), query);
  }
}
