import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One occurrence emitted by the platform. Its id is the producer's own when it gave one. */
@Entity('events')
export class Event {
  @PrimaryColumn('text') id: string;
  /** Whose event it is: only that tenant's subscriptions receive it. No tenant row is required. */
  @Column('text', { name: 'tenant_id', default: 'default' }) tenantId: string;
  @Column('text') type: string;
  @Column('text', { name: 'template_id', nullable: true }) templateId: string | null;
  @Column('jsonb') data: Record<string, unknown>;
  @Column('text', { name: 'trace_id', nullable: true }) traceId: string | null;
  /** The producer's W3C `traceparent` header, passed on to receivers with every attempt. */
  @Column('text', { nullable: true }) traceparent: string | null;
  @Column('text', { name: 'idempotency_key', nullable: true, unique: true }) idempotencyKey: string | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
  /** The stream it belongs to at a `fifo` subscription; null: the subscription's single stream. */
  @Column('text', { name: 'ordering_key', nullable: true }) orderingKey: string | null;
  /** Acceptance order, drawn by the accepting INSERT (a column default; null in rows from before ordered delivery). */
  @Column({ type: 'bigint', name: 'accept_seq', nullable: true, insert: false, update: false }) acceptSeq: string | null;
  /** Its deliveries exist (set by matching). */
  @Column('timestamptz', { name: 'matched_at', nullable: true }) matchedAt: Date | null;
  /** Set once the event workflow is known to exist; the dispatcher (libs/temporal/dispatcher.ts) starts every event still without one. */
  @Column('timestamptz', { name: 'workflow_started_at', nullable: true }) workflowStartedAt: Date | null;
  /** Its workflow has matched it (made its deliveries): no longer waiting for a worker. Backlog figures only. */
  @Column('boolean', { default: false }) matched?: boolean;
}
