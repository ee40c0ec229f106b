import { NativeConnection, Worker } from '@temporalio/worker';
import { eventually } from '../../test/support/engine';
import { CONCURRENCY, type Bench } from '../context';
import { cpuPer } from '../cpu';
import * as floorActivities from '../floor/floor.activities';
import { startBenchReceiver } from '../receiver';
import { pool, round } from '../stats';

/** The bare Temporal floor: one workflow per event, one activity POSTing, on the same dev server. */
export async function measureTemporalFloor(b: Bench): Promise<void> {
  const receiver = await startBenchReceiver(200);
  const connection = await NativeConnection.connect({ address: b.stack.temporal!.address });
  const floor = await Worker.create({
    connection,
    taskQueue: 'bench-floor',
    workflowsPath: require.resolve('../floor/floor.workflow'),
    activities: floorActivities,
    maxCachedWorkflows: 500,
  });
  const n = b.opts.quick ? b.opts.events : Math.floor(b.opts.events / 2);
  await floor.runUntil(async () => {
    const t0 = performance.now();
    const cpu0 = b.cpu();
    await pool(n, CONCURRENCY, async (i) => {
      await b.client.workflow.start('floorWebhook', {
        taskQueue: 'bench-floor',
        workflowId: `floor-${i}`,
        args: [receiver.url, JSON.stringify({ bench_key: `floor${i}` })],
      });
    });
    await eventually(async () => receiver.arrivals.size >= n, 600_000, 'floor deliveries');
    // The floor's worker runs inside the bench process: its CPU shows under `bench`.
    b.results.temporal_floor = { deliveries: n, deliveries_per_s: round(n / ((performance.now() - t0) / 1000)), cpu_ms_per_delivery: cpuPer(cpu0, b.cpu(), n) };
  });
  await connection.close();
  b.log(`floor: ${JSON.stringify(b.results.temporal_floor)}`);
  await receiver.close();
}
