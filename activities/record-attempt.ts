import { attemptRow } from '../libs/delivery/attempt';
import { deadLetterPayload } from '../libs/delivery/payload';
import { newId } from '../libs/domain/ids';
import { DEFAULT_AUTO_DISABLE_AFTER_MS } from '../libs/domain/subscription-health';
import type { ActivityDeps } from './deps';
import type { RecordAttemptInput, RecordedAttempt } from './types';

/**
 * Stage 3: write the Attempt row and bring the Delivery row (and its DeadLetter) up to date, in
 * one transaction (the attempt repository's). Temporal retries it until Postgres answers; a
 * repeat after a lost commit acknowledgement is a no-op.
 */
export function recordAttempt({ attempts, clock = () => new Date(), health, onAttemptRecorded, onDeliveryFinished, onOperationalEvents }: ActivityDeps) {
  const autoDisableAfterMs = health?.autoDisableAfterMs ?? DEFAULT_AUTO_DISABLE_AFTER_MS;
  return async (input: RecordAttemptInput): Promise<RecordedAttempt> => {
    const { outcome } = input;
    const finishedAt = new Date(outcome.finishedAt);
    const nextAttemptAt = input.nextDelayMs === null ? null : new Date(finishedAt.getTime() + input.nextDelayMs);
    const row = attemptRow({
      id: newId('attempt'),
      deliveryId: input.deliveryId,
      subscriptionId: input.subscriptionId,
      number: input.attemptNumber,
      trigger: input.trigger,
      url: input.url,
      outcome,
    });
    const recorded = await attempts.recordAttempt(
      {
        attempt: { ...row, deliveryId: input.deliveryId },
        eventId: input.eventId,
        status: input.status,
        nextAttemptAt,
        deadLetterPayload,
        health: { at: new Date(input.at ?? outcome.finishedAt), autoDisableAfterMs },
      },
      clock,
    );
    if (!recorded) return { attemptId: '', nextAttemptAt: null }; // deleted with its subscription meanwhile
    // Only a row this call inserted is counted: a retry after a lost commit acknowledgement is not a second attempt.
    if (recorded.inserted) {
      onAttemptRecorded?.({
        trigger: input.trigger,
        status: input.status,
        ok: outcome.ok,
        statusCode: outcome.statusCode,
        errorKind: outcome.errorKind,
        durationMs: outcome.durationMs,
      });
      if (input.status !== 'retrying') onDeliveryFinished?.(input.status);
      if (recorded.operationalEvents.length > 0) onOperationalEvents?.(recorded.operationalEvents);
    }
    return { attemptId: recorded.attemptId, nextAttemptAt: nextAttemptAt?.toISOString() ?? null };
  };
}
