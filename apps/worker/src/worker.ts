import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../../activities';
import { workflowRuntime, type Config } from '../../../libs/config/config';
import { createStores } from '../../../libs/db/repositories';
import { createHttpSender } from '../../../libs/delivery/http-sender';
import { createSecretBox } from '../../../libs/delivery/secret-box';
import { createTargetPolicy } from '../../../libs/delivery/ssrf';
import type { WorkerMetrics } from '../../../libs/observability/metrics';
import { PURGE_SCHEDULE_ID, RETENTION_SCHEDULE_ID, STATS_ROLLUP_SCHEDULE_ID } from '../../../libs/temporal/names';
import { purgeDeadLettersWorkflow, purgeHistoryWorkflow, rollupStatsWorkflow } from '../../../workflows/purge.workflow';
import { HERALD_VERSION } from '../../../libs/version';
import { NO_TRACING, type Tracing } from '../../../libs/observability/tracing';
import { tracingWorkerOptions } from '../../../libs/temporal/tracing';
import { loadWorkflowBundle } from '../../../libs/temporal/workflow-bundle';

export interface HeraldWorker {
  worker: Worker;
  /** Resolves when the worker has stopped; rejects if it crashed. */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function createHeraldWorker(opts: {
  config: Config;
  connection: NativeConnection;
  dataSource: DataSource;
  /** Overrides for tests (e.g. a short HTTP timeout). */
  sender?: Parameters<typeof createActivities>[0]['sender'];
  /** Attempts and delivery outcomes are counted here when given. */
  metrics?: WorkerMetrics;
  /** After a commit that raised operational events (main.ts wakes a dispatcher with it). */
  onOperationalEvents?: () => void;
  /** Workflow, activity and attempt spans go here (NO_TRACING: none). */
  tracing?: Tracing;
}): Promise<HeraldWorker> {
  const { config, connection, dataSource } = opts;
  // The bundle built at build time, checked against the compiled workflow sources first: a stale
  // or missing one stops the start with a StaleWorkflowBundle naming the files (no webpack here).
  const { code } = loadWorkflowBundle(config.worker.workflowBundle);
  const sender =
    opts.sender ??
    createHttpSender({
      policy: createTargetPolicy({ allowedTargets: config.delivery.allowedTargets, allowHttp: config.delivery.allowHttp }),
      egressProxy: config.delivery.egressProxy,
    });
  const { metrics } = opts;
  const tracing = opts.tracing ?? NO_TRACING;
  const traced = tracingWorkerOptions(tracing);
  const activities = createActivities({
    ...createStores(dataSource),
    sender,
    secretBox: createSecretBox(config.secretKeys),
    version: HERALD_VERSION,
    retention: { days: config.retention.days },
    health: config.health,
    onOperationalEvents: opts.onOperationalEvents,
    onAttemptRecorded: metrics && ((e) => metrics.attemptRecorded(e)),
    onDeliveryFinished: metrics && ((outcome) => metrics.deliveryFinished(outcome)),
    tracer: tracing.enabled ? tracing.tracer : undefined,
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities,
    // The bundle holds the tracing interceptors (libs/temporal/workflow-bundle.ts); the sink takes their spans.
    workflowBundle: { code },
    interceptors: traced.interceptors,
    sinks: traced.sinks,
    // Waiting deliveries are evicted and replayed when their timer fires (sizes: libs/config/config.ts).
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    // Always set: the SDK's default (40 slots) ignores the cache size, and a cache-full eviction of a run mid-task stalls the worker (workflowTaskSlots).
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    // Workflow code on the main thread, the sandbox's 5 s limit kept (libs/config/config.ts).
    // isolateExecutionTimeout is read by the SDK but not in its WorkerOptions type.
    ...(workflowRuntime(config.worker.workflowThread) as object),
  });
  let running: Promise<void> | undefined;
  return {
    worker,
    run() {
      running ??= worker.run().finally(() => (opts.sender ? undefined : sender.close()));
      return running;
    },
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** Creates the hourly dead-letter purge Schedule unless it exists. */
export async function ensurePurgeSchedule(client: Client, taskQueue: string, scheduleId = PURGE_SCHEDULE_ID): Promise<void> {
  await ensureHourlySchedule(client, scheduleId, purgeDeadLettersWorkflow, taskQueue);
}

/**
 * Creates the hourly retention Schedule unless it exists. The window is the worker's
 * HERALD_RETENTION_DAYS, read when the purge runs, so changing it needs no new Schedule.
 */
export async function ensureRetentionSchedule(client: Client, taskQueue: string, scheduleId = RETENTION_SCHEDULE_ID): Promise<void> {
  await ensureHourlySchedule(client, scheduleId, purgeHistoryWorkflow, taskQueue);
}

/** Creates the hourly stats rollup Schedule (the latency histograms of long stats windows) unless it exists. */
export async function ensureStatsRollupSchedule(client: Client, taskQueue: string, scheduleId = STATS_ROLLUP_SCHEDULE_ID): Promise<void> {
  await ensureHourlySchedule(client, scheduleId, rollupStatsWorkflow, taskQueue);
}

async function ensureHourlySchedule(
  client: Client,
  scheduleId: string,
  workflowType: typeof purgeDeadLettersWorkflow | typeof purgeHistoryWorkflow | typeof rollupStatsWorkflow,
  taskQueue: string,
): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 hour' }] },
      action: { type: 'startWorkflow', workflowType, taskQueue, args: [] },
      // A run still going when the next is due: the next is skipped, never run beside it.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
  }
}
