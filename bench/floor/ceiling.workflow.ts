import { proxyLocalActivities } from '@temporalio/workflow';
import type * as activities from './floor.activities';

// Local activities: the POST runs inside the workflow task that schedules it (a marker in the
// history instead of an activity task's round trip through the server).
const { post } = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });

/** The ceiling at one subscription: a durable webhook whose only step is one local-activity POST. */
export async function ceilingOne(url: string, body: string): Promise<number> {
  return post(url, body);
}

/** The ceiling at five subscriptions: one workflow, five local-activity POSTs in the same workflow task. */
export async function ceilingFive(url: string, bodies: string[]): Promise<number[]> {
  return Promise.all(bodies.map((body) => post(url, body)));
}
