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
import type { AttemptOutcome, DeliveryRef, HeraldActivities, PreparedAttempt, ThrottledSend } from '../activities/types';
import { interruptedOutcome } from '../libs/delivery/interrupted';
import { afterAttempt, isGone } from '../libs/domain/after-attempt';
import type { StreamPlace } from '../libs/domain/ordering';
import { PAUSED_TOO_LONG, pauseWaitMs } from '../libs/domain/pause';
import { throttleSleepMs } from '../libs/domain/throttle';
import type { AttemptTrigger, DeliveryStatus } from '../libs/domain/types';
import { DELIVERY_EXHAUSTED, DELIVERY_PAUSED_TOO_LONG, SA } from '../libs/temporal/names';
import { POSTGRES_ACTIVITY } from './postgres-activity-options';
import { releaseTurn } from './sequencer';

export interface DeliveryInput extends DeliveryRef {
  /** `manual` runs one attempt (an operator's retry of a finished delivery); default `scheduled`. */
  trigger?: Extract<AttemptTrigger, 'scheduled' | 'manual'>;
  /** The event workflow made the first attempt(s) itself, recorded and failed: wait, then go on with the schedule. */
  resume?: DeliveryResume;
  /** A `fifo` delivery, handed over in its turn: when it ends here its stream moves on (workflows/sequencer.ts). */
  stream?: StreamPlace;
}

/** Where the event workflow handed a delivery over: attempts made (and recorded), and the schedule's wait before the next. */
export interface DeliveryResume {
  attempts: number;
  delayMs: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
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
/** Sent by the API when the subscription is resumed: a delivery waiting in `paused` tries again now. */
export const resumeSignal = defineSignal('resume');
export const stateQuery = defineQuery<DeliveryState>('state');

/** Histories recorded before a 410 Gone stopped retries retried it: they replay that way. */
export const GONE_STOPS_RETRIES_PATCH = 'gone-stops-retries';

const { prepareAttempt, recordAttempt, markDeliveryCancelled, markDeliveryPausedTooLong } = proxyLocalActivities<HeraldActivities>(POSTGRES_ACTIVITY);

// send is the HTTP call alone. It is never retried by Temporal: its outcome is data, and a
// second POST must only ever come from the schedule.
const { sendAttempt, sendAttemptInSlot } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '45 seconds',
  retry: { maximumAttempts: 1 },
});

/**
 * One Event × one Subscription: attempt, and on failure wait out RETRY_DELAYS on durable timers
 * that `retryNow` can cut short. Exhausted → DeadLetter row and a Failed workflow.
 *
 * Before each attempt the delivery may wait without consuming it: while its subscription is
 * paused (until `resume`, re-checked hourly, dead-lettered `paused_too_long` after 7 days) and,
 * for a throttled subscription, until its send slot comes. Each wait ends in a new prepare, so
 * the attempt keeps its number and is signed when it is sent.
 */
export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryResult> {
  if (!input.stream) return deliver(input);
  try {
    return await deliver(input);
  } finally {
    // Succeeded, dead-lettered or cancelled: whichever way it ended, the next of its stream may go.
    await releaseTurn(input.deliveryId);
  }
}

