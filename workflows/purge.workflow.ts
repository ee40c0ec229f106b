import { proxyActivities } from '@temporalio/workflow';
import type { HeraldActivities } from '../activities/types';

const { purgeExpiredDeadLetters } = proxyActivities<HeraldActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5 },
});

/** Run hourly by a Temporal Schedule: deletes dead letters past their 7-day retention. */
export async function purgeDeadLettersWorkflow(): Promise<{ purged: number }> {
  return purgeExpiredDeadLetters();
}
