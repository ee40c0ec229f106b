import { Subscription } from '../../libs/db/entities';
import { deliveryWorkflowId, eventWorkflowId } from '../../libs/temporal/names';
import { createEngineWorker, testSecretBox } from '../../test/support/engine';
import { seedEvent, seedSubscription } from '../../test/support/seed';
import { createTimeSkippingEnv } from '../../test/support/temporal';
import type { Bench } from '../context';
import { historyCost } from '../cost';
import { startBenchReceiver } from '../receiver';

/**
 * Cost of a fully dead-lettered delivery: the whole 81-minute schedule on the time-skipping
 * server, same workflow code and activities, a receiver that always answers 500. It starts as
 * production does, with the event workflow (first attempt inline, then the hand-over).
 */
export async function measureDeadLetterCost(b: Bench): Promise<void> {
  const failing = await startBenchReceiver(500);
  const env = await createTimeSkippingEnv();
  try {
    // Its own event type and disabled afterwards: the API's events must never match it (its
    // secret is sealed with the test key, which the bench's worker does not hold).
    const sub = await seedSubscription(b.ds, testSecretBox(), { url: failing.url, eventTypes: ['bench.dead_letter'] });
    const event = await seedEvent(b.ds, { type: 'bench.dead_letter' });
    const w = await createEngineWorker({ connection: env.nativeConnection, taskQueue: 'bench-dead-letter', dataSource: b.ds });
    const workflowId = deliveryWorkflowId(event.id, sub.id);
    await w.runUntil(async () => {
      await env.client.workflow.execute('eventWorkflow', {
        taskQueue: 'bench-dead-letter',
        workflowId: eventWorkflowId(event.id),
        args: [{ eventId: event.id, firstAttempts: 'fused' }],
      });
      await env.client.workflow
        .getHandle(workflowId)
        .result()
        .catch(() => undefined); // fails with DeliveryExhausted, as designed
    });
    const cost = await historyCost(env.client, [eventWorkflowId(event.id), workflowId]);
    b.results.cost_dead_letter = { attempts: failing.requests, history_events: cost.history_events, billable_actions: cost.billable_actions };
    b.log(`dead-letter cost: ${JSON.stringify(b.results.cost_dead_letter)}`);
    await b.ds.getRepository(Subscription).update({ id: sub.id }, { enabled: false });
  } finally {
    await env.teardown();
    await failing.close();
  }
}
