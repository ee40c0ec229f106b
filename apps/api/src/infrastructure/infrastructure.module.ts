import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { Config } from '../../../../libs/config/config';
import { createDataSource } from '../../../../libs/db/data-source';
import { createStores } from '../../../../libs/db/repositories';
import { createSecretBox, type SecretBox } from '../../../../libs/delivery/secret-box';
import { connectClient } from '../../../../libs/temporal/connection';
import { DeliveryService } from '../../../../libs/temporal/delivery-service';
import { PortalTokens } from '../common/portal-token';
import { CONFIG, PORTAL_TOKENS, STORES, TEMPORAL_CLIENT } from './tokens';

export const SECRET_BOX = Symbol('herald:secret-box');
export type { SecretBox };

/**
 * Postgres (its DataSource and the repositories over it), Temporal and the client-side delivery service, shared by every feature module.
 * The Temporal connection is lazy: the API starts (and /health answers) while Temporal is
 * still coming up; /ready tells when it is reachable.
 */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
  ) {}

  static forRoot(config: Config): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: DataSource,
          useFactory: () => createDataSource(config.databaseUrl, { applicationName: 'herald-api' }).initialize(),
        },
        { provide: STORES, inject: [DataSource], useFactory: createStores },
        { provide: TEMPORAL_CLIENT, useFactory: () => connectClient(config, { lazy: true }) },
        {
          provide: DeliveryService,
          inject: [TEMPORAL_CLIENT],
          useFactory: (client: Client) => new DeliveryService(client, config.temporal.taskQueue, config.temporal.uiUrl, config.temporal.namespace),
        },
        { provide: SECRET_BOX, useValue: createSecretBox(config.secretKeys) },
        { provide: PORTAL_TOKENS, useValue: new PortalTokens(config.secretKeys) },
      ],
      exports: [CONFIG, DataSource, STORES, TEMPORAL_CLIENT, DeliveryService, SECRET_BOX, PORTAL_TOKENS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
