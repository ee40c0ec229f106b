import type { DataSource } from 'typeorm';
import type { HttpSender } from '../libs/delivery/http-sender';
import type { SecretBox } from '../libs/delivery/secret-box';
import type { AttemptOutcome, RecordAttemptInput } from './types';

/** An Attempt row that was just inserted (a retried `recordAttempt` that finds its row reports nothing). */
export type AttemptRecorded = Pick<RecordAttemptInput, 'trigger' | 'status'> & Pick<AttemptOutcome, 'ok' | 'statusCode' | 'errorKind' | 'durationMs'>;

/** What the activities need from the outside world, passed in so tests can hand in real or fake parts. */
export interface ActivityDeps {
  dataSource: DataSource;
  sender: HttpSender;
  secretBox: SecretBox;
  /** Herald's version, sent in the user-agent. */
  version: string;
  clock?: () => Date;
  /** Observers (metrics), called after the commit, exactly once per Attempt recorded. */
  onAttemptRecorded?(e: AttemptRecorded): void;
  /** Called after the commit, once per delivery that reached a final status. */
  onDeliveryFinished?(outcome: 'succeeded' | 'dead_lettered' | 'cancelled'): void;
}
