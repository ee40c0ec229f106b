import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A delivery whose schedule is exhausted, kept until `expiresAt` for inspection and manual retry. */
@Entity('dead_letters')
export class DeadLetter {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'delivery_id', unique: true }) deliveryId: string;
  @Column('text', { name: 'subscription_id' }) subscriptionId: string;
  /** The delivery's tenant, denormalised for scoped lists. */
  @Column('text', { name: 'tenant_id' }) tenantId: string;
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  @Column('text') reason: string;
  @Column('int', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('int', { name: 'attempt_count' }) attemptCount: number;
  /** The body as last sent, for operators; the event row stays the source of truth. */
  @Column('jsonb') payload: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
}
