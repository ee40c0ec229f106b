import { prepareRequest, type AttemptRefs, type SealedAttemptRequest } from '../libs/delivery/attempt';
import type { AttemptTrigger } from '../libs/domain/types';
import type { ActivityDeps } from './deps';
import type { DeliveryRef, PausedAttempt, PreparedAttempt, SkippedAttempt } from './types';

/**
 * Stage 1 of an attempt: read the subscription as it is now (disabled or deleted → the delivery
 * stops; paused → the delivery waits in `paused`), build the body and headers, sign them, and
 * seal the request for the workflow history.
 */
export function prepareAttempt({ subscriptions, deliveries, events, secretBox, version, clock = () => new Date() }: ActivityDeps) {
  return async (input: DeliveryRef & { trigger: AttemptTrigger }): Promise<PreparedAttempt | SkippedAttempt | PausedAttempt> => {
    const [subscription, delivery, event] = await Promise.all([
      subscriptions.find(input.subscriptionId),
      deliveries.find(input.deliveryId),
      events.find(input.eventId),
    ]);
    if (!subscription || !delivery || !event) return { kind: 'cancelled', reason: 'subscription deleted' };
    if (!subscription.enabled) return { kind: 'cancelled', reason: 'subscription disabled' };
    if (delivery.status === 'cancelled' && input.trigger === 'scheduled') return { kind: 'cancelled', reason: delivery.lastError ?? 'delivery cancelled' };

    const now = clock();
    // Parked only while the subscription is still paused: a resume committing meanwhile lets it through.
    if (subscription.pausedAt && (await deliveries.markPaused(delivery.id, subscription.id, now))) return { kind: 'paused' };
    const attemptNumber = delivery.attemptCount + 1;
    const stream = delivery.sequence === null ? undefined : { key: delivery.orderingKey ?? '', sequence: delivery.sequence };
    const request = prepareRequest({ subscription, event, webhookId: delivery.id, attemptNumber, now, open: (s) => secretBox.open(s), version, stream });
    await deliveries.markDelivering(delivery.id, now);
    // Sealed with the ids the attempt's span carries (libs/delivery/attempt.ts, tracedSend).
    const refs: AttemptRefs = {
      tenantId: event.tenantId,
      eventId: event.id,
      subscriptionId: subscription.id,
      deliveryId: delivery.id,
      attemptNumber,
      trigger: input.trigger,
    };
    const sealed: SealedAttemptRequest = { ...request, refs };
    const ready: PreparedAttempt = { kind: 'ready', attemptNumber, url: subscription.url, sealedRequest: secretBox.seal(JSON.stringify(sealed)) };
    // Only a throttled subscription's result carries the field: an unlimited one's stays as it was.
    if (subscription.rateLimitPerSecond !== null) ready.rateLimitPerSecond = subscription.rateLimitPerSecond;
    return ready;
  };
}
