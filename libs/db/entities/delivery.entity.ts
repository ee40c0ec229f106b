import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeliveryStatus } from '../../domain/types';

/** One Event × one Subscription, driven by exactly one Temporal workflow. */
@Entity('deliveries')
export class Delivery {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'subscription_id' }) subscriptionId: string;
  /** The subscription's (and event's) tenant, denormalised for scoped lists. */
  @Column('text', { name: 'tenant_id' }) tenantId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  @Column('text', { name: 'template_id', nullable: true }) templateId: string | null;
  @Column('text') status: DeliveryStatus;
  @Column('int', { name: 'attempt_count', default: 0 }) attemptCount: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('int', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  /** The workflow that holds the delivery: the event workflow for a first attempt made inline, else the delivery workflow. */
  @Column('text', { name: 'workflow_id' }) workflowId: string;
  /** The attempt whose request is (or was) going out, committed before the POST (activities/attempt-inline.ts). */
  @Column('int', { name: 'sending_attempt', nullable: true }) sendingAttempt: number | null;
  /** A `fifo` delivery's stream key ('' for the subscription's single stream) and place in it; null for an unordered one. */
  @Column('text', { name: 'ordering_key', nullable: true }) orderingKey: string | null;
  @Column({
    type: 'bigint',
    name: 'sequence',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  sequence: number | null;
  /** When it became its stream's head (every earlier delivery of the stream had ended). */
  @Column('timestamptz', { name: 'turn_at', nullable: true }) turnAt: Date | null;
  /** When it ended for its stream (succeeded, dead-lettered or cancelled): the next may go. */
  @Column('timestamptz', { name: 'released_at', nullable: true }) releasedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt: Date | null;
}
