import { buildBody } from '../libs/delivery/payload';
import { buildHeaders } from '../libs/delivery/headers';
import { signatureHeaders } from '../libs/delivery/signing';
import { Delivery, Event, Subscription } from '../libs/db/entities';
import type { AttemptTrigger } from '../libs/domain/types';
import type { ActivityDeps } from './deps';
import type { DeliveryRef, PreparedAttempt, SkippedAttempt } from './types';

/** The secrets that sign now: the current one, plus a rotated-out one until it expires. */
export function signingSecrets(subscription: Subscription, open: (sealed: string) => string, now: Date): string[] {
  const secrets = [open(subscription.secretCiphertext)];
  if (subscription.previousSecretCiphertext && subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > now) {
    secrets.push(open(subscription.previousSecretCiphertext));
  }
  return secrets;
}

/**
 * Stage 1 of an attempt: read the subscription as it is now (disabled or deleted → the delivery
 * stops), build the body and headers, sign them, and seal the request for the workflow history.
 */
export function prepareAttempt({ dataSource, secretBox, version, clock = () => new Date() }: ActivityDeps) {
  return async (input: DeliveryRef & { trigger: AttemptTrigger }): Promise<PreparedAttempt | SkippedAttempt> => {
    const [subscription, delivery, event] = await Promise.all([
      dataSource.getRepository(Subscription).findOneBy({ id: input.subscriptionId }),
      dataSource.getRepository(Delivery).findOneBy({ id: input.deliveryId }),
      dataSource.getRepository(Event).findOneBy({ id: input.eventId }),
    ]);
    if (!subscription || !delivery || !event) return { kind: 'cancelled', reason: 'subscription deleted' };
    if (!subscription.enabled) return { kind: 'cancelled', reason: 'subscription disabled' };
    if (delivery.status === 'cancelled' && input.trigger === 'scheduled') return { kind: 'cancelled', reason: delivery.lastError ?? 'delivery cancelled' };

    const now = clock();
    const attemptNumber = delivery.attemptCount + 1;
    const body = buildBody(subscription.payloadFormat, event, subscription.userDefined);
    const headers = buildHeaders({
      signature: signatureHeaders({ webhookId: delivery.id, timestamp: now, body, secrets: signingSecrets(subscription, (s) => secretBox.open(s), now) }),
      eventType: event.type,
      attemptNumber,
      customHeaders: subscription.headers,
      userAgentVersion: version,
    });
    await dataSource.getRepository(Delivery).update({ id: delivery.id }, { status: 'delivering', updatedAt: now });
    return { kind: 'ready', attemptNumber, url: subscription.url, sealedRequest: secretBox.seal(JSON.stringify({ headers, body })) };
  };
}
