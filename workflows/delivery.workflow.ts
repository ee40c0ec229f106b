import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { AttemptOutcome, DeliveryRef, HeraldActivities } from '../activities/types';
import { afterAttempt, isGone } from '../libs/domain/after-attempt';
import type { AttemptTrigger, DeliveryStatus } from '../libs/domain/types';
import { DELIVERY_EXHAUSTED, SA } from '../libs/temporal/names';
import { POSTGRES_ACTIVITY } from './postgres-activity-options';

export interface DeliveryInput extends DeliveryRef {
  /** `manual` runs one attempt (an operator's retry of a finished delivery); default `scheduled`. */
  trigger?: Extract<AttemptTrigger, 'scheduled' | 'manual'>;
}

export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

export interface DeliveryResult {
  status: Extract<DeliveryStatus, 'succeeded' | 'cancelled'>;
  attempts: number;
}

export const retryNowSignal = defineSignal('retryNow');
export const cancelSignal = defineSignal<[{ reason?: string }?]>('cancel');
export const stateQuery = defineQuery<DeliveryState>('state');

/** Histories recorded before a 410 Gone stopped retries retried it: they replay that way. */
export const GONE_STOPS_RETRIES_PATCH = 'gone-stops-retries';

const { prepareAttempt, recordAttempt, markDeliveryCancelled } = proxyLocalActivities<HeraldActivities>(POSTGRES_ACTIVITY);

// send is the HTTP call alone. It is never retried by Temporal: its outcome is data, and a
// second POST must only ever come from the schedule.
const { sendAttempt } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '45 seconds',
  retry: { maximumAttempts: 1 },
});

/**
 * One Event × one Subscription: attempt, and on failure wait out RETRY_DELAYS on durable timers
 * that `retryNow` can cut short. Exhausted → DeadLetter row and a Failed workflow.
 */
export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryResult> {
  const trigger = input.trigger ?? 'scheduled';
  const ref: DeliveryRef = { deliveryId: input.deliveryId, eventId: input.eventId, subscriptionId: input.subscriptionId };
  const state: DeliveryState = { status: 'pending', attempts: 0, nextAttemptAt: null, lastStatusCode: null, lastError: null };
  let retryRequested = false;
  let cancelRequested: string | undefined;

  setHandler(stateQuery, () => state);
  setHandler(retryNowSignal, () => {
    retryRequested = true;
  });
  setHandler(cancelSignal, (args) => {
    cancelRequested = args?.reason ?? 'cancelled by an operator';
  });

  const cancel = async (reason: string): Promise<DeliveryResult> => {
    await markDeliveryCancelled({ ...ref, reason });
    state.status = 'cancelled';
    state.nextAttemptAt = null;
    state.lastError = reason;
    upsertSearchAttributes([{ key: SA.deliveryStatus, value: 'cancelled' }]);
    return { status: 'cancelled', attempts: state.attempts };
  };

  for (let scheduled = 1; ; scheduled++) {
    if (cancelRequested) return cancel(cancelRequested);
    state.status = 'delivering';
    const prepared = await prepareAttempt({ ...ref, trigger });
    if (prepared.kind === 'cancelled') return cancel(prepared.reason);

    const outcome = await sendOrInterrupted(prepared.url, prepared.sealedRequest);
    const { status, delayMs: delay } = afterAttempt(outcome, trigger, scheduled, {
      goneStops: isGone(outcome.statusCode) && patched(GONE_STOPS_RETRIES_PATCH),
    });
    const recorded = await recordAttempt({
      ...ref,
      attemptNumber: prepared.attemptNumber,
      trigger,
      url: prepared.url,
      outcome,
      status,
      nextDelayMs: delay ?? null,
      // Workflow time: the failing clock must run on the time the schedule runs on.
      at: new Date().toISOString(),
    });

    state.status = status;
    state.attempts = prepared.attemptNumber;
    state.nextAttemptAt = recorded.nextAttemptAt;
    state.lastStatusCode = outcome.statusCode;
    state.lastError = outcome.error;
    upsertSearchAttributes([
      { key: SA.deliveryStatus, value: status },
      { key: SA.attempts, value: prepared.attemptNumber },
    ]);

    if (status === 'succeeded') return { status, attempts: state.attempts };
    if (delay === undefined) {
      throw ApplicationFailure.nonRetryable(
        `delivery ${input.deliveryId} failed ${state.attempts} attempts; last: ${outcome.error ?? outcome.statusCode}`,
        DELIVERY_EXHAUSTED,
        { attempts: state.attempts, lastStatusCode: outcome.statusCode, lastError: outcome.error },
      );
    }
    if (delay > 0) {
      // A retryNow that came in during the attempt counts too: the operator wants no more waiting.
      await condition(() => retryRequested || cancelRequested !== undefined, delay, { summary: `wait before attempt ${prepared.attemptNumber + 1}` });
    }
    retryRequested = false;
  }
}

/**
 * The send activity returns every HTTP outcome as data; it can still fail as an activity when
 * the worker running it dies mid-request. That try counts as a failed attempt, not a retry.
 */
async function sendOrInterrupted(url: string, sealedRequest: string): Promise<AttemptOutcome> {
  try {
    return await sendAttempt({ url, sealedRequest });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const now = new Date().toISOString();
    return {
      ok: false,
      statusCode: null,
      errorKind: 'network',
      error: `attempt interrupted: ${err.cause?.message ?? err.message}`,
      durationMs: 0,
      responseExcerpt: null,
      startedAt: now,
      finishedAt: now,
    };
  }
}
