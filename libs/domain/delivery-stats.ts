/** Figures over deliveries, as operators read them. Pure. */
import { DELIVERY_STATUSES, type DeliveryStatus } from './types';

export type DeliveryCounts = Record<DeliveryStatus, number>;

/** Every status, 0 where a query found none. */
export function deliveryCounts(found: Partial<Record<DeliveryStatus, number>>): DeliveryCounts {
  return Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, found[s] ?? 0])) as DeliveryCounts;
}

/**
 * Of the deliveries that reached an outcome, the share that succeeded (0–1, four decimals):
 * succeeded / (succeeded + dead_lettered). Open and cancelled deliveries do not count; null when
 * none reached an outcome. The retry schedule ends within about 1.5 hours, so over a day every
 * failing delivery but the latest has been dead-lettered.
 */
export function successRate(c: Pick<DeliveryCounts, 'succeeded' | 'dead_lettered'>): number | null {
  const decided = c.succeeded + c.dead_lettered;
  return decided === 0 ? null : Math.round((c.succeeded / decided) * 10_000) / 10_000;
}
