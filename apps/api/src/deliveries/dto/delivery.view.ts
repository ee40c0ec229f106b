import { ApiProperty } from '@nestjs/swagger';
import type { Delivery } from '../../../../../libs/db/entities';
import type { StreamHead } from '../../../../../libs/db/repositories';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../../../libs/domain/types';
import { PageMeta } from '../../common/pagination';
import { AttemptView } from './attempt.view';

export class DeliveryView {
  @ApiProperty({ example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ example: 'evt_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  eventId: string;

  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  subscriptionId: string;

  @ApiProperty({ description: "The subscription's (and event's) tenant", example: 'ws_4821' })
  tenantId: string;

  @ApiProperty({ example: 'image.created' })
  eventType: string;

  @ApiProperty({ nullable: true, type: String, example: null })
  templateId: string | null;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'retrying' })
  status: DeliveryStatus;

  @ApiProperty({ example: 2 })
  attemptCount: number;

  @ApiProperty({
    description: 'When the next scheduled attempt runs (status `retrying`)',
    nullable: true,
    type: String,
    format: 'date-time',
    example: '2025-11-23T10:01:00.000Z',
  })
  nextAttemptAt: Date | null;

  @ApiProperty({ nullable: true, type: Number, example: 503 })
  lastStatusCode: number | null;

  @ApiProperty({ nullable: true, type: String, example: 'HTTP 503' })
  lastError: string | null;

  @ApiProperty({
    description:
      'The Temporal workflow that holds this delivery: its event workflow (`event:<eventId>`) while it makes the first attempt and when that attempt delivered it, else its delivery workflow (`delivery:<eventId>:<subscriptionId>`)',
    example: 'delivery:evt_01JD7X8M5Q4R2Z3TR3V19H6X7K:sub_01JD7X8M5Q4R2Z3TR3V19H6X7K',
  })
  workflowId: string;

  @ApiProperty({
    description: "A `fifo` delivery's ordering key ('' for its subscription's single stream); null for an unordered one",
    nullable: true,
    type: String,
    example: 'batch_8123',
  })
  orderingKey: string | null;

  @ApiProperty({
    description: 'Its place in its stream (`x-herald-sequence`): 1, 2, 3 … in acceptance order; null for an unordered one',
    nullable: true,
    type: 'integer',
    example: 7,
  })
  sequence: number | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.120Z' })
  updatedAt: Date;

  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null })
  completedAt: Date | null;
}

/** The workflow's own view, from its `state` query, while it runs. */
export class LiveDeliveryState {
  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'retrying' })
  status: DeliveryStatus;

  @ApiProperty({ example: 2 })
  attempts: number;

  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: '2025-11-23T10:01:00.000Z' })
  nextAttemptAt: string | null;

  @ApiProperty({ nullable: true, type: Number, example: 503 })
  lastStatusCode: number | null;

  @ApiProperty({ nullable: true, type: String, example: 'HTTP 503' })
  lastError: string | null;

  @ApiProperty({ example: 'RUNNING' })
  workflowStatus: string;
}

/** A stream with deliveries still to end: its head and the queue behind it. */
export class StreamView {
  @ApiProperty({ example: 'batch_8123' })
  orderingKey: string;

  @ApiProperty({ description: 'The delivery being attempted (or about to be); the others wait for it to end', example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  headId: string;

  @ApiProperty({ example: 6 })
  headSequence: number;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'retrying' })
  headStatus: DeliveryStatus;

  @ApiProperty({
    description: 'When the head got its turn; null until it asked',
    nullable: true,
    type: String,
    format: 'date-time',
    example: '2025-11-23T10:00:00.000Z',
  })
  since: Date | null;

  @ApiProperty({ description: 'Deliveries waiting behind the head', example: 12 })
  behind: number;

  @ApiProperty({ description: 'The last sequence given in this stream', example: 18 })
  lastSequence: number;

  @ApiProperty({ description: 'The head is `retrying` or `paused`: the stream is held up', example: true })
  blocked: boolean;
}

export class StreamList {
  @ApiProperty({ type: [StreamView] })
  data: StreamView[];
}

export function toStreamView(h: StreamHead): StreamView {
  return { ...h, blocked: h.headStatus === 'retrying' || h.headStatus === 'paused' };
}

export class DeliveryDetail extends DeliveryView {
  @ApiProperty({
    description: "A `fifo` delivery still to end: its stream's head, since when, how many wait behind; null otherwise",
    type: StreamView,
    nullable: true,
  })
  stream: StreamView | null;

  @ApiProperty({ description: 'Every try, oldest first', type: [AttemptView] })
  attempts: AttemptView[];

  @ApiProperty({ description: 'The running workflow’s state; null when it is not running or cannot be asked', type: LiveDeliveryState, nullable: true })
  live: LiveDeliveryState | null;

  @ApiProperty({
    description: 'The workflow that holds the delivery (`workflowId`) in the Temporal web UI',
    example: 'http://localhost:8233/namespaces/default/workflows/delivery%3Aevt_01JD7X8M5Q4R2Z3TR3V19H6X7K%3Asub_01JD7X8M5Q4R2Z3TR3V19H6X7K',
  })
  temporalUiUrl: string;
}

export class DeliveryPage extends PageMeta {
  @ApiProperty({ type: [DeliveryView] })
  data: DeliveryView[];
}

export class RetryAccepted {
  @ApiProperty({ example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({
    description: '`signalled`: a running delivery skips its wait; `restarted`: a finished one gets a new run with one `manual` attempt',
    enum: ['signalled', 'restarted'],
    example: 'restarted',
  })
  mode: 'signalled' | 'restarted';
}

export class CancelAccepted {
  @ApiProperty({ example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({
    description: 'The workflow got the cancel signal; the delivery turns `cancelled` within moments',
    enum: ['cancelling'],
    example: 'cancelling',
  })
  status: 'cancelling';
}

export function toDeliveryView(d: Delivery): DeliveryView {
  return {
    id: d.id,
    eventId: d.eventId,
    subscriptionId: d.subscriptionId,
    tenantId: d.tenantId,
    eventType: d.eventType,
    templateId: d.templateId,
    status: d.status,
    attemptCount: d.attemptCount,
    nextAttemptAt: d.nextAttemptAt,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    workflowId: d.workflowId,
    orderingKey: d.orderingKey,
    sequence: d.sequence,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    completedAt: d.completedAt,
  };
}
