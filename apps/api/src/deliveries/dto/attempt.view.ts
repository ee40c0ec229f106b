import { ApiProperty } from '@nestjs/swagger';
import type { Attempt } from '../../../../../libs/db/entities';
import { ATTEMPT_ERROR_KINDS, ATTEMPT_TRIGGERS, type AttemptErrorKind, type AttemptTrigger } from '../../../../../libs/domain/types';

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
  };
}
