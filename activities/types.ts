/**
 * The contract between workflows and activities. Pure types: workflows `import type` this
 * file, so nothing here may pull in Node, TypeORM or HTTP code.
 */
import type { AttemptOutcome } from '../libs/delivery/attempt';
import type { AttemptStatus } from '../libs/domain/delivery-lifecycle';
import type { StreamPlace } from '../libs/domain/ordering';
import type { AttemptTrigger, DeliveryStatus } from '../libs/domain/types';

export type { AttemptOutcome } from '../libs/delivery/attempt';

export interface MatchedDelivery {
  deliveryId: string;
  subscriptionId: string;
  url: string;
  /** A `fifo` delivery's place in its stream: it waits for its turn (workflows/sequencer.ts). Absent: unordered. */
  stream?: StreamPlace;
}

export interface EventMatch {
  eventId: string;
  /** Absent in histories recorded before tenants: those events were the `default` tenant's. */
  tenantId?: string;
  eventType: string;
  templateId: string | null;
  deliveries: MatchedDelivery[];
}

export interface DeliveryRef {
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
}

/**
 * The request built by `prepareAttempt`. Headers and body are sealed (AES-GCM with
 * HERALD_SECRET_KEY): the history keeps ids and the URL readable, never the payload,
 * `user_defined` values or custom header values.
 */
export interface PreparedAttempt {
  kind: 'ready';
  attemptNumber: number;
  url: string;
  sealedRequest: string;
  /** The subscription's throttle; absent: unlimited (the send takes no slot). */
  rateLimitPerSecond?: number;
}

export interface SkippedAttempt {
  kind: 'cancelled';
  reason: string;
}

/** The subscription is paused: the delivery was moved to `paused` and makes no attempt until resumed. */
export interface PausedAttempt {
  kind: 'paused';
}

/** A throttled send that did not go out: its slot (Postgres time) is `waitMs` away. */
export interface ThrottledSend {
  throttled: true;
  slot: string;
  waitMs: number;
}

export interface ThrottledSendInput {
  url: string;
  sealedRequest: string;
  subscriptionId: string;
  perSecond: number;
  /** A slot taken by an earlier call, to be used now. */
  slot?: string;
}

/**
 * What the event workflow's inline first attempt came to (activities/attempt-inline.ts): a try
 * to record (`sent`, its outcome possibly an interruption), attempt 1 already recorded by an
 * earlier run (`recorded`), a throttled subscription's (`throttled`: its slots are taken in the
 * delivery workflow), or prepareAttempt's answer when it was not `ready`, unchanged.
 */
export type InlineAttempt =
  | { kind: 'sent'; attemptNumber: number; url: string; outcome: AttemptOutcome }
  | { kind: 'recorded'; status: DeliveryStatus; attempts: number; nextAttemptAt: string | null }
  | { kind: 'throttled' }
  | Exclude<Awaited<ReturnType<HeraldActivities['prepareAttempt']>>, PreparedAttempt>;

/** One delivery of an `attemptDeliveries` batch: the scheduled attempt its workflow means to make. */
export interface AttemptTarget extends DeliveryRef {
  /** The attempt's number on the schedule; a delivery that already recorded it is reported `recorded`, never sent again. */
  attemptNumber: number;
}

export interface AttemptDeliveriesInput {
  deliveries: AttemptTarget[];
  /** The workflow's time when it asked: the failing clock runs on it (plus the time the attempt took). */
  at: string;
}

/**
 * What one delivery's attempt in an `attemptDeliveries` batch came to: made and recorded
 * (`attempted`: where the delivery stands now), made but not recorded (`sent`: Postgres failed
 * at the record; the workflow records it with `recordAttempt`), or — nothing sent — already
 * recorded by an earlier run, throttled, not prepared, or prepareAttempt's answer when it was not `ready`.
 */
export type AttemptReport =
  | {
      kind: 'attempted';
      attemptNumber: number;
      status: AttemptStatus;
      /** The schedule's wait before the next attempt, when `retrying`. */
      delayMs: number | null;
      nextAttemptAt: string | null;
      lastStatusCode: number | null;
      lastError: string | null;
      /** How long the POST took (absent in reports from before it was kept): a slow one's retry is not sent locally. */
      durationMs?: number;
    }
  | { kind: 'sent'; attemptNumber: number; url: string; outcome: AttemptOutcome }
  /** Nothing sent: it could not be prepared (the others of its batch went on); its delivery workflow retries it. */
  | { kind: 'unprepared' }
  | Exclude<InlineAttempt, { kind: 'sent' }>;

