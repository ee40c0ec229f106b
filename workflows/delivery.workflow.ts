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
import type { AttemptStatus } from '../libs/domain/delivery-lifecycle';
import type { StreamPlace } from '../libs/domain/ordering';
import { PAUSED_TOO_LONG, pauseWaitMs } from '../libs/domain/pause';
import { nextDelay } from '../libs/domain/retry-schedule';
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
  /**
   * `local`: each scheduled attempt is one local activity (attemptDeliveries: prepare, claim,
   * POST, record). Absent in histories from before, whose attempts go in stages (prepare, the
   * sendAttempt activity, record). Set by the event workflow's hand-over since; the gate is the
   * input, not `patched()`, whose search-attribute upsert would bill one more action.
   */
  retries?: 'local';
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
  /** How long the last attempt's POST took (absent in inputs from before it was kept): see LOCAL_SEND_MAX_MS. */
  lastDurationMs?: number;
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

/**
 * A retry whose last attempt's POST took this long or longer (a receiver that hangs to the
 * sender's 30 s budget) is sent in stages, by the send activity, not by a local activity: a
 * local activity holds one of the worker's few workflow-task slots for as long as its POST is on
 * the wire, and hanging receivers must not take the slots healthy events need (an activity slot
 * is what the send stage is for). A fast failure (the usual dead letter: 500s) still retries at
 * once, in one local activity. Decided on recorded results only, so replay takes the same path;
 * histories from before the duration was kept have none and replay locally, as they ran.
 */
export const LOCAL_SEND_MAX_MS = 5_000;

/** Histories recorded before a 410 Gone stopped retries retried it: they replay that way. */
export const GONE_STOPS_RETRIES_PATCH = 'gone-stops-retries';

const { prepareAttempt, recordAttempt, markDeliveryCancelled, markDeliveryPausedTooLong } = proxyLocalActivities<HeraldActivities>(POSTGRES_ACTIVITY);

