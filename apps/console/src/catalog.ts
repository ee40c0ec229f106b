import type { Attempt, Delivery, EventType, HeraldEvent, PayloadFormat, Subscription } from './api';

/**
 * What the console knows without asking: the catalog as of this build (used when the API has no
 * `GET /v1/event-types`), example payloads (the catalog has no example field yet), and how a
 * body and its headers are put together (libs/delivery/payload.ts and headers.ts), to show what
 * Herald sent where the API does not return the request itself.
 */

const SAMPLE_IMAGE_CREATED = {
  image_url: 'https://usestencil.s3.amazonaws.com/dev/images/a3b37b73-6876-44b7-bfd9-dfc3b0ad4157/19da5632-feef-4abd-a28a-e3dfa6077429.png',
  image_url_jpg: 'https://usestencil.s3.amazonaws.com/dev/images/a3b37b73-6876-44b7-bfd9-dfc3b0ad4157/19da5632-feef-4abd-a28a-e3dfa6077429.jpeg',
  metadata: {},
  modifications: [
    { name: 'image_1', src: 'https://usestencil.s3.amazonaws.com/dev/uploads/.../w100_product_highlight_v1.webp' },
    { name: 'model_name', text: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit...' },
    { name: 'qrcode_4', value: 'https://usestencil.com' },
  ],
  status: 'completed',
};

export const EXAMPLES: Record<string, Record<string, unknown>> = { 'image.created': SAMPLE_IMAGE_CREATED };

export const KNOWN_EVENT_TYPES: EventType[] = [
  {
    name: 'image.created',
    description: 'An image finished rendering; the payload carries its PNG and JPEG URLs and the template modifications applied.',
    schema: {},
    example: SAMPLE_IMAGE_CREATED,
    group: 'image',
    version: 1,
    archivedAt: null,
    createdAt: '1970-01-01T00:00:00.000Z',
    updatedAt: '1970-01-01T00:00:00.000Z',
  },
];

export function exampleOf(t: EventType): Record<string, unknown> | undefined {
  return t.example ?? EXAMPLES[t.name];
}

/** The filters a subscription may list: each type, each family wildcard, and `*`. */
export function eventTypeFilters(types: EventType[]): { value: string; description: string }[] {
  const families = [...new Set(types.map((t) => t.name.split('.')[0]))];
  return [
    ...types.map((t) => ({ value: t.name, description: t.description })),
    ...families.map((f) => ({ value: `${f}.*`, description: `Every ${f} event, including types added later` })),
    { value: '*', description: 'Every event type' },
  ];
}

/** libs/delivery/payload.ts `buildBody`, for display. */
export function bodyFor(format: PayloadFormat, event: HeraldEvent, userDefined: Record<string, unknown>): Record<string, unknown> {
  if (format === 'envelope') {
    // libs/delivery/payload.ts envelopeTraceId: the producer's traceId, its traceparent's trace-id, or the event id.
    const traceId = event.traceId ?? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(event.traceparent ?? '')?.[1] ?? event.id;
    return { id: event.id, type: event.type, timestamp: event.receivedAt, traceId, data: event.data, user_defined: userDefined };
  }
  return { ...event.data, user_defined: userDefined };
}

/**
 * The headers of an attempt (libs/delivery/headers.ts `buildHeaders`): the webhook's custom
 * headers, then Herald's own. The signature is never shown, only its shape.
 */
export function headersFor(
  sub: Pick<Subscription, 'headers'>,
  delivery: Pick<Delivery, 'id' | 'eventType'>,
  attempt: Pick<Attempt, 'number' | 'startedAt'> | undefined,
): [string, string][] {
  const own: [string, string][] = [
    ['content-type', 'application/json'],
    ['user-agent', 'Herald/<version>'],
    ['webhook-id', delivery.id],
    ['webhook-timestamp', attempt ? String(Math.floor(new Date(attempt.startedAt).getTime() / 1000)) : '<unix seconds of the attempt>'],
    ['webhook-signature', 'v1,<HMAC-SHA256, not shown>'],
    ['x-herald-event-type', delivery.eventType],
    ['x-herald-attempt', attempt ? String(attempt.number) : '<attempt number>'],
  ];
  const reserved = new Set(own.map(([n]) => n));
  const custom = Object.entries(sub.headers ?? {}).filter(
    ([n]) => !reserved.has(n.toLowerCase()) && !n.toLowerCase().startsWith('webhook-') && !n.toLowerCase().startsWith('x-herald-'),
  );
  return [...custom, ...own];
}
