import type { Bench } from './context';
import { round } from './stats';

/** The stack's processes whose leftover work would be billed to the next phase. */
const SETTLE_COMPONENTS = ['temporal', 'postgres', 'worker', 'api'] as const;
/**
 * CPU of those processes together, ms per second of wall time, below which the stack is idle: a
 * tenth of a core. Busy, they burn 1,000–2,000 ms/s (30–45 deliveries/s at ~40 ms each); idle,
 * the worker's polls and the dev server's own timers stay far below.
 */
export const IDLE_CPU_MS_PER_S = 100;
/** Consecutive idle windows of one second that make the stack settled. */
const IDLE_WINDOWS = 2;
const WINDOW_MS = 1000;
const SETTLE_BUDGET_MS = 90_000;
/** The workflows a bench phase starts: Herald's and the ceilings'. The hourly purge schedules' are not a phase's. */
const PHASE_WORKFLOWS = `ExecutionStatus = "Running" AND WorkflowType IN ("eventWorkflow", "deliveryWorkflow", "ceilingOne", "ceilingFive")`;

/** Whether the last `IDLE_WINDOWS` CPU windows (ms/s, the components summed) were all idle. */
export function idleEnough(windows: number[], threshold = IDLE_CPU_MS_PER_S, needed = IDLE_WINDOWS): boolean {
  return windows.length >= needed && windows.slice(-needed).every((w) => w <= threshold);
}

/**
 * Waits until the previous phase's work is done before a measured phase starts: no workflow of a
 * phase still running (Temporal's visibility), then the CPU of Temporal, Postgres, the worker and
 * the API back to idle for two seconds in a row. A phase ends when its last request arrives,
 * before its workflows record and complete: without this pause the next phase pays for that tail
 * (the ceiling's CPU per delivery swung 17–33 ms between runs of the same code,
 * bench/results/2026-12-03-lean-2.md). Logs what it waited for; its figures go with the phase's.
 */
export async function settle(b: Bench, before: string): Promise<Record<string, number>> {
  const t0 = performance.now();
  const deadline = t0 + SETTLE_BUDGET_MS;
  let running = await b.client.workflow.count(PHASE_WORKFLOWS).then((c) => c.count);
  const runningAtStart = running;
  while (running > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    running = (await b.client.workflow.count(PHASE_WORKFLOWS)).count;
  }
  const windows: number[] = [];
  const sum = (): number => {
    const cpu = b.cpu();
    return SETTLE_COMPONENTS.reduce((s, k) => s + (cpu[k] ?? 0), 0);
  };
  let last = sum();
  let lastAt = performance.now();
  while (!idleEnough(windows) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const [now, at] = [sum(), performance.now()];
    windows.push(round(((now - last) * 1000) / (at - lastAt)));
    [last, lastAt] = [now, at];
  }
  const settled = running === 0 && idleEnough(windows);
  const figures = {
    waited_s: round((performance.now() - t0) / 1000),
    running_at_start: runningAtStart,
    cpu_ms_per_s_last: windows[windows.length - 1] ?? NaN,
    settled: settled ? 1 : 0,
  };
  b.log(
    `settle before ${before}: ${settled ? 'idle' : 'NOT idle within the budget'} after ${figures.waited_s} s ` +
      `(${runningAtStart} phase workflows running at first, ${running} at the end; CPU of ${SETTLE_COMPONENTS.join('+')} ms/s per window: ${windows.join(', ')})`,
  );
  return figures;
}