// Prepare, claim, POST and record as one local activity. Retried until Postgres answers like the
// others: a run again after a failure sends nothing its claim says went out (it records that
// attempt interrupted), and finds an attempt already recorded. Its budget is the sender's 30
// seconds plus the record.
const { attemptDeliveries } = proxyLocalActivities<HeraldActivities>({ ...POSTGRES_ACTIVITY, startToCloseTimeout: '60 seconds' });

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

  /** The delivery waited in pause past its retention: dead-lettered `paused_too_long`, workflow Failed. */
  const pausedTooLong = async (): Promise<never> => {
    await markDeliveryPausedTooLong(ref);
    state.status = 'dead_lettered';
    state.lastError = PAUSED_TOO_LONG;
    upsertSearchAttributes([{ key: SA.deliveryStatus, value: 'dead_lettered' }]);
    throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} waited in pause longer than its retention`, DELIVERY_PAUSED_TOO_LONG, {
      attempts: state.attempts,
    });
  };

  /**
   * One attempt in stages, each its own activity: prepare (local) → send (an activity; for a
   * throttled subscription, in its slot) → record (local). Manual attempts, throttled
   * subscriptions and histories from before `retries: 'local'`.
   */
  const attemptInStages = async (scheduled: number): Promise<Attempted | DeliveryResult> => {
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
        return pausedTooLong();
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
    return record(prepared.attemptNumber, prepared.url, outcome, status, delay);
  };

  const record = async (attemptNumber: number, url: string, outcome: AttemptOutcome, status: AttemptStatus, delay: number | undefined): Promise<Attempted> => {
    const recorded = await recordAttempt({
      ...ref,
      attemptNumber,
      trigger,
      url,
      outcome,
      status,
      nextDelayMs: delay ?? null,
      // Workflow time: the failing clock must run on the time the schedule runs on.
      at: new Date().toISOString(),
    });
    return {
      attemptNumber,
      status,
      delay,
      nextAttemptAt: recorded.nextAttemptAt,
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
      durationMs: outcome.durationMs,
    };
  };

  /**
   * One scheduled attempt as one local activity (attemptDeliveries: prepare, claim, POST,
   * record), in this workflow task: one marker instead of a prepare marker, an activity and a
   * record marker. A throttled subscription's attempt goes in stages (its send slot is an activity's).
   */
  const attemptAtOnce = async (scheduled: number): Promise<Attempted | DeliveryResult> => {
    let pausedSince: number | undefined;
    for (;;) {
      if (cancelRequested) return cancel(cancelRequested);
      if (state.status !== 'paused') state.status = 'delivering';
      const [report] = await attemptDeliveries({ deliveries: [{ ...ref, attemptNumber: scheduled }], at: new Date().toISOString() });
      switch (report.kind) {
        case 'attempted':
          return { ...report, delay: report.delayMs ?? undefined };
        case 'sent': {
          // Made, but Postgres failed at its record: recorded here, retried until Postgres answers.
          const { status, delayMs: delay } = afterAttempt(report.outcome, trigger, scheduled);
          return record(report.attemptNumber, report.url, report.outcome, status, delay);
        }
        case 'recorded':
          // An earlier run of this task made the attempt and recorded it.
          if (report.status === 'cancelled') return cancel(state.lastError ?? 'delivery cancelled');
          return {
            attemptNumber: report.attempts,
            status: report.status === 'succeeded' || report.status === 'dead_lettered' ? report.status : 'retrying',
            delay: report.status === 'succeeded' || report.status === 'dead_lettered' ? undefined : nextDelay(report.attempts),
            nextAttemptAt: report.nextAttemptAt,
            lastStatusCode: state.lastStatusCode,
            lastError: state.lastError,
          };
        case 'cancelled':
          return cancel(report.reason);
        case 'paused':
          pausedSince ??= workflowNow();
          if (await waitWhilePaused(pausedSince)) continue;
          return pausedTooLong();
        case 'throttled':
        case 'unprepared': // only in a batch of several: alone, its failure fails the activity, retried
          return attemptInStages(scheduled);
      }
    }
  };

  const atOnce = input.retries === 'local' && trigger === 'scheduled';
  let lastDurationMs = resume?.lastDurationMs;
  for (let scheduled = (resume?.attempts ?? 0) + 1; ; scheduled++) {
    const slowBefore = lastDurationMs !== undefined && lastDurationMs >= LOCAL_SEND_MAX_MS;
    const attempt = atOnce && !slowBefore ? await attemptAtOnce(scheduled) : await attemptInStages(scheduled);
    if (!('attemptNumber' in attempt)) return attempt;
    lastDurationMs = attempt.durationMs;
    const { status, delay } = attempt;

    state.status = status;
    state.attempts = attempt.attemptNumber;
    state.nextAttemptAt = attempt.nextAttemptAt;
    state.lastStatusCode = attempt.lastStatusCode;
    state.lastError = attempt.lastError;
    upsertSearchAttributes([
      { key: SA.deliveryStatus, value: status },
      { key: SA.attempts, value: attempt.attemptNumber },
    ]);

    if (status === 'succeeded') return { status, attempts: state.attempts };
    if (delay === undefined) {
      throw ApplicationFailure.nonRetryable(
        `delivery ${input.deliveryId} failed ${state.attempts} attempts; last: ${attempt.lastError ?? attempt.lastStatusCode}`,
        DELIVERY_EXHAUSTED,
        { attempts: state.attempts, lastStatusCode: attempt.lastStatusCode, lastError: attempt.lastError },
      );
    }
    if (delay > 0) {
      // A retryNow that came in during the attempt counts too: the operator wants no more waiting.
      await condition(() => retryRequested || cancelRequested !== undefined, delay, { summary: `wait before attempt ${attempt.attemptNumber + 1}` });
    }
    retryRequested = false;
  }
}

/** What an attempt came to, recorded: where the delivery stands, and the wait before the next (undefined: none). */
interface Attempted {
  attemptNumber: number;
  status: AttemptStatus;
  delay: number | undefined;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** How long its POST took (absent when the report did not say): whether the next goes locally. */
  durationMs?: number;
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
