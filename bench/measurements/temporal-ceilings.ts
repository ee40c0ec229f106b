import { NativeConnection, Worker } from '@temporalio/worker';
import { eventually } from '../../test/support/engine';
import { CONCURRENCY, type Bench } from '../context';
import { cpuPer } from '../cpu';
import * as floorActivities from '../floor/floor.activities';
import { startBenchReceiver } from '../receiver';
import { settle } from '../settle';
import { pool, round } from '../stats';

/** A reference phase shorter than this is run again with more workflows. */
const MIN_PHASE_S = 10;

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
  // × 1 as the floor (half the events); × 5 from 1.5 × the events' deliveries, as the ceiling
  // delivers 150–380/s there: 1,200 deliveries lasted 3–8 s, too short to read (lean-2).
  const sized = { 1: b.opts.quick ? b.opts.events : Math.floor(b.opts.events / 2), 5: b.opts.quick ? b.opts.events : Math.floor(b.opts.events * 1.5) };
  let run = 0;
  const phase = async (fanout: 1 | 5, workflows: number): Promise<Record<string, unknown>> => {
    const settled = await settle(b, `ceiling × ${fanout}`);
    const n = workflows * fanout;
    const before = receiver.arrivals.size;
    const t0 = performance.now();
    const cpu0 = b.cpu();
    const tag = run++;
    await pool(workflows, CONCURRENCY, async (i) => {
      const bodies = Array.from({ length: fanout }, (_, j) => JSON.stringify({ bench_key: `ceiling${fanout}-${tag}-${i}-${j}` }));
      await b.client.workflow.start(fanout === 1 ? 'ceilingOne' : 'ceilingFive', {
        taskQueue: 'bench-ceiling',
        workflowId: `ceiling${fanout}-${tag}-${i}`,
        args: fanout === 1 ? [receiver.url, bodies[0]] : [receiver.url, bodies],
      });
    });
    await eventually(async () => receiver.arrivals.size - before >= n, 600_000, `ceiling × ${fanout} deliveries`);
    const seconds = (performance.now() - t0) / 1000;
    // The ceilings' worker runs inside the bench process: its CPU shows under `bench`.
    return {
      workflows,
      deliveries: n,
      seconds: round(seconds),
      deliveries_per_s: round(n / seconds),
      cpu_ms_per_delivery: cpuPer(cpu0, b.cpu(), n),
      settle: settled,
    };
  };
  await worker.runUntil(async () => {
    for (const fanout of [1, 5] as const) {
      let result = await phase(fanout, Math.floor(sized[fanout] / fanout));
      // Too short to read (start-up and tail weigh in): once more, with enough workflows for
      // 1.25 × the minimum at the rate just measured (more workflows, not a longer timer).
      if (!b.opts.quick && (result.seconds as number) < MIN_PHASE_S) {
        const workflows = Math.ceil(((result.deliveries_per_s as number) * MIN_PHASE_S * 1.25) / fanout);
        b.log(`ceiling × ${fanout}: ${result.seconds} s < ${MIN_PHASE_S} s; again with ${workflows} workflows`);
        result = { ...(await phase(fanout, workflows)), short_run: { seconds: result.seconds, deliveries_per_s: result.deliveries_per_s } };
      }
      b.results[`temporal_ceiling_x${fanout}`] = result;
      b.log(`ceiling × ${fanout}: ${JSON.stringify(result)}`);
    }
  });
  await connection.close();
  await receiver.close();
}
