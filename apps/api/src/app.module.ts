import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { Config } from '../../../libs/config/config';
import { AuthGuard } from './common/auth';
import { ErrorFilter } from './common/error.filter';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { EventsModule } from './events/events.module';
import { EventTypesModule } from './event-types/event-types.module';
import { HealthModule } from './health/health.module';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { MetricsModule } from './metrics/metrics.module';
import { SessionModule } from './session/session.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { TenantsModule } from './tenants/tenants.module';

/** Feature modules of the admin API; each owns its controller, service and DTOs. */
const FEATURES = [
  HealthModule,
  MetricsModule,
  TenantsModule,
  SubscriptionsModule,
  EventTypesModule,
  EventsModule,
  DeliveriesModule,
  DeadLettersModule,
  SessionModule,
];

@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [InfrastructureModule.forRoot(config), ...FEATURES],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
