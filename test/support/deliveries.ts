import type { DataSource } from 'typeorm';
import { Delivery, Event } from '../../libs/db/entities';
import { MAX_ATTEMPTS } from '../../libs/domain/retry-schedule';
import type { DeliveryService, DeliveryTarget } from '../../libs/temporal/delivery-service';
import { eventually } from './engine';

/** The Delivery rows an event fanned out to, once its workflow has matched `count` subscriptions. */
export async function deliveriesOf(ds: DataSource, eventId: string, count = 1, timeoutMs = 20_000): Promise<Delivery[]> {
  return eventually(
    async () => {
      const rows = await ds.getRepository(Delivery).find({ where: { eventId }, order: { id: 'ASC' } });
      return rows.length >= count && rows;
    },
    timeoutMs,
    `${count} deliveries of ${eventId}`,
  );
}

export async function deliveryTarget(ds: DataSource, deliveryId: string): Promise<DeliveryTarget> {
  const d = await ds.getRepository(Delivery).findOneByOrFail({ id: deliveryId });
  const event = await ds.getRepository(Event).findOneByOrFail({ id: d.eventId });
  return { id: d.id, eventId: d.eventId, tenantId: d.tenantId, subscriptionId: d.subscriptionId, eventType: d.eventType, templateId: event.templateId };
}

/** Waits until the delivery's row has `status` (and at least `attempts` attempts, when given). */
export function waitForDelivery(
  ds: DataSource,
  deliveryId: string,
  status: Delivery['status'],
  opts: { attempts?: number; timeoutMs?: number } = {},
): Promise<Delivery> {
  return eventually(
    async () => {
      const d = await ds.getRepository(Delivery).findOneBy({ id: deliveryId });
      return d && d.status === status && d.attemptCount >= (opts.attempts ?? 0) && d;
    },
    opts.timeoutMs ?? 20_000,
    `delivery ${deliveryId} to be ${status}${opts.attempts ? ` after ${opts.attempts} attempts` : ''}`,
  );
}

/**
 * Runs a failing delivery through its whole schedule in seconds: whenever the workflow is waiting
 * on a retry timer (its `state` query says `retrying`), the `retryNow` signal cuts the wait short,
 * until the last attempt failed and the delivery is dead-lettered.
 */
export async function exhaustDelivery(ds: DataSource, deliveries: DeliveryService, deliveryId: string, timeoutMs = 60_000): Promise<Delivery> {
  const target = await deliveryTarget(ds, deliveryId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await ds.getRepository(Delivery).findOneByOrFail({ id: deliveryId });
    if (row.status === 'dead_lettered' && row.attemptCount >= MAX_ATTEMPTS) return row;
    if (Date.now() > deadline)
      throw new Error(`delivery ${deliveryId} not dead-lettered after ${timeoutMs} ms (status ${row.status}, ${row.attemptCount} attempts)`);
    // Signal only once the workflow sits in its timer: a signal that arrives while an attempt is
    // under way is cleared when the next wait begins.
    const state = await deliveries.state(target).catch(() => null);
    if (state?.status === 'retrying' && state.attempts === row.attemptCount) {
      await deliveries.retry(target);
      await eventually(
        async () => (await ds.getRepository(Delivery).findOneByOrFail({ id: deliveryId })).attemptCount > row.attemptCount,
        10_000,
        `attempt ${row.attemptCount + 1} of ${deliveryId}`,
      ).catch(() => undefined);
    } else {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
