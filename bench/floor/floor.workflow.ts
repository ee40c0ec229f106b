import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './floor.activities';

const { post } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });

/** The bare Temporal floor: the smallest durable webhook — one workflow, one activity that POSTs. */
export async function floorWebhook(url: string, body: string): Promise<number> {
  return post(url, body);
}
