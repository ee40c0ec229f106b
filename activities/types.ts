/**
 * The contract between workflows and activities. Pure types: workflows `import type` this
 * file, so nothing here may pull in Node, TypeORM or HTTP code.
 */
import type { AttemptOutcome } from '../libs/delivery/attempt';
import type { AttemptStatus } from '../libs/domain/delivery-lifecycle';
import type { AttemptTrigger } from '../libs/domain/types';

export type { AttemptOutcome } from '../libs/delivery/attempt';

export interface MatchedDelivery {
  deliveryId: string;
  subscriptionId: string;
  url: string;
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
}

export interface SkippedAttempt {
  kind: 'cancelled';
  reason: string;
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

export interface HeraldActivities {
  matchSubscriptions(input: { eventId: string }): Promise<EventMatch>;
  prepareAttempt(input: DeliveryRef & { trigger: AttemptTrigger }): Promise<PreparedAttempt | SkippedAttempt>;
  sendAttempt(input: { url: string; sealedRequest: string }): Promise<AttemptOutcome>;
  recordAttempt(input: RecordAttemptInput): Promise<RecordedAttempt>;
  markDeliveryCancelled(input: DeliveryRef & { reason: string }): Promise<void>;
  purgeExpiredDeadLetters(): Promise<{ purged: number }>;
  purgeExpiredHistory(): Promise<HistoryPurged>;
}
