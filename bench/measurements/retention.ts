import { purgeHistoryWorkflow } from '../../workflows/purge.workflow';
import { DEFAULT_RETENTION_DAYS } from '../../libs/domain/retention';
import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { startBenchReceiver } from '../receiver';
import { round } from '../stats';

const CYCLES = [1, 2, 3];

interface Size {
  events: number;
  deliveries: number;
  attempts: number;
  /** Heap, indexes and TOAST of the three tables. */
  bytes: number;
}

async function size(b: Bench): Promise<Size> {
  const [r] = await b.ds
    .query(`SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM deliveries) AS deliveries, (SELECT count(*) FROM attempts) AS attempts,
    pg_total_relation_size('events') + pg_total_relation_size('deliveries') + pg_total_relation_size('attempts') AS bytes`);
  return { events: Number(r.events), deliveries: Number(r.deliveries), attempts: Number(r.attempts), bytes: Number(r.bytes) };
}

/**
 * Postgres under retention: three cycles of N delivered events, each then aged past
 * HERALD_RETENTION_DAYS and purged by the real purgeHistoryWorkflow on the worker, then a plain
 * VACUUM (what autovacuum does: space reusable, not returned). Rows and bytes after each load
 * and each purge; flat means the later cycles end where the first did.
 */
export async function measureRetention(b: Bench): Promise<void> {
  const n = b.opts.quick ? 150 : Math.min(b.opts.events, 1000);
  const receiver = await startBenchReceiver(200);
  const sub = await b.subscribe(receiver, 'retention', ['tpl_retention']);
  const figures: Record<string, unknown> = { n, retention_days: DEFAULT_RETENTION_DAYS };
  try {
    await b.ds.query(`VACUUM (ANALYZE) events, deliveries, attempts`);
    const before = await size(b);
    figures.before = before;
    for (const cycle of CYCLES) {
      const prefix = `ret${cycle}`;
      // A modest concurrency: the figure is bytes, not throughput.
      await b.ingest(n, prefix, 8, 'tpl_retention');
      await eventually(
        async () =>
          Number(
            (
              await b.ds.query(`SELECT count(*) AS c FROM deliveries WHERE subscription_id = $1 AND event_id LIKE $2 AND status = 'succeeded'`, [
                sub,
                `${prefix}\\_%`,
              ])
            )[0].c,
          ) === n,
        300_000,
        `cycle ${cycle} delivered`,
      );
      const loaded = await size(b);
      // As if the window had passed: the rows of this cycle only.
      const age = `${DEFAULT_RETENTION_DAYS + 1} days`;
      await b.ds.query(`UPDATE deliveries SET created_at = created_at - $2::interval, updated_at = updated_at - $2::interval WHERE event_id LIKE $1`, [
        `${prefix}\\_%`,
        age,
      ]);
      await b.ds.query(`UPDATE events SET received_at = received_at - $2::interval WHERE id LIKE $1`, [`${prefix}\\_%`, age]);
      const t0 = performance.now();
      const purged = await b.client.workflow.execute(purgeHistoryWorkflow, {
        taskQueue: 'herald-deliveries',
        workflowId: `bench-retention-${cycle}-${Date.now()}`,
      });
      const seconds = (performance.now() - t0) / 1000;
      await b.ds.query(`VACUUM (ANALYZE) events, deliveries, attempts`);
      const after = await size(b);
      figures[`cycle_${cycle}`] = {
        loaded,
        purged: { deliveries: purged.deliveries, events: purged.events, seconds: round(seconds, 2) },
        after_purge: after,
        bytes_per_delivery_loaded: Math.round((loaded.bytes - before.bytes) / n),
      };
      b.log(
        `retention cycle ${cycle}: loaded ${JSON.stringify(loaded)}, purged ${purged.deliveries} deliveries / ${purged.events} events in ${round(seconds, 2)} s, after ${JSON.stringify(after)}`,
      );
    }
    const c = (i: number) => figures[`cycle_${i}`] as { loaded: Size; after_purge: Size };
    figures.loaded_bytes_by_cycle = CYCLES.map((i) => c(i).loaded.bytes);
    figures.after_purge_bytes_by_cycle = CYCLES.map((i) => c(i).after_purge.bytes);
    b.results.retention = figures;
  } finally {
    await b.unsubscribe([sub]);
    await receiver.close();
  }
}
