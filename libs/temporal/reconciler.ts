import type { DataSource } from 'typeorm';
import type { DeliveryService } from './delivery-service';

/**
 * Finds accepted events whose workflow was never started (the API crashed between the Event
 * row's commit and the start) and starts them. Starting is idempotent by workflow id, so an
 * event whose workflow did start meanwhile is only marked.
 */
export async function reconcileEvents(dataSource: DataSource, deliveries: DeliveryService, opts: { olderThanMs?: number; batch?: number } = {}): Promise<number> {
  const stale: { id: string }[] = await dataSource.query(
    `SELECT id FROM events WHERE workflow_started_at IS NULL AND received_at < now() - make_interval(secs => $1) ORDER BY received_at LIMIT $2`,
    [(opts.olderThanMs ?? 30_000) / 1000, opts.batch ?? 500],
  );
  for (const { id } of stale) {
    await deliveries.startEvent(id);
    await dataSource.query(`UPDATE events SET workflow_started_at = coalesce(workflow_started_at, now()) WHERE id = $1`, [id]);
  }
  return stale.length;
}

/** Runs reconcileEvents every `intervalMs` until stopped; errors are reported and retried next round. */
export function startReconciler(dataSource: DataSource, deliveries: DeliveryService, opts: { intervalMs?: number; onError?: (err: unknown) => void; onStarted?: (n: number) => void } = {}): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  const round = (): void => {
    current = reconcileEvents(dataSource, deliveries)
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
