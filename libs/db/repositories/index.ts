/**
 * The data-access layer: one repository per aggregate, each with the query vocabulary of its
 * table. Services, activities, the reconciler and the metrics gauges speak these verbs; SQL and
 * ORM calls live here only.
 */
import type { DataSource } from 'typeorm';
import { AttemptRepository } from './attempt.repository';
import { DeadLetterRepository } from './dead-letter.repository';
import { DeliveryRepository } from './delivery.repository';
import { EventRepository } from './event.repository';
import { EventTypeRepository } from './event-type.repository';
import { SendSlotRepository } from './send-slot.repository';
import { StreamRepository } from './stream.repository';
import { SubscriptionRepository } from './subscription.repository';
import { TenantRepository } from './tenant.repository';

export {
  AttemptRepository,
  type AttemptStats,
  type DeliveryAttemptRecord,
  latencyQueries,
  type LatencyBucket,
  type LatencyStats,
  type Percentiles,
  type RecordedAttemptRow,
} from './attempt.repository';
export { DeadLetterRepository, type DeadLetterFilter } from './dead-letter.repository';
export { DeliveryRepository, type AttemptSubject, type DeliveryFilter, type MatchedDeliveryRow, type SubscriptionDeliverySummary } from './delivery.repository';
export { EventRepository, interleave, type ClaimedEvent } from './event.repository';
export { EventTypeRepository, type EventTypeFilter, type EventTypeStamp } from './event-type.repository';
export type { CreatedRange, PageRequest, StatsWindow, TenantScope } from './page';
export { SendSlotRepository, type SendSlot } from './send-slot.repository';
export { StreamRepository, type OrderedEvent, type StreamDeliveryRow, type StreamHead, type StreamTurn } from './stream.repository';
export { SubscriptionRepository, type SubscriptionFilter } from './subscription.repository';
export { TenantRepository, type TenantFilter, type TenantPageRequest } from './tenant.repository';

export interface Stores {
  tenants: TenantRepository;
  subscriptions: SubscriptionRepository;
  events: EventRepository;
  deliveries: DeliveryRepository;
  attempts: AttemptRepository;
  deadLetters: DeadLetterRepository;
  eventTypes: EventTypeRepository;
  sendSlots: SendSlotRepository;
  streams: StreamRepository;
}

export function createStores(dataSource: DataSource): Stores {
  const db = dataSource.manager;
  return {
    tenants: new TenantRepository(db),
    subscriptions: new SubscriptionRepository(db),
    events: new EventRepository(db),
    deliveries: new DeliveryRepository(db),
    attempts: new AttemptRepository(db),
    deadLetters: new DeadLetterRepository(db),
    eventTypes: new EventTypeRepository(db),
    sendSlots: new SendSlotRepository(db),
    streams: new StreamRepository(db),
  };
}
