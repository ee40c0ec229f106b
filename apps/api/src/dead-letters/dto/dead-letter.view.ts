import { ApiProperty } from '@nestjs/swagger';
import type { DeadLetter } from '../../../../../libs/db/entities';
import { SAMPLE_IMAGE_CREATED } from '../../../../../libs/delivery/payload';
import { PageMeta } from '../../common/pagination';

export class DeadLetterView {
  @ApiProperty({ example: 'dlq_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  deliveryId: string;

  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  subscriptionId: string;

  @ApiProperty({ description: "The delivery's tenant", example: 'ws_4821' })
  tenantId: string;

  @ApiProperty({ example: 'evt_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  eventId: string;

  @ApiProperty({ example: 'image.created' })
  eventType: string;

  @ApiProperty({ description: 'Why the last attempt failed', example: 'HTTP 500' })
  reason: string;

  @ApiProperty({ nullable: true, type: Number, example: 500 })
  lastStatusCode: number | null;

  @ApiProperty({ example: 6 })
  attemptCount: number;

  @ApiProperty({ description: 'The body as last sent', type: 'object', additionalProperties: true, example: { ...SAMPLE_IMAGE_CREATED, user_defined: {} } })
  payload: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T11:21:00.000Z' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T11:21:00.000Z' })
  updatedAt: Date;

  @ApiProperty({ description: 'Purged after this (7 days after the last failure)', type: String, format: 'date-time', example: '2025-11-30T11:21:00.000Z' })
  expiresAt: Date;
}

export class DeadLetterPage extends PageMeta {
  @ApiProperty({ type: [DeadLetterView] })
  data: DeadLetterView[];
}

export class DeadLetterRetryAccepted {
  @ApiProperty({ example: 'dlq_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  deliveryId: string;

  @ApiProperty({ description: 'The dead letter stays until the retry succeeds', enum: ['signalled', 'restarted'], example: 'restarted' })
  mode: 'signalled' | 'restarted';
}

export function toDeadLetterView(d: DeadLetter): DeadLetterView {
  return {
    id: d.id,
    deliveryId: d.deliveryId,
    subscriptionId: d.subscriptionId,
    tenantId: d.tenantId,
    eventId: d.eventId,
    eventType: d.eventType,
    reason: d.reason,
    lastStatusCode: d.lastStatusCode,
    attemptCount: d.attemptCount,
    payload: d.payload,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    expiresAt: d.expiresAt,
  };
}
