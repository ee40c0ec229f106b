import { NativeConnection, Worker } from '@temporalio/worker';
import { eventually } from '../../test/support/engine';
import { CONCURRENCY, type Bench } from '../context';
import { cpuPer } from '../cpu';
import * as floorActivities from '../floor/floor.activities';
import { startBenchReceiver } from '../receiver';
import { pool, round } from '../stats';

/**
 * What Temporal allows a durable webhook at best, on the same dev server (issue #14): a workflow
 * whose only step is one local-activity POST (× 1), and one workflow making five local-activity
 * POSTs (× 5). Herald ÷ these is how close the engine gets to the limit its design allows.
 */
export async function measureTemporalCeilings(b: Bench): Promise<void> {
  const receiver = await startBenchReceiver(200);
  const connection = await NativeConnection.connect({ address: b.stack.temporal!.address });
  const worker = await Worker.create({
    connection,
    taskQueue: 'bench-ceiling',
    workflowsPath: require.resolve('../floor/ceiling.workflow'),
    activities: floorActivities,
    maxCachedWorkflows: 500,
  });
  // Sized like the floor: the × 5 run delivers as many requests from a fifth of the workflows.
  const deliveries = b.opts.quick ? b.opts.events : Math.floor(b.opts.events / 2);
  await worker.runUntil(async () => {
    for (const fanout of [1, 5] as const) {
      const workflows = Math.floor(deliveries / fanout);
      const n = workflows * fanout;
      const before = receiver.arrivals.size;
      const t0 = performance.now();
      const cpu0 = b.cpu();
      await pool(workflows, CONCURRENCY, async (i) => {
        const bodies = Array.from({ length: fanout }, (_, j) => JSON.stringify({ bench_key: `ceiling${fanout}-${i}-${j}` }));
        await b.client.workflow.start(fanout === 1 ? 'ceilingOne' : 'ceilingFive', {
          taskQueue: 'bench-ceiling',
          workflowId: `ceiling${fanout}-${i}`,
          args: fanout === 1 ? [receiver.url, bodies[0]] : [receiver.url, bodies],
        });
      });
      await eventually(async () => receiver.arrivals.size - before >= n, 600_000, `ceiling × ${fanout} deliveries`);
      // The ceilings' worker runs inside the bench process: its CPU shows under `bench`.
      b.results[`temporal_ceiling_x${fanout}`] = {
        workflows,
        deliveries: n,
        deliveries_per_s: round(n / ((performance.now() - t0) / 1000)),
        cpu_ms_per_delivery: cpuPer(cpu0, b.cpu(), n),
      };
      b.log(`ceiling × ${fanout}: ${JSON.stringify(b.results[`temporal_ceiling_x${fanout}`])}`);
    }
  });
  await connection.close();
  await receiver.close();
}
