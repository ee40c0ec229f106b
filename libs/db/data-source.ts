import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { InitialSchema1763856000000 } from './migrations/1763856000000-InitialSchema';
import { Tenants1796167751584 } from './migrations/1796167751584-Tenants';
import { EventCatalog1796167800000 } from './migrations/1796167800000-EventCatalog';
import { PauseAndThrottle1796300000000 } from './migrations/1796300000000-PauseAndThrottle';
import { EndpointHealth1796300100000 } from './migrations/1796300100000-EndpointHealth';
import { DeliverySendingAttempt1796300200000 } from './migrations/1796300200000-DeliverySendingAttempt';
import { TenantFairness1796400100000 } from './migrations/1796400100000-TenantFairness';
import { LogAtScaleIndexes1796400300000 } from './migrations/1796400300000-LogAtScaleIndexes';
import { OrderedDelivery1796400400000 } from './migrations/1796400400000-OrderedDelivery';
import { AttemptRequest1796400600000 } from './migrations/1796400600000-AttemptRequest';
import { AttemptStatsHourly1796401000000 } from './migrations/1796401000000-AttemptStatsHourly';
import { AttemptStatsDaily1796401100000 } from './migrations/1796401100000-AttemptStatsDaily';
import { SubscriptionRareStatusIndex1796401200000 } from './migrations/1796401200000-SubscriptionRareStatusIndex';

export const MIGRATIONS = [
  InitialSchema1763856000000,
  Tenants1796167751584,
  EventCatalog1796167800000,
  PauseAndThrottle1796300000000,
  EndpointHealth1796300100000,
  DeliverySendingAttempt1796300200000,
  TenantFairness1796400100000,
  LogAtScaleIndexes1796400300000,
  OrderedDelivery1796400400000,
  AttemptRequest1796400600000,
  AttemptStatsHourly1796401000000,
  AttemptStatsDaily1796401100000,
  SubscriptionRareStatusIndex1796401200000,
];

/** The one DataSource definition, shared by the API, the worker and the migration CLI. */
export function createDataSource(
  databaseUrl: string,
  options: {
    poolSize?: number;
    applicationName?: string;
    /** The bench's log-at-scale measures before a migration: all but it. */ migrations?: typeof MIGRATIONS;
  } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: options.migrations ?? MIGRATIONS,
    migrationsTableName: 'herald_migrations',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName ?? 'herald',
    extra: { max: options.poolSize ?? 20, connectionTimeoutMillis: 5_000 },
  });
}
