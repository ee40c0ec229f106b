import { bundleWorkflowCode } from '@temporalio/worker';
import { loadWorkflowBundle } from '../../libs/temporal/workflow-bundle';
import type { Results } from '../context';
import { round } from '../stats';

const RUNS = 3;

/** Wall and CPU milliseconds of `work`, the median of RUNS runs. */
async function timed(work: () => Promise<unknown>): Promise<{ wall_ms: number; cpu_ms: number }> {
  const runs: { wall_ms: number; cpu_ms: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await work();
    const cpu = process.cpuUsage(cpu0);
    runs.push({ wall_ms: performance.now() - t0, cpu_ms: (cpu.user + cpu.system) / 1000 });
  }
  const median = (k: 'wall_ms' | 'cpu_ms'): number => round(runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(RUNS / 2)]);
  return { wall_ms: median('wall_ms'), cpu_ms: median('cpu_ms') };
}

/**
 * What a worker start spends on its workflow code: bundling from source with webpack (what every
 * start did before the prebuilt bundle, and every test process that started a worker) against
 * loading the prebuilt bundle and checking its stamp (libs/temporal/workflow-bundle.ts).
 */
export async function measureWorkerStart(results: Results): Promise<void> {
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;
  const fromSource = await timed(() => bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quiet }));
  const prebuilt = await timed(async () => loadWorkflowBundle());
  results.worker_start = {
    bundle_from_source: fromSource,
    load_prebuilt_and_check: prebuilt,
    cpu_saved_ms_per_start: round(fromSource.cpu_ms - prebuilt.cpu_ms),
    wall_saved_ms_per_start: round(fromSource.wall_ms - prebuilt.wall_ms),
  };
}
