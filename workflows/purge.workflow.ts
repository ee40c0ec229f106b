import { proxyActivities } from '@temporalio/workflow';
import type { HeraldActivities, HistoryPurged } from '../activities/types';

const { purgeExpiredDeadLetters, purgeExpiredHistory, rollupAttemptStats } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5 },
});

/** Run hourly by a Temporal Schedule: deletes dead letters past their 7-day retention. */
export async function purgeDeadLettersWorkflow(): Promise<{ purged: number }> {
  return purgeExpiredDeadLetters();
}

/** Rounds one run makes at most (each at most 50 batches of 1,000 rows); the next hour goes on. */
const MAX_ROUNDS = 100;

/**
 * Run hourly by the retention Schedule: deletes the delivery log past HERALD_RETENTION_DAYS, a
 * bounded round at a time, until nothing is left or the run's budget is spent.
 */
export async function purgeHistoryWorkflow(): Promise<Omit<HistoryPurged, 'more'> & { rounds: number }> {
  const total = { deliveries: 0, testAttempts: 0, events: 0, cutoff: '', rounds: 0 };
  for (let more = true; more && total.rounds < MAX_ROUNDS; total.rounds++) {
    const round = await purgeExpiredHistory();
    total.deliveries += round.deliveries;
    total.testAttempts += round.testAttempts;
    total.events += round.events;
    total.cutoff = round.cutoff;
    more = round.more;
  }
  return total;
}

/** Steps one run makes at most (a day of hours each): a month of history rolls up in one run. */
const MAX_ROLLUP_STEPS = 40;

/**
 * Run hourly by the stats Schedule: rolls the attempts of the hours that ended into
 * attempt_stats_hourly, the latency histograms the stats of windows longer than a day read.
 */
export async function rollupStatsWorkflow(): Promise<{ steps: number; rows: number; until: string }> {
  const total = { steps: 0, rows: 0, until: '' };
  for (let more = true; more && total.steps < MAX_ROLLUP_STEPS; total.steps++) {
    const step = await rollupAttemptStats();
    total.rows += step.rows;
    total.until = step.until;
    more = step.more;
  }
  return total;
}
