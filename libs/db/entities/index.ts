import { Attempt } from './attempt.entity';
import { DeadLetter } from './dead-letter.entity';
import { Delivery } from './delivery.entity';
import { Event } from './event.entity';
import { EventType } from './event-type.entity';
import { Subscription } from './subscription.entity';
import { Tenant } from './tenant.entity';

export { Attempt, DeadLetter, Delivery, Event, EventType, Subscription, Tenant };
export const ENTITIES = [Tenant, Subscription, Event, Delivery, Attempt, DeadLetter, EventType];
