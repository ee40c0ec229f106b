import { Module } from '@nestjs/common';
import { TenantStatsController } from './tenant-stats.controller';
import { TenantStatsService } from './tenant-stats.service';

@Module({ controllers: [TenantStatsController], providers: [TenantStatsService] })
export class TenantStatsModule {}
