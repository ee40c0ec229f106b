import { Module } from '@nestjs/common';
import { EventTypesModule } from '../event-types/event-types.module';
import { HeaderSealingService } from './header-sealing.service';
import { SubscriptionStatsController } from './subscription-stats.controller';
import { SubscriptionStatsService } from './subscription-stats.service';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionFiltersService } from './subscription-filters.service';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  imports: [EventTypesModule],
  controllers: [SubscriptionsController, SubscriptionStatsController],
  providers: [SubscriptionsService, SubscriptionFiltersService, HeaderSealingService, SubscriptionStatsService],
  exports: [SubscriptionsService],
})
export class SubscriptionsModule {}
