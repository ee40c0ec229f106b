/**
 * The event type every Herald has: `image.created`, the image platform's documented payload
 * (docs/architecture.md, "Event types"): PNG and JPEG URLs, render metadata, the template
 * modifications applied, and a status. `user_defined` is not the producer's to send: Herald adds
 * it per subscription. The catalog migration seeds it; afterwards it is a catalog row like any
 * other.
 */
import { SAMPLE_IMAGE_CREATED } from '../delivery/payload';

export interface EventTypeDefinition {
  name: string;
  description: string;
  /** JSON Schema 2020-12 of the event's `data`. */
  schema: Record<string, unknown>;
  /** A `data` the schema accepts; every later schema must still accept it. */
  example: Record<string, unknown>;
  group: string | null;
}

const httpUrl = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 4096 } as const;

export const IMAGE_CREATED_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'image.created',
  description: 'An image finished rendering',
  type: 'object',
  required: ['image_url', 'image_url_jpg', 'metadata', 'modifications', 'status'],
  additionalProperties: false,
  properties: {
    image_url: { ...httpUrl, description: 'URL of the final PNG image' },
    image_url_jpg: { ...httpUrl, description: 'URL of the JPEG version of the image' },
    metadata: { type: 'object', description: 'Metadata of the rendering job (may be empty)', additionalProperties: true },
    modifications: {
      type: 'array',
      description: 'Template elements and the values applied to them (text, image, QR code, barcode, …)',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: true,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 255 },
          text: { type: 'string' },
          src: { type: 'string' },
          value: { type: ['string', 'number', 'boolean'] },
        },
      },
    },
    status: { type: 'string', minLength: 1, maxLength: 64, description: 'Always `completed` for now' },
  },
};

export const IMAGE_CREATED: EventTypeDefinition = {
  name: 'image.created',
  description: 'An image finished rendering; the payload carries its PNG and JPEG URLs and the template modifications applied.',
  schema: IMAGE_CREATED_SCHEMA,
  example: JSON.parse(JSON.stringify(SAMPLE_IMAGE_CREATED)) as Record<string, unknown>,
  group: 'image',
};

const id = (prefix: string, description: string) => ({ type: 'string', pattern: `^${prefix}`, description }) as const;
const subscriptionId = id('sub_', 'The subscription the event is about (it never receives this event itself)');
const tenantId = { type: 'string', minLength: 1, maxLength: 64, description: 'The tenant that subscription belongs to' } as const;
const isoTime = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;
const lastError = { type: ['string', 'null'], maxLength: 4096, description: 'The last attempt’s error (`HTTP 503`, a timeout, …)' } as const;

function operationalSchema(name: string, description: string, properties: Record<string, unknown>): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: name,
    description,
    type: 'object',
    required: Object.keys(properties),
    additionalProperties: false,
    properties,
  };
}

/**
 * The operational events (libs/domain/operational-events.ts): Herald emits them about its own
 * subscriptions and deliveries and delivers them like any other event. Producers may not post
 * them; the catalog migration for endpoint health seeds them.
 */
export const OPERATIONAL_EVENT_DEFINITIONS: readonly EventTypeDefinition[] = [
  {
    name: 'herald.subscription.disabled',
    description:
      'Herald disabled a subscription: every attempt failed for HERALD_AUTO_DISABLE_AFTER_HOURS (reason `auto: failing since …`), or its endpoint answered 410 Gone (reason `gone: …`).',
    schema: operationalSchema('herald.subscription.disabled', 'A subscription was disabled by Herald', {
      subscriptionId,
      tenantId,
      reason: { type: 'string', minLength: 1, description: 'The disabledReason the subscription now shows' },
      failingSince: isoTime('When its run of failed attempts began'),
    }),
    example: {
      subscriptionId: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K',
      tenantId: 'ws_4821',
      reason: 'auto: failing since 2025-11-18T10:00:00.000Z',
      failingSince: '2025-11-18T10:00:00.000Z',
    },
    group: 'herald',
  },
  {
    name: 'herald.subscription.failing',
    description: 'A subscription’s last 4 attempts in a row failed; sent once per run of failures.',
    schema: operationalSchema('herald.subscription.failing', 'A subscription started failing', {
      subscriptionId,
      tenantId,
      failingSince: isoTime('When its run of failed attempts began'),
      consecutiveFailures: { type: 'integer', minimum: 1, description: 'Failed attempts in a row so far' },
      lastError,
    }),
    example: {
      subscriptionId: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K',
      tenantId: 'ws_4821',
      failingSince: '2025-11-23T10:00:00.000Z',
      consecutiveFailures: 4,
      lastError: 'HTTP 503',
    },
    group: 'herald',
  },
  {
    name: 'herald.subscription.recovered',
    description: 'The first successful attempt of a subscription that was failing.',
    schema: operationalSchema('herald.subscription.recovered', 'A failing subscription succeeded again', {
      subscriptionId,
      tenantId,
      failingSince: isoTime('When the run of failed attempts that ended began'),
      consecutiveFailures: { type: 'integer', minimum: 1, description: 'Failed attempts in that run' },
    }),
    example: { subscriptionId: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K', tenantId: 'ws_4821', failingSince: '2025-11-23T10:00:00.000Z', consecutiveFailures: 7 },
    group: 'herald',
  },
  {
    name: 'herald.delivery.dead_lettered',
    description:
      'A delivery was dead-lettered: its schedule was exhausted, a manual retry failed, or its endpoint answered 410 Gone. Never sent about a delivery of an operational event.',
    schema: operationalSchema('herald.delivery.dead_lettered', 'A delivery was dead-lettered', {
      deliveryId: id('dlv_', 'The dead-lettered delivery'),
      subscriptionId,
      tenantId,
      eventId: { type: 'string', minLength: 1, description: 'The event it carried' },
      eventType: { type: 'string', minLength: 1, description: 'That event’s type' },
      attempts: { type: 'integer', minimum: 1, description: 'Attempts made' },
      lastError,
    }),
    example: {
      deliveryId: 'dlv_01JD7X8M5Q4R2Z3TR3V19H6X7K',
      subscriptionId: 'sub_01JD7X8M5Q4R2Z3TR3V19H6X7K',
      tenantId: 'ws_4821',
      eventId: 'evt_01JD7X8M5Q4R2Z3TR3V19H6X7K',
      eventType: 'image.created',
      attempts: 6,
      lastError: 'HTTP 500',
    },
    group: 'herald',
  },
];
