import { ApiProperty } from '@nestjs/swagger';
import { SAMPLE_IMAGE_CREATED } from '../../../../../libs/delivery/payload';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../../../libs/domain/types';

export class EventAccepted {
  @ApiProperty({ description: "The producer's id when it gave one, else `evt_<ulid>`", example: 'evt_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ enum: ['accepted'], example: 'accepted' })
  status: 'accepted';
}

export class EventDeliverySummary {
  @ApiProperty({ example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  subscriptionId: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'succeeded' })
  status: DeliveryStatus;

  @ApiProperty({ example: 1 })
  attemptCount: number;
}

export class EventView {
  @ApiProperty({ example: 'evt_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ description: 'Whose event it is', example: 'ws_4821' })
  tenantId: string;

  @ApiProperty({ example: 'image.created' })
  type: string;

  @ApiProperty({ nullable: true, type: String, example: 'tpl_product_highlight' })
  templateId: string | null;

  @ApiProperty({ nullable: true, type: String, example: null })
  traceId: string | null;

  @ApiProperty({
    description: "The producer's W3C traceparent, sent to receivers",
    nullable: true,
    type: String,
    example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  })
  traceparent: string | null;

  @ApiProperty({ description: 'Its stream at `fifo` subscriptions; null: their single stream', nullable: true, type: String, example: 'batch_8123' })
  orderingKey: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: SAMPLE_IMAGE_CREATED })
  data: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  receivedAt: Date;

  @ApiProperty({ description: 'One per matching subscription; empty until the event workflow has matched them', type: [EventDeliverySummary] })
  deliveries: EventDeliverySummary[];
}
