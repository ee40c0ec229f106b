/**
 * Operational events: what Herald tells about its own subscriptions and deliveries, delivered
 * through its own engine like any other event (docs/architecture.md, *Operational events*).
 * Pure: no imports but types.
 */

/** The reserved family: Herald emits these, producers may not post them. */
export const OPERATIONAL_PREFIX = 'herald.';

export const OPERATIONAL_EVENT_TYPES = {
  subscriptionDisabled: 'herald.subscription.disabled',
  subscriptionFailing: 'herald.subscription.failing',
  subscriptionRecovered: 'herald.subscription.recovered',
  deliveryDeadLettered: 'herald.delivery.dead_lettered',
} as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[keyof typeof OPERATIONAL_EVENT_TYPES];

/** A type (or a filter such as `herald.*`) in the reserved family. */
export function isOperationalEventType(type: string): boolean {
  return type.startsWith(OPERATIONAL_PREFIX) || type === 'herald';
}

export interface SubscriptionDisabledData {
  subscriptionId: string;
  tenantId: string;
  reason: string;
  /** When its run of failed attempts began; null when a 410 Gone disabled a healthy subscription. */
  failingSince: string | null;
}

export interface SubscriptionFailingData {
  subscriptionId: string;
  tenantId: string;
  failingSince: string;
  consecutiveFailures: number;
  lastError: string | null;
}

export interface SubscriptionRecoveredData {
  subscriptionId: string;
  tenantId: string;
  failingSince: string;
  /** Failed attempts in the run that this success ended. */
  consecutiveFailures: number;
}

export interface DeliveryDeadLetteredData {
  deliveryId: string;
  subscriptionId: string;
  tenantId: string;
  eventId: string;
  eventType: string;
  attempts: number;
  lastError: string | null;
}

/** One operational event to emit: its tenant is the subscription's, its data names the subject. */
export type OperationalEvent =
  | { type: typeof OPERATIONAL_EVENT_TYPES.subscriptionDisabled; data: SubscriptionDisabledData }
  | { type: typeof OPERATIONAL_EVENT_TYPES.subscriptionFailing; data: SubscriptionFailingData }
  | { type: typeof OPERATIONAL_EVENT_TYPES.subscriptionRecovered; data: SubscriptionRecoveredData }
  | { type: typeof OPERATIONAL_EVENT_TYPES.deliveryDeadLettered; data: DeliveryDeadLetteredData };

/**
 * The subscription an operational event is about: it never receives that event (no loops).
 * Undefined for any other event.
 */
export function subjectSubscriptionId(event: { type: string; data?: Record<string, unknown> | null }): string | undefined {
  if (!isOperationalEventType(event.type)) return undefined;
  const id = event.data?.subscriptionId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * No dead-letter event about a delivery of an operational event: two failing operator
 * subscriptions would otherwise tell each other about each other's dead letters forever. The
 * state-change events (failing, recovered, disabled) are edge-triggered per subscription, so
 * they stay bounded without this.
 */
export function reportsDeadLetter(eventType: string): boolean {
  return !isOperationalEventType(eventType);
}

/** The dead-letter event about a delivery, or none (deliveries of operational events: reportsDeadLetter). */
export function deadLetteredEvent(data: DeliveryDeadLetteredData): OperationalEvent | null {
  return reportsDeadLetter(data.eventType) ? { type: OPERATIONAL_EVENT_TYPES.deliveryDeadLettered, data } : null;
}
