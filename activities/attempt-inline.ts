import { Context } from '@temporalio/activity';
import { sendRequest, type SealedAttemptRequest } from '../libs/delivery/attempt';
import { interruptedOutcome } from '../libs/delivery/interrupted';
import type { ActivityDeps } from './deps';
import { prepareAttempt } from './prepare-attempt';
import type { DeliveryRef, InlineAttempt } from './types';

/**
 * A delivery's first scheduled attempt, made by the event workflow as one local activity:
 * prepare, claim, POST. Temporal never retries it, but a local activity that was running when
 * its worker died runs again when another worker replays the workflow task. So the claim
 * (deliveries.sending_attempt) is committed before the request goes out, and a run that cannot
 * claim sends nothing: it reports the attempt interrupted, a failed attempt on the schedule.
 * A run that finds attempt 1 already recorded (its first run got that far) reports the
 * delivery as it stands. Recording the outcome is the workflow's next local activity.
 */
export function attemptInline(deps: ActivityDeps) {
  const prepare = prepareAttempt(deps);
  const { deliveries, sender, secretBox, tracer, clock = () => new Date() } = deps;
  return async (ref: DeliveryRef): Promise<InlineAttempt> => {
    const delivery = await deliveries.find(ref.deliveryId);
    if (delivery && delivery.attemptCount > 0) {
      return { kind: 'recorded', status: delivery.status, attempts: delivery.attemptCount, nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null };
    }
    const prepared = await prepare({ ...ref, trigger: 'scheduled' });
    if (prepared.kind !== 'ready') return prepared;
    // A throttled subscription's sends take their slots in the delivery workflow (sendAttemptInSlot).
    if (prepared.rateLimitPerSecond !== undefined) return { kind: 'throttled' };
    const { attemptNumber, url } = prepared;
    if (!(await deliveries.claimSend(ref.deliveryId, attemptNumber))) {
      return { kind: 'sent', attemptNumber, url, outcome: interruptedOutcome('its worker stopped before the answer was recorded', clock()) };
    }
    const { refs, ...request } = JSON.parse(secretBox.open(prepared.sealedRequest)) as SealedAttemptRequest;
    const outcome = await sendRequest(sender, url, request, { clock, signal: Context.current().cancellationSignal, trace: tracer && { tracer, refs } });
    return { kind: 'sent', attemptNumber, url, outcome };
  };
}
