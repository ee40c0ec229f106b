import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterPayload } from '../libs/delivery/payload';
import { OPERATIONAL_EVENT_TYPES } from '../libs/domain/operational-events';
import { PAUSED_TOO_LONG } from '../libs/domain/pause';
import { DEFAULT_RETENTION_DAYS, PURGE_BATCH_SIZE, PURGE_BATCHES_PER_CALL, retentionCutoff } from '../libs/domain/retention';
import type { ActivityDeps } from './deps';
import type { DeliveryRef, HistoryPurged, StatsRolledUp } from './types';

/** Marks a delivery cancelled (subscription disabled or deleted, or an operator's cancel). A finished delivery keeps its status. */
export function markDeliveryCancelled({ deliveries, clock = () => new Date(), onDeliveryFinished }: ActivityDeps) {
  return async (input: DeliveryRef & { reason: string }): Promise<void> => {
    if (await deliveries.markCancelled(input.deliveryId, input.reason, clock())) onDeliveryFinished?.('cancelled');
  };
}

/** Dead-letters a delivery that waited in pause too long (reason `paused_too_long`); one no longer open keeps its status. */
export function markDeliveryPausedTooLong({ deliveries, clock = () => new Date(), onDeliveryFinished, onOperationalEvents }: ActivityDeps) {
  return async (input: DeliveryRef): Promise<void> => {
    const dead = await deliveries.markDeadLettered(input.deliveryId, PAUSED_TOO_LONG, clock(), deadLetterPayload);
    if (!dead) return;
    onDeliveryFinished?.('dead_lettered');
    onOperationalEvents?.([OPERATIONAL_EVENT_TYPES.deliveryDeadLettered]);
  };
}

/** Records which workflow holds a delivery: the event workflow hands it to a delivery workflow. */
export function assignDeliveryWorkflow({ deliveries }: ActivityDeps) {
  return async (input: { deliveryId: string; workflowId: string }): Promise<void> => deliveries.setWorkflow(input.deliveryId, input.workflowId);
}

/** Deletes dead letters past their retention; the delivery log keeps the delivery and its attempts. */
export function purgeExpiredDeadLetters({ deadLetters, clock = () => new Date() }: ActivityDeps) {
  return async (): Promise<{ purged: number }> => ({ purged: await deadLetters.purgeExpired(clock()) });
}

/**
 * One step of the latency rollup (attempt_stats_hourly): long stats windows read it instead of
 * every attempt. Hours past the delivery log's retention are dropped with it.
 */
export function rollupAttemptStats({ attempts, retention, clock = () => new Date() }: ActivityDeps) {
  const days = retention?.days ?? DEFAULT_RETENTION_DAYS;
  return async (): Promise<StatsRolledUp> => {
    const now = clock();
    const r = await attempts.rollupHours(now, retentionCutoff(now, days));
    return { from: r.from.toISOString(), until: r.until.toISOString(), rows: r.rows, more: r.more };
  };
}

/**
 * One round of the retention purge: finished deliveries past retention (their attempts go with
 * them), then test-send attempts, then events no delivery refers to any more. Each statement
 * deletes at most one batch in its own short transaction; the round stops after
 * PURGE_BATCHES_PER_CALL batches and reports `more`, so the workflow calls it again.
 */
export function purgeExpiredHistory({ deliveries, attempts, events, retention, clock = () => new Date() }: ActivityDeps) {
  const days = retention?.days ?? DEFAULT_RETENTION_DAYS;
  const batch = retention?.batchSize ?? PURGE_BATCH_SIZE;
  const pauseMs = retention?.pauseMs ?? 50;
  return async (): Promise<HistoryPurged> => {
    const cutoff = retentionCutoff(clock(), days);
    const purged = { deliveries: 0, testAttempts: 0, events: 0 };
    let batches = 0;
    const steps: [keyof typeof purged, (c: Date, n: number) => Promise<number>][] = [
      ['deliveries', (c, n) => deliveries.purgeFinishedBefore(c, n)],
      ['testAttempts', (c, n) => attempts.purgeTestsBefore(c, n)],
      ['events', (c, n) => events.purgeReceivedBefore(c, n)],
    ];
    for (const [name, purge] of steps) {
      for (;;) {
        if (batches >= PURGE_BATCHES_PER_CALL) return { ...purged, cutoff: cutoff.toISOString(), more: true };
        const n = await purge(cutoff, batch);
        batches++;
        purged[name] += n;
        if (n < batch) break;
        if (pauseMs > 0) await sleep(pauseMs);
      }
    }
    return { ...purged, cutoff: cutoff.toISOString(), more: false };
  };
}
