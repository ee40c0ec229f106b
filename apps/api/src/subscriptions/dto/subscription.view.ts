import { ApiProperty } from '@nestjs/swagger';
import type { Subscription } from '../../../../../libs/db/entities';
import { maskHeaderValues } from '../../../../../libs/delivery/header-values';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../../../../../libs/domain/types';
import { PageMeta } from '../../common/pagination';
import { EXAMPLE_SECRET } from './create-subscription.dto';

/** A subscription as every response shows it: never its secret, custom header values masked. */
export class SubscriptionView {
  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ example: 'https://hooks.example.com/herald' })
  url: string;

  @ApiProperty({ type: [String], example: ['image.created'] })
  eventTypes: string[];

  @ApiProperty({ type: [String], example: [] })
  templateIds: string[];

  @ApiProperty({ nullable: true, type: String, example: 'Production image pipeline' })
  description: string | null;

  @ApiProperty({
    description: 'Custom header names with their values masked (`••••` and the last 4 characters; a value of 4 or fewer characters is masked whole). Values are write-only.',
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

  @ApiProperty({ description: 'Until then the secret replaced by the last rotation signs too', nullable: true, type: String, format: 'date-time', example: null })
  previousSecretExpiresAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  updatedAt: Date;
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

/** `open` opens the sealed header values, only to mask them. */
export function toSubscriptionView(s: Subscription, open: (sealed: string) => string): SubscriptionView {
  return {
    id: s.id,
    url: s.url,
    eventTypes: s.eventTypes,
    templateIds: s.templateIds,
    description: s.description,
    headers: maskHeaderValues(s.headers, open),
    userDefined: s.userDefined,
    payloadFormat: s.payloadFormat,
    enabled: s.enabled,
    previousSecretExpiresAt: s.previousSecretExpiresAt && s.previousSecretExpiresAt > new Date() ? s.previousSecretExpiresAt : null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}
