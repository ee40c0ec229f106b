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
export function recordAttempt(deps: ActivityDeps) {
  const record = recordAttempts(deps);
  return async (input: RecordAttemptInput): Promise<RecordedAttempt> => (await record([input]))[0];
}

/**
 * Stage 3 for attempts of several deliveries (an event's first attempts that came in together):
 * one transaction for all of them. One result per input, in order.
 */
export function recordAttempts({ attempts, clock = () => new Date(), health, onAttemptRecorded, onDeliveryFinished, onOperationalEvents }: ActivityDeps) {
  const autoDisableAfterMs = health?.autoDisableAfterMs ?? DEFAULT_AUTO_DISABLE_AFTER_MS;
  return async (inputs: readonly RecordAttemptInput[]): Promise<RecordedAttempt[]> => {
    const nextAttemptAt = inputs.map((input) =>
      input.nextDelayMs === null ? null : new Date(new Date(input.outcome.finishedAt).getTime() + input.nextDelayMs),
    );
    const recorded = await attempts.recordAttempts(
      inputs.map((input, i) => ({
        attempt: {
          ...attemptRow({
            id: newId('attempt'),
            deliveryId: input.deliveryId,
            subscriptionId: input.subscriptionId,
            number: input.attemptNumber,
            trigger: input.trigger,
            url: input.url,
            outcome: input.outcome,
          }),
          deliveryId: input.deliveryId,
        },
        eventId: input.eventId,
        status: input.status,
        nextAttemptAt: nextAttemptAt[i],
        deadLetterPayload,
        health: { at: new Date(input.at ?? input.outcome.finishedAt), autoDisableAfterMs },
      })),
      clock,
    );
    const raised: string[] = [];
    const results = inputs.map((input, i): RecordedAttempt => {
      const r = recorded[i];
      if (!r) return { attemptId: '', nextAttemptAt: null }; // deleted with its subscription meanwhile
      // Only a row this call inserted is counted: a retry after a lost commit acknowledgement is not a second attempt.
      if (r.inserted) {
        const { outcome } = input;
        onAttemptRecorded?.({
          trigger: input.trigger,
          status: input.status,
          ok: outcome.ok,
          statusCode: outcome.statusCode,
          errorKind: outcome.errorKind,
          durationMs: outcome.durationMs,
        });
        if (input.status !== 'retrying') onDeliveryFinished?.(input.status);
        raised.push(...r.operationalEvents);
      }
      return { attemptId: r.attemptId, nextAttemptAt: nextAttemptAt[i]?.toISOString() ?? null };
    });
    if (raised.length > 0) onOperationalEvents?.(raised);
    return results;
  };
}
