import { Context } from '@temporalio/activity';
import type { AttemptSubject } from '../libs/db/repositories';
import { prepareRequest, sendRequest, type AttemptOutcome, type AttemptRefs, type AttemptRequest } from '../libs/delivery/attempt';
import { interruptedOutcome } from '../libs/delivery/interrupted';
import { afterAttempt } from '../libs/domain/after-attempt';
import { groupCommit } from '../libs/db/group-commit';
import type { ActivityDeps } from './deps';
import { recordAttempts } from './record-attempt';
import type { AttemptDeliveriesInput, AttemptReport, AttemptTarget, RecordAttemptInput, RecordedAttempt } from './types';

/** A prepared attempt: the request, built and signed, that only this activity ever holds in clear. */
type Ready = { kind: 'ready'; attemptNumber: number; url: string; request: AttemptRequest; refs: AttemptRefs };

/**
 * Scheduled attempts of one or more deliveries as ONE local activity — the event workflow's first
 * attempts (all of an event's deliveries) and each retry of a delivery workflow — in the stages
 * of an attempt, each done once for the whole batch:
 *
 *   load (one query) → prepare each → claim (one statement) → send each, concurrently
 *   → record each as its answer comes in (answers in together: one transaction)
 *
 * Temporal never retries a send, but a local activity whose worker died runs again when another
 * worker replays the workflow task. So the claim (deliveries.sending_attempt) is committed before
 * any request goes out, and a run that cannot claim an attempt sends nothing: it records the
 * attempt interrupted, a failed attempt on the schedule. A delivery that already recorded the
 * attempt (an earlier run got that far) is reported as it stands. A hanging receiver holds only
 * its own attempt: every other one is sent and recorded without waiting for it. An answer whose
 * record fails (Postgres away) is handed back unrecorded, and the workflow records it with
 * `recordAttempt`, retried until Postgres answers: an infrastructure fault costs no attempt.
 */
export function attemptDeliveries(deps: ActivityDeps) {
  const { deliveries, clock = () => new Date() } = deps;
  const attempt = attemptLoaded(deps);
  return async (input: AttemptDeliveriesInput): Promise<AttemptReport[]> => {
    const began = clock();
    return attempt(input, await deliveries.loadForAttempts(input.deliveries.map((d) => d.deliveryId)), began);
  };
}

/**
 * attemptDeliveries from the load on: `loaded` is what `loadForAttempts` answers for the batch
 * (matchAndAttempt has it from the match's own statement). `began`: when the activity began.
 */
export function attemptLoaded(deps: ActivityDeps) {
  const { deliveries, sender, version, secretBox, tracer, clock = () => new Date() } = deps;
  const record = recordAttempts(deps);
  return async (input: AttemptDeliveriesInput, loaded: AttemptSubject[], began = clock()): Promise<AttemptReport[]> => {
    const subjects = new Map(loaded.map((s) => [s.delivery.id, s]));
    const now = clock();
    const settled = await Promise.allSettled(input.deliveries.map((target) => prepare(target, subjects.get(target.deliveryId), now)));
    // One delivery that cannot be prepared (Postgres away, a secret sealed with a key no longer
    // configured) must not hold the others: it is reported `unprepared` and its delivery workflow
    // retries it. When none could be, the activity fails, and the caller retries or hands over.
    if (settled.length > 0 && settled.every((p) => p.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;
    const prepared = settled.map((p) => (p.status === 'fulfilled' ? p.value : ({ kind: 'unprepared' } as const)));
    const ready = input.deliveries.flatMap((t, i) =>
      prepared[i].kind === 'ready' ? [{ id: t.deliveryId, number: (prepared[i] as Ready).attemptNumber }] : [],
    );
    const claimed = await deliveries.claimSends(ready, now);

    const recordSoon = groupCommit(record);
    const { cancellationSignal } = Context.current();
    return Promise.all(
      input.deliveries.map(async (target, i): Promise<AttemptReport> => {
        const p = prepared[i];
        if (p.kind !== 'ready') return p;
        const outcome: AttemptOutcome = claimed.has(target.deliveryId)
          ? await sendRequest(sender, p.url, p.request, { clock, signal: cancellationSignal, trace: tracer && { tracer, refs: p.refs } })
          : interruptedOutcome('its worker stopped before the answer was recorded', clock());
        const { status, delayMs } = afterAttempt(outcome, 'scheduled', p.attemptNumber);
        const attempt: RecordAttemptInput = {
          ...target,
          attemptNumber: p.attemptNumber,
          trigger: 'scheduled',
          url: p.url,
          outcome,
          status,
          nextDelayMs: delayMs ?? null,
          // The workflow's clock, moved on by the time this attempt took (see RecordAttemptInput.at).
          at: new Date(new Date(input.at).getTime() + (clock().getTime() - began.getTime())).toISOString(),
        };
        let recorded: RecordedAttempt;
        try {
          recorded = await recordSoon(attempt);
        } catch {
          return { kind: 'sent', attemptNumber: p.attemptNumber, url: p.url, outcome };
        }
        return {
          kind: 'attempted',
          attemptNumber: p.attemptNumber,
          status,
          delayMs: delayMs ?? null,
          nextAttemptAt: recorded.nextAttemptAt,
          lastStatusCode: outcome.statusCode,
          lastError: outcome.error,
          durationMs: outcome.durationMs,
        };
      }),
    );
  };

  /**
   * Stage 1 for one delivery, from the rows loaded for all: as prepareAttempt decides (deleted or
   * disabled → cancelled; paused → waits in `paused`), plus `recorded` (the attempt is in the log
   * already) and `throttled` (its sends take their slots in the delivery workflow).
   */
  async function prepare(
    target: AttemptTarget,
    subject: AttemptSubject | undefined,
    now: Date,
  ): Promise<Ready | Exclude<AttemptReport, { kind: 'attempted' | 'sent' }>> {
    const { delivery, subscription, event } = subject ?? {};
    if (!delivery || !subscription || !event) return { kind: 'cancelled', reason: 'subscription deleted' };
    if (delivery.attemptCount >= target.attemptNumber) {
      return { kind: 'recorded', status: delivery.status, attempts: delivery.attemptCount, nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null };
    }
    if (!subscription.enabled) return { kind: 'cancelled', reason: 'subscription disabled' };
    if (delivery.status === 'cancelled') return { kind: 'cancelled', reason: delivery.lastError ?? 'delivery cancelled' };
    // Parked only while the subscription is still paused: a resume committing meanwhile lets it through.
    if (subscription.pausedAt && (await deliveries.markPaused(delivery.id, subscription.id, now))) return { kind: 'paused' };
    if (subscription.rateLimitPerSecond !== null) return { kind: 'throttled' };
    const attemptNumber = delivery.attemptCount + 1;
    const stream = delivery.sequence === null ? undefined : { key: delivery.orderingKey ?? '', sequence: delivery.sequence };
    const request = prepareRequest({ subscription, event, webhookId: delivery.id, attemptNumber, now, open: (s) => secretBox.open(s), version, stream });
    // The ids the attempt's span carries (libs/delivery/attempt.ts, tracedSend).
    const refs: AttemptRefs = {
      tenantId: delivery.tenantId,
      eventId: event.id,
      subscriptionId: subscription.id,
      deliveryId: delivery.id,
      attemptNumber,
      trigger: 'scheduled',
    };
    return { kind: 'ready', attemptNumber, url: subscription.url, request, refs };
  }
}