async function deliver(input: DeliveryInput): Promise<DeliveryResult> {
  const trigger = input.trigger ?? 'scheduled';
  const ref: DeliveryRef = { deliveryId: input.deliveryId, eventId: input.eventId, subscriptionId: input.subscriptionId };
  const { resume } = input;
  const state: DeliveryState = resume
    ? { status: 'retrying', attempts: resume.attempts, nextAttemptAt: resume.nextAttemptAt, lastStatusCode: resume.lastStatusCode, lastError: resume.lastError }
    : { status: 'pending', attempts: 0, nextAttemptAt: null, lastStatusCode: null, lastError: null };
  let retryRequested = false;
  let cancelRequested: string | undefined;
  let resumed = false;

  setHandler(stateQuery, () => state);
  setHandler(retryNowSignal, () => {
    retryRequested = true;
  });
  setHandler(cancelSignal, (args) => {
    cancelRequested = args?.reason ?? 'cancelled by an operator';
  });
  setHandler(resumeSignal, () => {
    resumed = true;
  });

  const cancel = async (reason: string): Promise<DeliveryResult> => {
    await markDeliveryCancelled({ ...ref, reason });
    state.status = 'cancelled';
    state.nextAttemptAt = null;
    state.lastError = reason;
    upsertSearchAttributes([{ key: SA.deliveryStatus, value: 'cancelled' }]);
    return { status: 'cancelled', attempts: state.attempts };
  };

  /** Waits in `paused` until resumed, cancelled or the next re-check; false: waited too long. */
  const waitWhilePaused = async (pausedSince: number): Promise<boolean> => {
    const waitMs = pauseWaitMs(pausedSince, workflowNow());
    if (waitMs === 0) return false;
    if (state.status !== 'paused') {
      state.status = 'paused';
      state.nextAttemptAt = null;
      upsertSearchAttributes([{ key: SA.deliveryStatus, value: 'paused' }]);
    }
    await condition(() => resumed || cancelRequested !== undefined, waitMs, { summary: 'paused' });
    resumed = false;
    return true;
  };

  if (resume) {
    if (resume.delayMs > 0) {
      await condition(() => retryRequested || cancelRequested !== undefined, resume.delayMs, { summary: `wait before attempt ${resume.attempts + 1}` });
    }
    retryRequested = false;
  }

  for (let scheduled = (resume?.attempts ?? 0) + 1; ; scheduled++) {
    let prepared: PreparedAttempt | undefined;
    let outcome: AttemptOutcome | undefined;
    let pausedSince: number | undefined;
    let slot: string | undefined;
    while (!prepared || !outcome) {
      if (cancelRequested) return cancel(cancelRequested);
      // A re-check while paused is no attempt yet: the state query keeps saying `paused`.
      if (state.status !== 'paused') state.status = 'delivering';
      const p = await prepareAttempt({ ...ref, trigger });
      if (p.kind === 'cancelled') return cancel(p.reason);
      if (p.kind === 'paused') {
        pausedSince ??= workflowNow();
        slot = undefined; // a slot taken before the pause has passed by the time it ends
        if (await waitWhilePaused(pausedSince)) continue;
        await markDeliveryPausedTooLong(ref);
        state.status = 'dead_lettered';
        state.lastError = PAUSED_TOO_LONG;
        upsertSearchAttributes([{ key: SA.deliveryStatus, value: 'dead_lettered' }]);
        throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} waited in pause longer than its retention`, DELIVERY_PAUSED_TOO_LONG, {
          attempts: state.attempts,
        });
      }
      pausedSince = undefined;
      state.status = 'delivering';
      if (p.rateLimitPerSecond === undefined) {
        prepared = p;
        outcome = await sendOrInterrupted(() => sendAttempt({ url: p.url, sealedRequest: p.sealedRequest }));
        continue;
      }
      const sent = await sendOrInterrupted<AttemptOutcome | ThrottledSend>(() =>
        sendAttemptInSlot({ url: p.url, sealedRequest: p.sealedRequest, subscriptionId: ref.subscriptionId, perSecond: p.rateLimitPerSecond!, slot }),
      );
      if ('throttled' in sent) {
        slot = sent.slot;
        await condition(() => cancelRequested !== undefined, throttleSleepMs(sent.waitMs), { summary: 'throttled' });
        continue;
      }
      prepared = p;
      outcome = sent;
    }
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

/** Workflow time: the sandbox's Date is Temporal's deterministic clock (the current task's time), replayed as recorded. */
function workflowNow(): number {
  return new Date().getTime();
}

/**
 * The send activity returns every HTTP outcome as data; it can still fail as an activity when
 * the worker running it dies mid-request. That try counts as a failed attempt, not a retry.
 */
async function sendOrInterrupted<T = AttemptOutcome>(send: () => Promise<T>): Promise<T | AttemptOutcome> {
  try {
    return await send();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return interruptedOutcome(err.cause?.message ?? err.message, new Date());
  }
}
