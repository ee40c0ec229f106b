import { Module } from '@nestjs/common';
import { EventTypesModule } from '../event-types/event-types.module';
import { HeaderSealingService } from './header-sealing.service';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionFiltersService } from './subscription-filters.service';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  imports: [EventTypesModule],
  controllers: [SubscriptionsController],
  providers: [SubscriptionsService, SubscriptionFiltersService, HeaderSealingService],
  exports: [SubscriptionsService],
})
export class SubscriptionsModule {}
