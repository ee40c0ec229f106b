import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAllowed } from '../common/auth';
import { pathId } from '../common/ids';
import { CurrentPrincipal, tenantScope, type Principal } from '../common/principal';
import { StatsQuery } from '../common/stats-window';
import { SubscriptionStatsView } from './dto/subscription-stats.view';
import { SubscriptionStatsService } from './subscription-stats.service';

/** One endpoint's figures; a tenant session reads its own subscriptions' (another tenant's are 404 to it). */
@ApiTags('subscriptions')
@ApiBearerAuth()
@TenantAllowed()
@Controller('v1/subscriptions')
export class SubscriptionStatsController {
  constructor(private readonly stats: SubscriptionStatsService) {}

  @Get(':id/stats')
  @ApiOperation({
    summary:
      "The subscription's deliveries by status, success rate, attempt duration and 202 → first success p50/p95/p99, attempts by outcome, bucket by bucket, since an instant (default: the last 24 hours)",
  })
  @ApiOkResponse({ type: SubscriptionStatsView })
  get(@Param('id') id: string, @Query() query: StatsQuery, @CurrentPrincipal() principal: Principal): Promise<SubscriptionStatsView> {
    return this.stats.stats(pathId('subscription', id), query.since, tenantScope(principal));
  }
}
