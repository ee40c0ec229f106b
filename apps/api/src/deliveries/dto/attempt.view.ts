import { ApiProperty } from '@nestjs/swagger';
import type { Attempt } from '../../../../../libs/db/entities';
import { ATTEMPT_ERROR_KINDS, ATTEMPT_TRIGGERS, type AttemptErrorKind, type AttemptTrigger } from '../../../../../libs/domain/types';

/** What one try sent, as its Attempt row keeps it (libs/delivery/sent-request.ts). */
export class SentRequestView {
  @ApiProperty({
    description:
      "Every header sent, by name. Herald's own public headers (content-type, user-agent, webhook-id, webhook-timestamp, x-herald-*, traceparent) as sent; custom header values and the signatures masked: `••••` and the last 4 characters",
    type: 'object',
    additionalProperties: { type: 'string' },
    example: {
      'x-api-key': '••••a1b2',
      'content-type': 'application/json',
      'user-agent': 'Herald/0.1.0',
      'webhook-id': 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K',
      'webhook-timestamp': '1763892000',
      'webhook-signature': 'v1,••••Xk0=',
      'x-herald-event-type': 'image.created',
      'x-herald-attempt': '1',
    },
  })
  headers: Record<string, string>;

  @ApiProperty({ description: "Hex SHA-256 of the body's bytes", example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' })
  bodySha256: string;

  @ApiProperty({ description: "The body's size in bytes", example: 512 })
  bodyBytes: number;

  @ApiProperty({
    description:
      "Which of the subscription's secrets signed, in the order of webhook-signature: `current`, and `previous` while a rotated-out secret still signs",
    enum: ['current', 'previous'],
    isArray: true,
    example: ['current'],
  })
  signatureKeyIds: ('current' | 'previous')[];
}

/** One HTTP try, as the delivery log and the test endpoint show it. */
export class AttemptView {
  @ApiProperty({ example: 'atm_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  id: string;

  @ApiProperty({ description: 'null for a test send', nullable: true, type: String, example: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  deliveryId: string | null;

  @ApiProperty({ example: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K' })
  subscriptionId: string;

  @ApiProperty({ description: 'Attempt number within its delivery (1..6 on the schedule, more after manual retries)', example: 1 })
  number: number;

  @ApiProperty({ enum: ATTEMPT_TRIGGERS, example: 'scheduled' })
  trigger: AttemptTrigger;

  @ApiProperty({ example: 'https://hooks.example.com/herald' })
  url: string;

  @ApiProperty({ description: 'true when the receiver answered 2xx within 30 s', example: true })
  ok: boolean;

  @ApiProperty({ nullable: true, type: Number, example: 200 })
  statusCode: number | null;

  @ApiProperty({ enum: ATTEMPT_ERROR_KINDS, nullable: true, example: null })
  errorKind: AttemptErrorKind | null;

  @ApiProperty({ nullable: true, type: String, example: null })
  error: string | null;

  @ApiProperty({ description: "The receiver's response body, truncated to 4 KiB", nullable: true, type: String, example: 'ok' })
  responseExcerpt: string | null;

  @ApiProperty({ example: 42 })
  durationMs: number;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  startedAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.042Z' })
  finishedAt: Date;

  @ApiProperty({
    description:
      'The request this try sent (what left, or was refused at connect time); null for an interrupted try and for tries recorded before requests were kept',
    type: SentRequestView,
    nullable: true,
  })
  request: SentRequestView | null;
}

export function toAttemptView(a: Attempt): AttemptView {
  return {
    id: a.id,
    deliveryId: a.deliveryId,
    subscriptionId: a.subscriptionId,
    number: a.number,
    trigger: a.trigger,
    url: a.url,
    ok: a.ok,
    statusCode: a.statusCode,
    errorKind: a.errorKind,
    error: a.errorMessage,
    responseExcerpt: a.responseExcerpt,
    durationMs: a.durationMs,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
    // jsonb keeps keys in its own order: the view puts them back in the documented one.
    request: a.request && {
      headers: a.request.headers,
      bodySha256: a.request.bodySha256,
      bodyBytes: a.request.bodyBytes,
      signatureKeyIds: a.request.signatureKeyIds,
    },
  };
}
