import { after, before } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { NativeConnection } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import { workflowRuntime } from '../../libs/config/config';
import { createStores } from '../../libs/db/repositories';
import { createHttpSender, type HttpSender } from '../../libs/delivery/http-sender';
import { createSecretBox, type SecretBox } from '../../libs/delivery/secret-box';
import { createTargetPolicy } from '../../libs/delivery/ssrf';
import type { Tracing } from '../../libs/observability/tracing';
import { tracingWorkerOptions } from '../../libs/temporal/tracing';
import { loadWorkflowBundle } from '../../libs/temporal/workflow-bundle';
import { TEST_SECRET_KEY } from './config';
import { createTestDatabase, type TestDatabase } from './database';
import { createTimeSkippingEnv } from './temporal';

export const testSecretBox = (): SecretBox => createSecretBox({ current: Buffer.from(TEST_SECRET_KEY, 'base64') });

let bundle: WorkflowBundle | undefined;
/**
 * The real workflow code: the prebuilt bundle the worker runs (dist/workflow-bundle.js, built by
 * bootstrap), checked against the compiled workflows, so no test process runs webpack.
 */
export async function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= { code: loadWorkflowBundle().code };
  return bundle;
}

export function loopbackSender(opts: { allowedTargets?: string[]; timeoutMs?: number } = {}): HttpSender {
  return createHttpSender({
    policy: createTargetPolicy({ allowedTargets: opts.allowedTargets ?? ['127.0.0.1', 'localhost'], allowHttp: true }),
    timeoutMs: opts.timeoutMs,
  });
}

/** A Herald worker with the real activities against `dataSource`. */
export async function createEngineWorker(opts: {
  connection: NativeConnection;
  taskQueue: string;
  dataSource: DataSource;
  sender?: HttpSender;
  namespace?: string;
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Endpoint health: the auto-disable window, and what to do after a commit that raised operational events. */
  health?: { autoDisableAfterMs: number };
  onOperationalEvents?: () => void;
  /** Tracing on: the activity interceptor and the workflow span sink, as the real worker with tracing on. */
  tracing?: Tracing;
}): Promise<Worker> {
  return Worker.create({
    ...(opts.tracing ? tracingWorkerOptions(opts.tracing) : {}),
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    maxCachedWorkflows: opts.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentWorkflowTaskExecutions,
    // Where the real worker runs workflow code by default: a thread of its own (libs/config/config.ts).
    ...(workflowRuntime(true) as object),
    activities: createActivities({
      ...createStores(opts.dataSource),
      sender: opts.sender ?? loopbackSender(),
      secretBox: testSecretBox(),
      version: 'test',
      health: opts.health,
      onOperationalEvents: opts.onOperationalEvents,
      tracer: opts.tracing?.tracer,
    }),
  });
}

/** What a describe block runs its workflows on: the time-skipping server, a database, a running engine worker. */
export interface TimeSkippingEngine {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  worker: Worker;
}

/**
 * Registers the describe block's before/after hooks: a time-skipping server and a fresh database
 * (started side by side), an engine worker on `taskQueue` running until the block ends. The
 * returned object's fields are set once `before` has run.
 */
export function useTimeSkippingEngine(taskQueue: string): TimeSkippingEngine {
  const engine = {} as TimeSkippingEngine;
  let running: Promise<void> | undefined;
  before(async () => {
    [engine.env, engine.db] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
    engine.worker = await createEngineWorker({ connection: engine.env.nativeConnection, taskQueue, dataSource: engine.db.dataSource });
    running = engine.worker.run();
  });
  after(async () => {
    engine.worker?.shutdown();
    await running;
    await engine.env?.teardown();
    await engine.db?.drop();
  });
  return engine;
}

/** Server (virtual, on the time-skipping server) times at which each HTTP send was scheduled. */
export async function sendTimes(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendAttempt').map((e) => tsToMs(e.eventTime!));
}

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
