import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PayloadFormat } from '../../domain/types';

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
  /** Set while paused: its deliveries wait (status `paused`) instead of being attempted. */
  @Column('timestamptz', { name: 'paused_at', nullable: true }) pausedAt: Date | null;
  /** At most this many requests a second to it, across every worker; null: unlimited. */
  @Column('int', { name: 'rate_limit_per_second', nullable: true }) rateLimitPerSecond: number | null;
  /** Payload filter (libs/domain/payload-filter.ts); null: every event its types and templates let through. */
  @Column('jsonb', { nullable: true }) filter: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
