import type { EventRepository } from '../db/repositories';
import type { DeliveryService } from './delivery-service';

/** The event verbs the reconciler uses. */
export type ReconcilerEvents = Pick<EventRepository, 'listUnstarted' | 'markWorkflowStarted'>;

/**
 * Finds accepted events whose workflow was never started (the API crashed between the Event
 * row's commit and the start) and starts them. Starting is idempotent by workflow id, so an
 * event whose workflow did start meanwhile is only marked.
 */
export async function reconcileEvents(events: ReconcilerEvents, deliveries: DeliveryService, opts: { olderThanMs?: number; batch?: number } = {}): Promise<number> {
  const stale = await events.listUnstarted({ olderThanMs: opts.olderThanMs ?? 30_000, limit: opts.batch ?? 500 });
  for (const id of stale) {
    await deliveries.startEvent(id);
    await events.markWorkflowStarted(id);
  }
  return stale.length;
}

/** Runs reconcileEvents every `intervalMs` until stopped; errors are reported and retried next round. */
export function startReconciler(events: ReconcilerEvents, deliveries: DeliveryService, opts: { intervalMs?: number; onError?: (err: unknown) => void; onStarted?: (n: number) => void } = {}): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  const round = (): void => {
    current = reconcileEvents(events, deliveries)
      .then((n) => { if (n > 0) opts.onStarted?.(n); }, (err: unknown) => opts.onError?.(err))
      .finally(() => { if (!stopped) timer = setTimeout(round, opts.intervalMs ?? 15_000); });
  };
  timer = setTimeout(round, opts.intervalMs ?? 15_000);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
