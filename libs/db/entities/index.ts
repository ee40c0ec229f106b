import { Attempt } from './attempt.entity';
import { DeadLetter } from './dead-letter.entity';
import { Delivery } from './delivery.entity';
import { Event } from './event.entity';
import { Subscription } from './subscription.entity';
import { Tenant } from './tenant.entity';

export { Attempt, DeadLetter, Delivery, Event, Subscription, Tenant };
export const ENTITIES = [Tenant, Subscription, Event, Delivery, Attempt, DeadLetter];
