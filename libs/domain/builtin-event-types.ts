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
