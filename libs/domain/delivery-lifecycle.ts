/**
 * The one owner of a Delivery's status. Pure: the delivery repository writes a status only
 * where this module allows it (the UPDATE's WHERE lists the statuses that may move there).
 *
 *   pending → delivering → succeeded
 *                        → retrying → delivering → …
 *                        → dead_lettered
 *   pending | retrying | delivering → paused (its subscription is paused; no attempt made)
 *   paused → delivering (resumed) | dead_lettered (paused_too_long)
 *   any open status → cancelled
 *   a final status → pending (a manual retry re-opens it; undone if nothing was restarted)
 */
import type { DeliveryStatus } from './types';

export type { DeliveryStatus } from './types';

/** A delivery in one of these is done: its workflow has closed or is closing. */
export const FINAL_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['succeeded', 'dead_lettered', 'cancelled'];

export type FinalDeliveryStatus = Extract<DeliveryStatus, 'succeeded' | 'dead_lettered' | 'cancelled'>;
/** Where a delivery stands after an attempt was recorded. */
export type AttemptStatus = Extract<DeliveryStatus, 'succeeded' | 'retrying' | 'dead_lettered'>;

export function isFinal(status: DeliveryStatus): status is FinalDeliveryStatus {
  return FINAL_DELIVERY_STATUSES.includes(status);
}

const OPEN: readonly DeliveryStatus[] = ['pending', 'delivering', 'retrying', 'paused'];

/** Target → the statuses that may move to it. */
const MAY_MOVE_TO: Record<DeliveryStatus, readonly DeliveryStatus[]> = {
  // A retried prepare finds its own `delivering`; a resumed delivery leaves `paused` here.
  delivering: OPEN,
  // A paused delivery re-checked while its subscription is still paused stays `paused`.
  paused: OPEN,
  // An attempt's outcome lands on an open delivery (a retried record finds the status it wrote).
  succeeded: OPEN,
  retrying: OPEN,
  dead_lettered: OPEN,
  cancelled: OPEN,
  pending: FINAL_DELIVERY_STATUSES,
};

/** The statuses a delivery may be in for a move to `to`. */
export function statusesMovingTo(to: DeliveryStatus): readonly DeliveryStatus[] {
  return MAY_MOVE_TO[to];
}

export function mayMove(from: DeliveryStatus, to: DeliveryStatus): boolean {
  return MAY_MOVE_TO[to].includes(from);
}
