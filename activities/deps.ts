import type {
  AttemptRepository,
  DeadLetterRepository,
  DeliveryRepository,
  EventRepository,
  SendSlotRepository,
  StreamRepository,
  SubscriptionRepository,
} from '../libs/db/repositories';
import type { Tracer } from '@opentelemetry/api';
import type { HttpSender } from '../libs/delivery/http-sender';
import type { SecretBox } from '../libs/delivery/secret-box';
import type { AttemptOutcome, RecordAttemptInput } from './types';

/** An Attempt row that was just inserted (a retried `recordAttempt` that finds its row reports nothing). */
export type AttemptRecorded = Pick<RecordAttemptInput, 'trigger' | 'status'> & Pick<AttemptOutcome, 'ok' | 'statusCode' | 'errorKind' | 'durationMs'>;

/**
 * What the activities need from the outside world: the few store verbs they call (not a
 * database handle), the HTTP sender and the secret box, passed in so tests hand in real or
 * fake parts. `createStores(dataSource)` gives every store.
 */
export interface ActivityDeps {
  subscriptions: Pick<SubscriptionRepository, 'find' | 'findEnabledMatching'>;
  events: Pick<EventRepository, 'find' | 'findForMatching' | 'purgeReceivedBefore'>;
  deliveries: Pick<
    DeliveryRepository,
    | 'find'
    | 'insertMatched'
    | 'insertMatchedForAttempts'
    | 'listMatched'
    | 'markDelivering'
    | 'markCancelled'
    | 'markPaused'
    | 'markDeadLettered'
    | 'purgeFinishedBefore'
    | 'claimSend'
    | 'claimSends'
    | 'loadForAttempts'
    | 'setWorkflow'
  >;
  attempts: Pick<AttemptRepository, 'recordAttempts' | 'purgeTestsBefore' | 'rollupHours'>;
  deadLetters: Pick<DeadLetterRepository, 'purgeExpired'>;
  /** Throttled subscriptions' send slots. */
  sendSlots: Pick<SendSlotRepository, 'reserve' | 'waitFor'>;
  /** Ordered delivery's streams: creation in acceptance order, turns and releases. */
  streams: Pick<StreamRepository, 'fanOutInOrder' | 'turn' | 'release'>;
  sender: HttpSender;
  secretBox: SecretBox;
  /** Herald's version, sent in the user-agent. */
  version: string;
  clock?: () => Date;
  /** The delivery log's retention (HERALD_RETENTION_DAYS); `pauseMs` between purge batches leaves room for ingest. */
  retention?: { days: number; batchSize?: number; pauseMs?: number };
  /** Endpoint health: HERALD_AUTO_DISABLE_AFTER_HOURS in ms (0: never; default 120 hours). */
  health?: { autoDisableAfterMs: number };
  /** Called after a commit that raised operational events: the worker wakes its dispatcher so they go out now. */
  onOperationalEvents?(types: string[]): void;
  /** Observers (metrics), called after the commit, exactly once per Attempt recorded. */
  onAttemptRecorded?(e: AttemptRecorded): void;
  /** Called after the commit, once per delivery that reached a final status. */
  onDeliveryFinished?(outcome: 'succeeded' | 'dead_lettered' | 'cancelled'): void;
  /** Tracing on: each attempt is an HTTP client span of this tracer. */
  tracer?: Tracer;
}
