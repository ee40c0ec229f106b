import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Ordering, PayloadFormat } from '../../domain/types';

/** A customer's webhook endpoint. Secrets and custom header values are stored encrypted (see libs/delivery/secret-box.ts). */
@Entity('subscriptions')
export class Subscription {
  @PrimaryColumn('text') id: string;
  /** The tenant it belongs to; fixed at creation. */
  @Column('text', { name: 'tenant_id', default: 'default' }) tenantId: string;
  @Column('text') url: string;
  @Column('text', { name: 'event_types', array: true }) eventTypes: string[];
  @Column('text', { name: 'template_ids', array: true, default: () => "'{}'" }) templateIds: string[];
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'secret_ciphertext' }) secretCiphertext: string;
  /** The secret replaced by the last rotation; it keeps signing until `previousSecretExpiresAt`. */
  @Column('text', { name: 'previous_secret_ciphertext', nullable: true }) previousSecretCiphertext: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt: Date | null;
  /** Custom header names → sealed values (libs/delivery/header-values.ts; plaintext in rows from before sealing). */
  @Column('jsonb', { default: () => "'{}'" }) headers: Record<string, string>;
  @Column('jsonb', { name: 'user_defined', default: () => "'{}'" }) userDefined: Record<string, unknown>;
  @Column('text', { name: 'payload_format', default: 'flat' }) payloadFormat: PayloadFormat;
  @Column('boolean', { default: true }) enabled: boolean;
  /** `fifo`: deliveries of one ordering key go one at a time, in the order their events were accepted. */
  @Column('text', { default: 'none' }) ordering: Ordering;
  /** Set while paused: its deliveries wait (status `paused`) instead of being attempted. */
  @Column('timestamptz', { name: 'paused_at', nullable: true }) pausedAt: Date | null;
  /** At most this many requests a second to it, across every worker; null: unlimited. */
  @Column('int', { name: 'rate_limit_per_second', nullable: true }) rateLimitPerSecond: number | null;
  /** Payload filter (libs/domain/payload-filter.ts); null: every event its types and templates let through. */
  @Column('jsonb', { nullable: true }) filter: Record<string, unknown> | null;
  // Endpoint health (libs/domain/subscription-health.ts). Written only by the subscription
  // repository's health verbs (`update: false`): a save of a PATCH read earlier must never put
  // back a failing clock that an attempt moved meanwhile.
  /** Why Herald disabled it (`auto: failing since …`, `gone: …`); null when enabled or disabled by hand. */
  @Column({ type: 'text', name: 'disabled_reason', nullable: true, update: false }) disabledReason: string | null;
  /** When the current run of failed attempts began; null while healthy. */
  @Column({ type: 'timestamptz', name: 'failing_since', nullable: true, update: false }) failingSince: Date | null;
  @Column({ type: 'integer', name: 'consecutive_failures', default: 0, update: false }) consecutiveFailures: number;
  /** Deliveries with a failed attempt in the current run. */
  @Column({ type: 'integer', name: 'failed_deliveries', default: 0, update: false }) failedDeliveries: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
