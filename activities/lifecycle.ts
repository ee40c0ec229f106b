import type { ActivityDeps } from './deps';
import type { DeliveryRef } from './types';

/** Marks a delivery cancelled (subscription disabled or deleted, or an operator's cancel). A finished delivery keeps its status. */
export function markDeliveryCancelled({ deliveries, clock = () => new Date(), onDeliveryFinished }: ActivityDeps) {
  return async (input: DeliveryRef & { reason: string }): Promise<void> => {
    if (await deliveries.markCancelled(input.deliveryId, input.reason, clock())) onDeliveryFinished?.('cancelled');
  };
}

/** Deletes dead letters past their retention; the delivery log keeps the delivery and its attempts. */
export function purgeExpiredDeadLetters({ deadLetters, clock = () => new Date() }: ActivityDeps) {
  return async (): Promise<{ purged: number }> => ({ purged: await deadLetters.purgeExpired(clock()) });
}
