/**
 * Temporal's task-queue fairness (docs/architecture.md, *Fairness*): the server settings that
 * turn it on, in one place for the dev server, docker-compose and a self-hosted cluster's
 * dynamic config. Pure: no imports.
 *
 * Herald's starts always carry `priority: { fairnessKey: <tenantId>, fairnessWeight: <weight> }`;
 * a server without these settings ignores them and hands out tasks first come, first served
 * (still correct, only not fair). Temporal Cloud has no dynamic config: fairness is switched on in
 * the namespace's settings.
 */
export const FAIRNESS_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number>> = {
  // The matcher that knows priority and fairness.
  'matching.useNewMatcher': true,
  // Round-robin over fairness keys, by weight, within each task-queue partition.
  'matching.enableFairness': true,
  // Tasks queued before fairness was switched on are still handed out (drained first), never stranded.
  'matching.enableMigration': true,
};

/**
 * Partitions of a task queue on the dev server. Fairness is kept per partition, and a task goes
 * to a random one, so with several partitions a quiet tenant's task can sit behind a burst's in
 * its partition while another partition is free. One partition serves a single dev server's
 * load (bench/results/2026-12-02-fairness.md); a cluster sized for more keeps its default of 4.
 */
export const DEV_SERVER_TASK_QUEUE_PARTITIONS = 1;

/** `--dynamic-config-value KEY=JSON` arguments of `temporal server start-dev`. */
export function devServerDynamicConfig(partitions = DEV_SERVER_TASK_QUEUE_PARTITIONS): string[] {
  const values: Record<string, boolean | number> = {
    ...FAIRNESS_DYNAMIC_CONFIG,
    'matching.numTaskqueueReadPartitions': partitions,
    'matching.numTaskqueueWritePartitions': partitions,
  };
  return Object.entries(values).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}
