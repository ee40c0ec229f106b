import { In, LessThan, Not } from 'typeorm';
import { DeadLetter, Delivery } from '../libs/db/entities';
import type { ActivityDeps } from './deps';
import type { DeliveryRef } from './types';

/** Marks a delivery cancelled (subscription disabled or deleted, or an operator's cancel). A finished delivery keeps its status. */
export function markDeliveryCancelled({ dataSource, clock = () => new Date(), onDeliveryFinished }: ActivityDeps) {
  return async (input: DeliveryRef & { reason: string }): Promise<void> => {
    const now = clock();
    const result = await dataSource.getRepository(Delivery).update(
      { id: input.deliveryId, status: Not(In(['succeeded', 'cancelled', 'dead_lettered'])) },
      { status: 'cancelled', nextAttemptAt: null, lastError: input.reason, updatedAt: now, completedAt: now },
    );
    if (result.affected) onDeliveryFinished?.('cancelled');
  };
}

/** Deletes dead letters past their retention; the delivery log keeps the delivery and its attempts. */
export function purgeExpiredDeadLetters({ dataSource, clock = () => new Date() }: ActivityDeps) {
  return async (): Promise<{ purged: number }> => {
    const result = await dataSource.getRepository(DeadLetter).delete({ expiresAt: LessThan(clock()) });
    return { purged: result.affected ?? 0 };
  };
}
