import { Module } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { PortalSessionsService } from './portal-sessions.service';
import { TenantStatsController } from './tenant-stats.controller';
import { TenantStatsService } from './tenant-stats.service';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({
  imports: [SubscriptionsModule],
  controllers: [TenantsController, TenantStatsController],
  providers: [TenantsService, PortalSessionsService, TenantStatsService],
})
export class TenantsModule {}
