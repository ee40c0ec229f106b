import {
  CancelledFailure,
  ParentClosePolicy,
  proxyLocalActivities,
  startChild,
  TemporalFailure,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type {
  AttemptOutcome,
  AttemptReport,
  DeliveryRef,
  EventMatch,
  FirstAttempts,
  HeraldActivities,
  InlineAttempt,
  MatchedDelivery,
} from '../activities/types';
import { afterAttempt } from '../libs/domain/after-attempt';
import { nextDelay } from '../libs/domain/retry-schedule';
import type { DeliveryStatus } from '../libs/domain/types';
import { deliveryWorkflowId } from '../libs/temporal/names';
import { deliverySearchAttributes, inlineDeliverySearchAttributes } from '../libs/temporal/search-attributes';
import { deliveryWorkflow, type DeliveryResume } from './delivery.workflow';
import { POSTGRES_ACTIVITY } from './postgres-activity-options';
import { StreamTurns } from './sequencer';

const { matchSubscriptions, recordAttempt, markDeliveryCancelled, assignDeliveryWorkflow } = proxyLocalActivities<HeraldActivities>(POSTGRES_ACTIVITY);

// The inline first attempt POSTs, so Temporal never retries it; a replay on another worker runs
// it again, and it then finds its claim in Postgres and sends nothing (activities/attempt-inline.ts).
// Longer than the sender's own 30-second budget, so a slow receiver ends as an outcome, not a timeout.
const { attemptInline } = proxyLocalActivities<HeraldActivities>({ startToCloseTimeout: '45 seconds', retry: { maximumAttempts: 1 } });
// The same for all of an event's first attempts at once; its records come after the sends, so
// its budget is the sender's 30 seconds plus room for them.
const { attemptDeliveries } = proxyLocalActivities<HeraldActivities>({ startToCloseTimeout: '60 seconds', retry: { maximumAttempts: 1 } });
// The match and the first attempts in one (`fused`): never retried either, since it POSTs. A match
// that failed (Postgres away) is made again by matchSubscriptions, which retries; the match's
// statements and room for it on top of attemptDeliveries' budget.
const { matchAndAttempt } = proxyLocalActivities<HeraldActivities>({ startToCloseTimeout: '75 seconds', retry: { maximumAttempts: 1 } });

export interface EventInput {
  eventId: string;
  /**
   * `fused`: match and make all first attempts in one local activity (matchAndAttempt). Set by
   * every start since (DeliveryService.startEvent). `batched`: matchSubscriptions, then all first
   * attempts in one local activity (attemptDeliveries). `inline`: one attemptInline and one
   * recordAttempt per delivery, in histories from before batching. Absent in the histories of
   * runs from before inline first attempts, which start a child per delivery. The version gate
   * is the input rather than `patched()`, because a patch marker comes with a
   * TemporalChangeVersion search-attribute upsert: one more billed action on every event.
   */
  firstAttempts?: 'inline' | 'batched' | 'fused';
}

export interface EventResult {
  deliveries: number;
  /** Deliveries the event workflow finished itself (absent in runs from before inline first attempts). */
  finishedInline?: number;
}

/**
 * Fans one Event out to its matching Subscriptions. Matching happens here, not in the API
 * request, so an accepted event never waits on subscription lookups. Each delivery's first
 * attempt is made here, as local activities in this workflow's task: a healthy endpoint costs
 * one workflow per event, however many subscriptions match. Only a delivery that must wait (its
 * first attempt failed, or prepareAttempt did not say `ready`) gets a delivery workflow, a child
 * abandoned on close: it lives on its own, whatever happens to this workflow.
 */
export async function eventWorkflow(input: EventInput): Promise<EventResult> {
  if (input.firstAttempts === 'fused') return fused(input.eventId);
  const inline = input.firstAttempts !== undefined;
  const match = await matchSubscriptions(inline ? { eventId: input.eventId, holder: 'event' } : { eventId: input.eventId });
  if (!inline) {
    await Promise.all(match.deliveries.map((d) => startDelivery(match, d)));
    return { deliveries: match.deliveries.length };
  }
  return finish(match, await deliverMatched(match, input.firstAttempts));
}

/** A matched event's first attempts, batched or inline as its input says; `fifo` deliveries take their turns. */
function deliverMatched(match: EventMatch, firstAttempts: EventInput['firstAttempts']): Promise<FirstAttemptEnd[]> {
  if (match.deliveries.some((d) => d.stream)) return deliverInTurns(match, firstAttempts);
  return firstAttempts === 'batched' ? deliverAllFirst(match) : Promise.all(match.deliveries.map((d) => deliverFirst(match, d)));
}

/**
 * The match and the first attempts in one local activity (matchAndAttempt): after the start, one
 * marker and one activation for a healthy event, as Temporal's ceiling. What must wait is handed
 * over as in the batched path, from the same reports; an event with `fifo` deliveries takes its
 * turns as there. A failed match (the activity failed: nothing was sent) is made again by
 * matchSubscriptions, retried until Postgres answers, and the batched path goes on from it.
 */
async function fused(eventId: string): Promise<EventResult> {
  let first: FirstAttempts | undefined;
  try {
    first = await matchAndAttempt({ eventId, at: new Date().toISOString() });
  } catch (err) {
    if (!(err instanceof TemporalFailure) || err instanceof CancelledFailure) throw err;
  }
  if (!first) {
    const match = await matchSubscriptions({ eventId, holder: 'event' });
    return finish(match, await deliverMatched(match, 'batched'));
  }
  const { match, attempts } = first;
  if (attempts === 'in turns') return finish(match, await deliverInTurns(match, 'batched'));
  return finish(match, attempts === 'failed' ? await handOverAll(match) : await afterReports(match, attempts));
}

/** The event's result, and its search attributes when it delivered some first attempts itself. */
function finish(match: EventMatch, finished: FirstAttemptEnd[]): EventResult {
  const delivered = match.deliveries.filter((_, i) => finished[i] === 'succeeded').map((d) => d.subscriptionId);
  if (delivered.length > 0) upsertSearchAttributes(inlineDeliverySearchAttributes(match, delivered));
  return { deliveries: match.deliveries.length, finishedInline: finished.filter((f) => f !== 'handed over').length };
}

/**
 * An event that matched `fifo` subscriptions (the match's record says so, so a replay takes the
 * same path): its unordered deliveries go at once, as without them; each `fifo` one first waits
 * for its turn in its stream (workflows/sequencer.ts), then makes its first attempt alone, and
 * releases its stream when it ends here (a delivery handed over is released by its delivery
 * workflow).
 */
async function deliverInTurns(match: EventMatch, firstAttempts: EventInput['firstAttempts']): Promise<FirstAttemptEnd[]> {
  const turns = new StreamTurns();
  const first = (deliveries: MatchedDelivery[]) =>
    firstAttempts === 'batched' ? deliverAllFirst({ ...match, deliveries }) : Promise.all(deliveries.map((d) => deliverFirst(match, d)));
  const unordered = match.deliveries.filter((d) => !d.stream);
  const [unorderedEnds, orderedEnds] = await Promise.all([
    first(unordered),
    Promise.all(match.deliveries.filter((d) => d.stream).map((d) => turns.deliverInTurn(d.deliveryId, async () => (await first([d]))[0]))),
  ]);
  return match.deliveries.map((d) => (d.stream ? orderedEnds : unorderedEnds).shift()!);
}

/**
 * All of an event's first attempts in one local activity (one read, one claim, concurrent POSTs,
 * records as the answers come in); then each delivery that must wait is handed to a delivery
 * workflow. Deliveries without a match (none) cost nothing.
 */
async function deliverAllFirst(match: EventMatch): Promise<FirstAttemptEnd[]> {
  if (match.deliveries.length === 0) return [];
  let reports: AttemptReport[];
  try {
    reports = await attemptDeliveries({
      deliveries: match.deliveries.map((d) => ({ deliveryId: d.deliveryId, eventId: match.eventId, subscriptionId: d.subscriptionId, attemptNumber: 1 })),
      at: new Date().toISOString(),
    });
  } catch (err) {
    if (!(err instanceof TemporalFailure) || err instanceof CancelledFailure) throw err;
    return handOverAll(match);
  }
  return afterReports(match, reports);
}

/**
 * The first attempts failed before their claims (Postgres unreachable): nothing was sent and no
 * slot is used. Each delivery workflow prepares attempt 1 again, retrying until Postgres answers.
 */
function handOverAll(match: EventMatch): Promise<FirstAttemptEnd[]> {
  return Promise.all(
    match.deliveries.map(async (d): Promise<FirstAttemptEnd> => {
      await handOver(match, d);
      return 'handed over';
    }),
  );
}

/** Where each first attempt's report leaves its delivery: finished here, or handed to a delivery workflow. */
function afterReports(match: EventMatch, reports: AttemptReport[]): Promise<FirstAttemptEnd[]> {
  return Promise.all(
    match.deliveries.map(async (d, i): Promise<FirstAttemptEnd> => {
      const report = reports[i];
      if (report.kind !== 'attempted') return afterFirst(match, d, report);
      if (report.status !== 'retrying') return report.status;
      await handOver(match, d, {
        attempts: report.attemptNumber,
        delayMs: report.delayMs ?? 0,
        nextAttemptAt: report.nextAttemptAt,
        lastStatusCode: report.lastStatusCode,
        lastError: report.lastError,
        ...(report.durationMs !== undefined ? { lastDurationMs: report.durationMs } : {}),
      });
      return 'handed over';
    }),
  );
}

type FirstAttemptEnd = DeliveryStatus | 'handed over';

/** One delivery's first attempt, inline (histories from before batching); what must wait is handed to a delivery workflow. */
async function deliverFirst(match: EventMatch, d: MatchedDelivery): Promise<FirstAttemptEnd> {
  const ref: DeliveryRef = { deliveryId: d.deliveryId, eventId: match.eventId, subscriptionId: d.subscriptionId };
  let attempt: InlineAttempt;
  try {
    attempt = await attemptInline(ref);
  } catch (err) {
    // A local activity's failure reaches the workflow as the activity's own failure (an
    // ApplicationFailure, a TimeoutFailure), not wrapped in an ActivityFailure.
    if (!(err instanceof TemporalFailure) || err instanceof CancelledFailure) throw err;
    // It failed before its claim (Postgres unreachable): nothing was sent and no slot is used.
    // The delivery workflow prepares attempt 1 again, retrying until Postgres answers.
    await handOver(match, d);
    return 'handed over';
  }
  return afterFirst(match, d, attempt);
}

/** Where a first attempt that was not recorded as it was made leaves its delivery. */
async function afterFirst(
  match: EventMatch,
  d: MatchedDelivery,
  attempt: InlineAttempt | Exclude<AttemptReport, { kind: 'attempted' }>,
): Promise<FirstAttemptEnd> {
  const ref: DeliveryRef = { deliveryId: d.deliveryId, eventId: match.eventId, subscriptionId: d.subscriptionId };
  switch (attempt.kind) {
    case 'sent': {
      const { outcome, attemptNumber } = attempt;
      const { status, delayMs: delay } = afterAttempt(outcome, 'scheduled', attemptNumber);
      const recorded = await recordAttempt({
        ...ref,
        attemptNumber,
        trigger: 'scheduled',
        url: attempt.url,
        outcome,
        status,
        nextDelayMs: delay ?? null,
        at: new Date().toISOString(),
      });
      if (status !== 'retrying') return status;
      await handOver(match, d, resumeAfter(attemptNumber, delay ?? 0, recorded.nextAttemptAt, outcome));
      return 'handed over';
    }
    case 'recorded':
      // An earlier run of this task got as far as recording attempt 1.
      if (attempt.status !== 'retrying') return attempt.status;
      await handOver(match, d, {
        attempts: attempt.attempts,
        delayMs: nextDelay(attempt.attempts) ?? 0,
        nextAttemptAt: attempt.nextAttemptAt,
        lastStatusCode: null,
        lastError: null,
      });
      return 'handed over';
    case 'cancelled':
      await markDeliveryCancelled({ ...ref, reason: attempt.reason });
      return 'cancelled';
    default:
      // Any other answer of prepareAttempt (the delivery must wait): the delivery workflow handles it.
      await handOver(match, d);
      return 'handed over';
  }
}

function resumeAfter(attempts: number, delayMs: number, nextAttemptAt: string | null, outcome: AttemptOutcome): DeliveryResume {
  return { attempts, delayMs, nextAttemptAt, lastStatusCode: outcome.statusCode, lastError: outcome.error, lastDurationMs: outcome.durationMs };
}

async function handOver(match: EventMatch, d: MatchedDelivery, resume?: DeliveryResume): Promise<void> {
  await assignDeliveryWorkflow({ deliveryId: d.deliveryId, workflowId: deliveryWorkflowId(match.eventId, d.subscriptionId) });
  await startDelivery(match, d, resume);
}

function startDelivery(match: EventMatch, d: MatchedDelivery, resume?: DeliveryResume) {
  return startChild(deliveryWorkflow, {
    workflowId: deliveryWorkflowId(match.eventId, d.subscriptionId),
    args: [
      {
        deliveryId: d.deliveryId,
        eventId: match.eventId,
        subscriptionId: d.subscriptionId,
        ...(resume ? { resume } : {}),
        retries: 'local',
        ...(d.stream ? { stream: d.stream } : {}),
      },
    ],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    // A delivery already started (this workflow replayed after a crash) is not started twice.
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    memo: { url: d.url, eventType: match.eventType, deliveryId: d.deliveryId },
    typedSearchAttributes: deliverySearchAttributes(
      { eventId: match.eventId, tenantId: match.tenantId, eventType: match.eventType, subscriptionId: d.subscriptionId, templateId: match.templateId },
      resume ? { attempts: resume.attempts, status: 'retrying', stream: d.stream } : { attempts: 0, stream: d.stream },
    ),
  });
}
