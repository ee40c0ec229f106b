/**
 * JSON Schemas of the event payloads, one per catalog type. `image.created` is the image
 * platform's documented payload (docs/architecture.md, "Event types"): PNG and JPEG URLs,
 * render metadata, the template modifications applied, and a status. `user_defined` is not
 * the producer's to send: Herald adds it per subscription.
 */
const httpUrl = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 4096 } as const;

export const IMAGE_CREATED_SCHEMA = {
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
} as const;

/** Schema by event type; every catalog type has one (checked at start-up by EventsService). */
export const EVENT_SCHEMAS: Readonly<Record<string, object>> = {
  'image.created': IMAGE_CREATED_SCHEMA,
};
