import type { LocalActivityOptions } from '@temporalio/workflow';

/**
 * Options for the local activities that only touch Postgres (match, prepare, record, cancel).
 *
 * They run inside the workflow task that needs them: a marker in the history instead of a
 * task-queue round trip (bench/results: 40 → 25 history events per delivered event). They are
 * retried until Postgres answers, so a fault never consumes a schedule slot and never loses an
 * attempt's outcome.
 *
 * A local activity holds a workflow-task slot while it runs and retries in the worker. Past
 * `localRetryThreshold` a retry waits on a workflow timer instead, which frees the slot: a
 * delivery that keeps failing (Postgres down, a secret sealed with a key no longer configured)
 * must not starve every other workflow of the worker.
 */
export const POSTGRES_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '2 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};
