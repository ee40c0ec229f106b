import { ApiProperty } from '@nestjs/swagger';
import type { Subscription } from '../../../../../libs/db/entities';
import type { SubscriptionDeliverySummary } from '../../../../../libs/db/repositories';
import { maskHeaderValues } from '../../../../../libs/delivery/header-values';
import { successRate } from '../../../../../libs/domain/delivery-stats';
import { DELIVERY_STATUSES, ORDERINGS, PAYLOAD_FORMATS, type DeliveryStatus, type Ordering, type PayloadFormat } from '../../../../../libs/domain/types';
import { PageMeta } from '../../common/pagination';
import { EXAMPLE_SECRET, ORDERING_DESCRIPTION } from './create-subscription.dto';

export class LastDeliveryView {
  @ApiProperty({ example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'succeeded' })
  status: DeliveryStatus;

  @ApiProperty({ description: 'When the delivery reached that status', type: String, format: 'date-time', example: '2025-11-23T10:00:02.000Z' })
  at: Date;
}

/** A subscription as every response shows it: never its secret, custom header values masked. */
export class SubscriptionView {
  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ description: 'The tenant it belongs to', example: 'ws_4821' })
  tenantId: string;

  @ApiProperty({ example: 'https://hooks.example.com/herald' })
  url: string;

  @ApiProperty({ type: [String], example: ['image.created'] })
  eventTypes: string[];

  @ApiProperty({ type: [String], example: [] })
  templateIds: string[];

  @ApiProperty({ nullable: true, type: String, example: 'Production image pipeline' })
  description: string | null;

  @ApiProperty({
    description:
      'Custom header names with their values masked (`••••` and the last 4 characters; a value of 4 or fewer characters is masked whole). Values are write-only.',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'x-customer-id': '••••acme', authorization: '••••9f3a' },
  })
  headers: Record<string, string>;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { auth: 'stencil-secret-xyz' } })
  userDefined: Record<string, unknown>;

  @ApiProperty({ enum: PAYLOAD_FORMATS, example: 'flat' })
  payloadFormat: PayloadFormat;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({
    description:
      'Paused: events are still accepted and matched, and their deliveries wait (status `paused`) until resumed. Unlike `enabled: false`, nothing is cancelled',
    example: false,
  })
  paused: boolean;

  @ApiProperty({ description: 'When it was paused; null when not paused', nullable: true, type: String, format: 'date-time', example: null })
  pausedAt: Date | null;

  @ApiProperty({ description: 'Requests a second at most, across every worker; null: unlimited', nullable: true, type: 'integer', example: null })
  rateLimitPerSecond: number | null;

  @ApiProperty({ enum: ORDERINGS, description: ORDERING_DESCRIPTION, example: 'none' })
  ordering: Ordering;

  @ApiProperty({
    description:
      'Why Herald disabled it: `auto: failing since <ISO time>` (every attempt failed for HERALD_AUTO_DISABLE_AFTER_HOURS) or `gone: …` (its endpoint answered 410 Gone); null when enabled or disabled by hand. Re-enabling clears it.',
    nullable: true,
    type: String,
    example: null,
  })
  disabledReason: string | null;

  @ApiProperty({
    description: 'When its current run of failed attempts began (the auto-disable clock); null while its last attempt succeeded',
    nullable: true,
    type: String,
    format: 'date-time',
    example: null,
  })
  failingSince: Date | null;

  @ApiProperty({ description: 'Failed attempts in a row; 4 or more: failing', example: 0 })
  consecutiveFailures: number;

  @ApiProperty({ description: 'Payload filter; null: none', type: 'object', additionalProperties: true, nullable: true, example: null })
  filter: Record<string, unknown> | null;

  @ApiProperty({
    description: 'Until then the secret replaced by the last rotation signs too',
    nullable: true,
    type: String,
    format: 'date-time',
    example: null,
  })
  previousSecretExpiresAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  updatedAt: Date;

  @ApiProperty({
    description: "The subscription's newest delivery (by creation): its status now; null before the first",
    type: LastDeliveryView,
    nullable: true,
  })
  lastDelivery: LastDeliveryView | null;

  @ApiProperty({
    description:
      'Of the deliveries created in the last 24 hours that reached an outcome, the share that succeeded: succeeded / (succeeded + dead_lettered), 0–1; null when none did',
    type: Number,
    nullable: true,
    example: 0.9875,
  })
  successRate24h: number | null;
}

/** Create and rotate-secret responses: the only places the secret is ever shown. */
export class SubscriptionWithSecret extends SubscriptionView {
  @ApiProperty({ description: 'The signing secret; store it now, it is not shown again', example: EXAMPLE_SECRET })
  secret: string;
}

export class SubscriptionPage extends PageMeta {
  @ApiProperty({ type: [SubscriptionView] })
  data: SubscriptionView[];
}

/**
 * `open` opens the sealed header values, only to mask them; `deliveries` is the subscription's
 * delivery summary over the last 24 hours (none: a subscription without deliveries).
 */
export function toSubscriptionView(s: Subscription, open: (sealed: string) => string, deliveries?: SubscriptionDeliverySummary): SubscriptionView {
  return {
    id: s.id,
    tenantId: s.tenantId,
    url: s.url,
    eventTypes: s.eventTypes,
    templateIds: s.templateIds,
    description: s.description,
    headers: maskHeaderValues(s.headers, open),
    userDefined: s.userDefined,
    payloadFormat: s.payloadFormat,
    enabled: s.enabled,
    paused: s.pausedAt !== null,
    pausedAt: s.pausedAt,
    rateLimitPerSecond: s.rateLimitPerSecond,
    ordering: s.ordering,
    disabledReason: s.disabledReason ?? null,
    failingSince: s.failingSince ?? null,
    consecutiveFailures: s.consecutiveFailures ?? 0,
    filter: s.filter,
    previousSecretExpiresAt: s.previousSecretExpiresAt && s.previousSecretExpiresAt > new Date() ? s.previousSecretExpiresAt : null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    lastDelivery: deliveries?.last ?? null,
    successRate24h: deliveries ? successRate(deliveries.since) : null,
  };
}
