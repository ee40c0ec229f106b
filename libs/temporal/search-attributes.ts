/**
 * The one builder of a delivery workflow's search attributes, used by the event workflow's
 * fan-out and by a manual retry's new run. Pure: workflows import it.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { DEFAULT_TENANT_ID } from '../domain/tenants';
import { SA } from './names';

export interface DeliverySearchKeys {
  eventId: string;
  /** Absent only when replaying histories from before tenants (then `default`). */
  tenantId?: string;
  eventType: string;
  subscriptionId: string;
  templateId: string | null;
}

/** A delivery's attributes as it starts (`pending`); `attempts` when the start counts them. */
export function deliverySearchAttributes(d: DeliverySearchKeys, opts: { attempts?: number } = {}): SearchAttributePair[] {
  return [
    { key: SA.eventId, value: d.eventId },
    { key: SA.eventType, value: d.eventType },
    { key: SA.subscriptionId, value: d.subscriptionId },
    { key: SA.tenantId, value: d.tenantId ?? DEFAULT_TENANT_ID },
    ...(d.templateId ? [{ key: SA.templateId, value: d.templateId }] : []),
    { key: SA.deliveryStatus, value: 'pending' },
    ...(opts.attempts === undefined ? [] : [{ key: SA.attempts, value: opts.attempts }]),
  ];
}
