import type { Attempt, Delivery, EventType, HeraldEvent, PayloadFormat, Subscription } from './api';

/**
 * How a body and its headers are put together (libs/delivery/payload.ts and headers.ts), to show
 * what Herald sent where the API does not return the request itself; and the filters a webhook
 * may choose from the catalog.
 */

/** The filters a subscription may list: each type, each family wildcard, and `*`. */
export function eventTypeFilters(types: EventType[]): { value: string; description: string }[] {
  // A family at every depth (libs/domain/matching.ts): `video.*` and `video.render.*`.
  const families = [
    ...new Set(
      types.flatMap((t) =>
        t.name
          .split('.')
          .slice(0, -1)
          .map((_, i, segs) => segs.slice(0, i + 1).join('.')),
      ),
    ),
  ].sort();
  return [
    ...types.map((t) => ({ value: t.name, description: t.description })),
    ...families.map((f) => ({ value: `${f}.*`, description: `Every ${f} event, including types added later` })),
    { value: '*', description: 'Every event type but Herald’s own herald.* operational events' },
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
  delivery: Pick<Delivery, 'id' | 'eventType' | 'orderingKey' | 'sequence'>,
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
    // A fifo delivery's place in its stream, on every attempt.
    ...(delivery.sequence != null
      ? ([
          ['x-herald-ordering-key', delivery.orderingKey ?? ''],
          ['x-herald-sequence', String(delivery.sequence)],
        ] as [string, string][])
      : []),
  ];
  const reserved = new Set(own.map(([n]) => n));
  const custom = Object.entries(sub.headers ?? {}).filter(
    ([n]) => !reserved.has(n.toLowerCase()) && !n.toLowerCase().startsWith('webhook-') && !n.toLowerCase().startsWith('x-herald-'),
  );
  return [...custom, ...own];
}
