/**
 * The one builder of Herald's search attributes: a delivery workflow's (the event workflow's
 * hand-over, a manual retry's new run) and an event workflow's for the deliveries it made
 * inline. Pure: workflows import it.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { DEFAULT_TENANT_ID } from '../domain/tenants';
import type { StreamPlace } from '../domain/ordering';
import type { DeliveryStatus } from '../domain/types';
import { SA } from './names';

export interface DeliverySearchKeys {
  eventId: string;
  /** Absent only when replaying histories from before tenants (then `default`). */
  tenantId?: string;
  eventType: string;
  subscriptionId: string;
  templateId: string | null;
}

/** A delivery's attributes as it starts (`pending`, or the status it is handed over in); `attempts` when the start counts them. */
export function deliverySearchAttributes(
  d: DeliverySearchKeys,
  opts: { attempts?: number; status?: DeliveryStatus; stream?: StreamPlace } = {},
): SearchAttributePair[] {
  return [
    { key: SA.eventId, value: d.eventId },
    { key: SA.eventType, value: d.eventType },
    { key: SA.subscriptionId, value: d.subscriptionId },
    { key: SA.tenantId, value: d.tenantId ?? DEFAULT_TENANT_ID },
    ...(d.templateId ? [{ key: SA.templateId, value: d.templateId }] : []),
    { key: SA.deliveryStatus, value: opts.status ?? 'pending' },
    ...(opts.attempts === undefined ? [] : [{ key: SA.attempts, value: opts.attempts }]),
    // A `fifo` delivery in a workflow of its own is its stream's head: found blocked with
    // `HeraldSequence > 0 AND HeraldDeliveryStatus IN ("retrying", "paused")`.
    ...(opts.stream
      ? [
          { key: SA.orderingKey, value: opts.stream.key },
          { key: SA.sequence, value: opts.stream.sequence },
        ]
      : []),
  ];
}

/**
 * An event workflow's attributes once it delivered some first attempts itself: found by event,
 * tenant and type like a delivery workflow, by `HeraldDeliveredSubscriptionIds` for those
 * subscriptions, with `HeraldDeliveryStatus` `succeeded` and `HeraldAttempts` 1 (theirs).
 */
export function inlineDeliverySearchAttributes(e: Omit<DeliverySearchKeys, 'subscriptionId'>, subscriptionIds: string[]): SearchAttributePair[] {
  return [
    { key: SA.eventId, value: e.eventId },
    { key: SA.eventType, value: e.eventType },
    { key: SA.tenantId, value: e.tenantId ?? DEFAULT_TENANT_ID },
    ...(e.templateId ? [{ key: SA.templateId, value: e.templateId }] : []),
    { key: SA.deliveredSubscriptionIds, value: subscriptionIds },
    { key: SA.deliveryStatus, value: 'succeeded' },
    { key: SA.attempts, value: 1 },
  ];
}
