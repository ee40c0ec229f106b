import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SentRequest } from '../../delivery/sent-request';
import type { AttemptErrorKind, AttemptTrigger } from '../../domain/types';

/** One HTTP try. Test sends belong to a subscription but to no delivery. */
@Entity('attempts')
export class Attempt {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'delivery_id', nullable: true }) deliveryId: string | null;
  @Column('text', { name: 'subscription_id' }) subscriptionId: string;
  @Column('int') number: number;
  @Column('text') trigger: AttemptTrigger;
  @Column('text') url: string;
  @Column('boolean') ok: boolean;
  @Column('int', { name: 'status_code', nullable: true }) statusCode: number | null;
  @Column('text', { name: 'error_kind', nullable: true }) errorKind: AttemptErrorKind | null;
  @Column('text', { name: 'error_message', nullable: true }) errorMessage: string | null;
  /** The receiver's response body, truncated to 4 KiB. */
  @Column('text', { name: 'response_excerpt', nullable: true }) responseExcerpt: string | null;
  @Column('int', { name: 'duration_ms' }) durationMs: number;
  @Column('timestamptz', { name: 'started_at' }) startedAt: Date;
  @Column('timestamptz', { name: 'finished_at' }) finishedAt: Date;
  /** What this try sent: headers masked, the body's SHA-256 and size, the signing key ids. Null before it was kept. */
  @Column('jsonb', { nullable: true }) request: SentRequest | null;
}