export interface MatchAndAttemptInput {
  eventId: string;
  /** The workflow's time when it asked: the failing clock runs on it (plus the time the match and the attempt took). */
  at: string;
}

/**
 * What `matchAndAttempt` came to: the match, and its first attempts' reports (one per matched
 * delivery, in the match's order), or why none were made here: `in turns` (a `fifo` delivery:
 * the workflow makes them as their turns come) or `failed` (the attempts failed before their
 * claims: nothing was sent).
 */
export interface FirstAttempts {
  match: EventMatch;
  attempts: AttemptReport[] | 'in turns' | 'failed';
}

export interface RecordAttemptInput extends DeliveryRef {
  attemptNumber: number;
  trigger: AttemptTrigger;
  url: string;
  outcome: AttemptOutcome;
  /** Where the delivery stands after this attempt. */
  status: AttemptStatus;
  /** Wait before the next attempt, when status is `retrying`. */
  nextDelayMs: number | null;
  /**
   * The workflow's time when the outcome came in: the subscription's failing clock runs on it
   * (on the time-skipping server only workflow time is virtual). Absent from workflows started
   * before endpoint health: the outcome's `finishedAt` stands in.
   */
  at?: string;
}

/** Whether a `fifo` delivery may go: its turn, still waiting behind `headId`, or cancelled meanwhile. */
export type StreamTurnAnswer = { kind: 'turn' } | { kind: 'waiting'; headId: string } | { kind: 'cancelled'; reason: string };

export interface RecordedAttempt {
  attemptId: string;
  nextAttemptAt: string | null;
}

/** What one round of the retention purge deleted; `more` when it stopped at its batch budget. */
export interface HistoryPurged {
  deliveries: number;
  testAttempts: number;
  events: number;
  cutoff: string;
  more: boolean;
}

/** One step of the stats rollup: the hours it recomputed and how many subscription-hours it wrote. */
export interface StatsRolledUp {
  from: string;
  until: string;
  rows: number;
  more: boolean;
}

export interface HeraldActivities {
  /** `holder` names the workflow that will hold the new deliveries (default: each one's delivery workflow). */
  matchSubscriptions(input: { eventId: string; holder?: 'event' }): Promise<EventMatch>;
  attemptInline(input: DeliveryRef): Promise<InlineAttempt>;
  /**
   * Scheduled attempts of one or more deliveries (an event's first attempts, or one retry), as
   * one local activity: prepared from one read, claimed in one statement, POSTed concurrently,
   * each recorded as soon as its answer is in (answers that come in together, in one transaction).
   */
  attemptDeliveries(input: AttemptDeliveriesInput): Promise<AttemptReport[]>;
  /** An event's match and its first attempts in one local activity (activities/match-and-attempt.ts). */
  matchAndAttempt(input: MatchAndAttemptInput): Promise<FirstAttempts>;
  /** The delivery is now held by `workflowId` (deliveries.workflow_id, what the API links to). */
  assignDeliveryWorkflow(input: { deliveryId: string; workflowId: string }): Promise<void>;
  prepareAttempt(input: DeliveryRef & { trigger: AttemptTrigger }): Promise<PreparedAttempt | SkippedAttempt | PausedAttempt>;
  sendAttempt(input: { url: string; sealedRequest: string }): Promise<AttemptOutcome>;
  /** `sendAttempt` for a throttled subscription: sends in its own slot, or hands back a slot too far off to wait for. */
  sendAttemptInSlot(input: ThrottledSendInput): Promise<AttemptOutcome | ThrottledSend>;
  recordAttempt(input: RecordAttemptInput): Promise<RecordedAttempt>;
  markDeliveryCancelled(input: DeliveryRef & { reason: string }): Promise<void>;
  /** Dead-letters a delivery that waited in pause longer than PAUSED_TOO_LONG_MS. */
  markDeliveryPausedTooLong(input: DeliveryRef): Promise<void>;
  /** May this `fifo` delivery make its first attempt now (every earlier one of its stream ended)? */
  streamTurn(input: { deliveryId: string }): Promise<StreamTurnAnswer>;
  /** The delivery ended: its stream moves on. Names the stream's new head and the workflow to wake, if any. */
  releaseStreamTurn(input: { deliveryId: string }): Promise<{ deliveryId: string; workflowId: string } | null>;
  purgeExpiredDeadLetters(): Promise<{ purged: number }>;
  purgeExpiredHistory(): Promise<HistoryPurged>;
  /** One step of the hourly stats rollup (up to a day of complete hours); `more` when hours remain. */
  rollupAttemptStats(): Promise<StatsRolledUp>;
}
