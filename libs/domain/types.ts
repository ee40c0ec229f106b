/** Domain vocabulary shared by the API, the worker and the workflows. Pure: no imports. */

export const DELIVERY_STATUSES = ['pending', 'delivering', 'succeeded', 'retrying', 'paused', 'dead_lettered', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const ATTEMPT_TRIGGERS = ['scheduled', 'manual', 'test'] as const;
export type AttemptTrigger = (typeof ATTEMPT_TRIGGERS)[number];

export const PAYLOAD_FORMATS = ['flat', 'envelope'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/** `fifo`: a subscription's deliveries of one ordering key go one at a time, in acceptance order (libs/domain/ordering.ts). */
export const ORDERINGS = ['none', 'fifo'] as const;
export type Ordering = (typeof ORDERINGS)[number];

/** Why an attempt failed, when it did not get a 2xx. */
export const ATTEMPT_ERROR_KINDS = [
  'http_status',
  'redirect',
  'timeout',
  'dns',
  'connect',
  'tls',
  'ssrf_blocked',
  'invalid_url',
  'network',
  'response_too_large',
] as const;
export type AttemptErrorKind = (typeof ATTEMPT_ERROR_KINDS)[number];
