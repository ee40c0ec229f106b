import { prepareRequest } from '../libs/delivery/attempt';
import type { AttemptTrigger } from '../libs/domain/types';
import type { ActivityDeps } from './deps';
import type { DeliveryRef, PreparedAttempt, SkippedAttempt } from './types';

/**
 * Stage 1 of an attempt: read the subscription as it is now (disabled or deleted → the delivery
 * stops), build the body and headers, sign them, and seal the request for the workflow history.
 */
export function prepareAttempt({ subscriptions, deliveries, events, secretBox, version, clock = () => new Date() }: ActivityDeps) {
  return async (input: DeliveryRef & { trigger: AttemptTrigger }): Promise<PreparedAttempt | SkippedAttempt> => {
    const [subscription, delivery, event] = await Promise.all([
      subscriptions.find(input.subscriptionId),
      deliveries.find(input.deliveryId),
      events.find(input.eventId),
    ]);
    if (!subscription || !delivery || !event) return { kind: 'cancelled', reason: 'subscription deleted' };
    if (!subscription.enabled) return { kind: 'cancelled', reason: 'subscription disabled' };
    if (delivery.status === 'cancelled' && input.trigger === 'scheduled') return { kind: 'cancelled', reason: delivery.lastError ?? 'delivery cancelled' };

    const now = clock();
    const attemptNumber = delivery.attemptCount + 1;
    const request = prepareRequest({ subscription, event, webhookId: delivery.id, attemptNumber, now, open: (s) => secretBox.open(s), version });
    await deliveries.markDelivering(delivery.id, now);
    return { kind: 'ready', attemptNumber, url: subscription.url, sealedRequest: secretBox.seal(JSON.stringify(request)) };
  };
}
