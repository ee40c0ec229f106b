import type { PayloadFormat } from '../domain/types';
import { parseTraceparent } from './trace-context';

/** Stage "build" of an attempt: the exact bytes that are signed and sent. */

/** What the body needs from an Event (the entity satisfies it). */
export interface PayloadEvent {
  id: string;
  type: string;
  receivedAt: Date;
  traceId: string | null;
  /** The producer's W3C traceparent, when it sent one. */
  traceparent?: string | null;
  data: Record<string, unknown>;
}

/**
 * The `traceId` of the envelope, always present as in PixelBin's `event.traceId`: the producer's
 * own trace id, else the trace-id of its W3C traceparent, else the event id (one id per event,
 * the same on every attempt).
 */
export function envelopeTraceId(event: Pick<PayloadEvent, 'id' | 'traceId' | 'traceparent'>): string {
  return event.traceId ?? parseTraceparent(event.traceparent)?.traceId ?? event.id;
}

/** The `image.created` data as the image platform documents it. */
export type ImageCreatedData = {
  image_url: string;
  image_url_jpg: string;
  metadata: Record<string, unknown>;
  modifications: ReadonlyArray<{ name: string } & Record<string, string>>;
  status: string;
};

/**
 * The documented `image.created` example (see the image platform's "Payload Structure" page),
 * without `user_defined`, which each subscription adds. Used by tests, API examples and the
 * subscription test send. Frozen: it is shared.
 */
export const SAMPLE_IMAGE_CREATED: Readonly<ImageCreatedData> = deepFreeze<ImageCreatedData>({
  image_url: 'https://usestencil.s3.amazonaws.com/dev/images/a3b37b73-6876-44b7-bfd9-dfc3b0ad4157/19da5632-feef-4abd-a28a-e3dfa6077429.png',
  image_url_jpg: 'https://usestencil.s3.amazonaws.com/dev/images/a3b37b73-6876-44b7-bfd9-dfc3b0ad4157/19da5632-feef-4abd-a28a-e3dfa6077429.jpeg',
  metadata: {},
  modifications: [
    { name: 'image_1', src: 'https://usestencil.s3.amazonaws.com/dev/uploads/.../w100_product_highlight_v1.webp' },
    { name: 'model_name', text: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit...' },
    { name: 'text_3', text: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit...' },
    { name: 'qrcode_4', value: 'https://usestencil.com' },
    { name: 'barcode_5', value: '1234567890128' },
  ],
  status: 'completed',
});

/**
 * The JSON body for a subscription's payload format. Only event fields go in (no attempt number,
 * no send time), so every attempt of a delivery sends the same bytes and receivers can dedupe on
 * `webhook-id` alone.
 *
 * - `flat`: the event data as the producer sent it, plus the subscription's `user_defined` (which
 *   wins over a producer field of that name: it is the subscriber's own contract).
 * - `envelope`: `{ id, type, timestamp, traceId, data, user_defined }`, timestamp = when Herald
 *   accepted the event, traceId as `envelopeTraceId` gives it.
 */
export function buildBody(format: PayloadFormat, event: PayloadEvent, userDefined: Record<string, unknown> | null | undefined): string {
  const user_defined = userDefined ?? {};
  switch (format) {
    case 'flat':
      return JSON.stringify({ ...event.data, user_defined });
    case 'envelope':
      return JSON.stringify({
        id: event.id,
        type: event.type,
        timestamp: event.receivedAt.toISOString(),
        traceId: envelopeTraceId(event),
        data: event.data,
        user_defined,
      });
    default: {
      const unknown: never = format;
      throw new TypeError(`unknown payload format: ${String(unknown)}`);
    }
  }
}

/** What a dead letter keeps: the body as the subscription received it, for inspection and replay. */
export function deadLetterPayload(
  event: PayloadEvent,
  subscription: { payloadFormat: PayloadFormat; userDefined: Record<string, unknown> | null },
): Record<string, unknown> {
  return JSON.parse(buildBody(subscription.payloadFormat, event, subscription.userDefined)) as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
