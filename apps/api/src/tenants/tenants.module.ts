import { Module } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { PortalSessionsService } from './portal-sessions.service';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({ imports: [SubscriptionsModule], controllers: [TenantsController], providers: [TenantsService, PortalSessionsService] })
export class TenantsModule {}
