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
  @Column('text', { name: 'workflow_id' }) workflowId: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt: Date | null;
}
