import { Module } from '@nestjs/common';
import { HeaderSealingService } from './header-sealing.service';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';

@Module({ controllers: [SubscriptionsController], providers: [SubscriptionsService, HeaderSealingService], exports: [SubscriptionsService] })
export class SubscriptionsModule {}
