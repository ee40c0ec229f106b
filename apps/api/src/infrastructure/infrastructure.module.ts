import { Global, Inject, Logger, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { Config } from '../../../../libs/config/config';
import { createDataSource } from '../../../../libs/db/data-source';
import { createStores, type Stores } from '../../../../libs/db/repositories';
import { createSecretBox, type SecretBox } from '../../../../libs/delivery/secret-box';
import { connectClient } from '../../../../libs/temporal/connection';
import { DeliveryService } from '../../../../libs/temporal/delivery-service';
import { Dispatcher } from '../../../../libs/temporal/dispatcher';
import { PortalTokens } from '../common/portal-token';
import { PendingTraces, startTracing, type Tracing } from '../../../../libs/observability/tracing';
import { CONFIG, DISPATCHER, PENDING_TRACES, PORTAL_TOKENS, STORES, TEMPORAL_CLIENT, TRACING } from './tokens';

export const SECRET_BOX = Symbol('herald:secret-box');
export type { SecretBox };

/**
 * Postgres (its DataSource and the repositories over it), Temporal and the client-side delivery service, shared by every feature module.
 * The Temporal connection is lazy: the API starts, and takes events, while Temporal is away.
 * The dispatcher starts the workflows of the events this API commits, and sweeps for any left
 * (docs/architecture.md, *Dispatch*); it stops before the connections close.
 */
@Global()
@Module({})
export class InfrastructureModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(DISPATCHER) private readonly dispatcher: Dispatcher,
    @Inject(TRACING) private readonly tracing: Tracing,
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
        { provide: TRACING, useFactory: () => startTracing(config.telemetry, 'herald-api') },
        { provide: PENDING_TRACES, useValue: new PendingTraces() },
        { provide: TEMPORAL_CLIENT, inject: [TRACING], useFactory: (tracing: Tracing) => connectClient(config, { lazy: true, tracing }) },
        {
          provide: DeliveryService,
          inject: [TEMPORAL_CLIENT, TRACING, PENDING_TRACES],
          useFactory: (client: Client, tracing: Tracing, pending: PendingTraces) =>
            new DeliveryService(
              client,
              config.temporal.taskQueue,
              config.temporal.uiUrl,
              config.temporal.namespace,
              tracing.enabled ? { tracer: tracing.tracer, pending } : undefined,
            ),
        },
        {
          provide: DISPATCHER,
          inject: [STORES, DeliveryService],
          useFactory: (stores: Stores, deliveries: DeliveryService) => {
            const log = new Logger('Dispatcher');
            return new Dispatcher(stores.events, deliveries, {
              sweepMs: config.dispatch.sweepMs,
              window: config.dispatch.window,
              onError: (err) => log.warn(`event workflows not started, retrying with backoff: ${(err as Error).message}`),
            }).start();
          },
        },
        { provide: SECRET_BOX, useValue: createSecretBox(config.secretKeys) },
        { provide: PORTAL_TOKENS, useValue: new PortalTokens(config.secretKeys) },
      ],
      exports: [CONFIG, DataSource, STORES, TEMPORAL_CLIENT, DeliveryService, DISPATCHER, SECRET_BOX, PORTAL_TOKENS, TRACING, PENDING_TRACES],
    };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.tracing.shutdown(); // exports the spans still buffered
  }
}
