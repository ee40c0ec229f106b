import { ParentClosePolicy, proxyLocalActivities, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { HeraldActivities } from '../activities/types';
import { deliveryWorkflowId } from '../libs/temporal/names';
import { deliverySearchAttributes } from '../libs/temporal/search-attributes';
import { deliveryWorkflow } from './delivery.workflow';
import { POSTGRES_ACTIVITY } from './postgres-activity-options';

const { matchSubscriptions } = proxyLocalActivities<HeraldActivities>(POSTGRES_ACTIVITY);

export interface EventResult {
  deliveries: number;
}

/**
 * Fans one Event out to a delivery workflow per matching Subscription. Matching happens here,
 * not in the API request, so an accepted event never waits on subscription lookups. Children
 * are abandoned on close: a delivery lives on its own, whatever happens to this workflow.
 */
export async function eventWorkflow(input: { eventId: string }): Promise<EventResult> {
  const match = await matchSubscriptions({ eventId: input.eventId });
  await Promise.all(
    match.deliveries.map((d) =>
      startChild(deliveryWorkflow, {
        workflowId: deliveryWorkflowId(match.eventId, d.subscriptionId),
        args: [{ deliveryId: d.deliveryId, eventId: match.eventId, subscriptionId: d.subscriptionId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A delivery already started (this workflow replayed after a crash) is not started twice.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        memo: { url: d.url, eventType: match.eventType, deliveryId: d.deliveryId },
        typedSearchAttributes: deliverySearchAttributes(
          { eventId: match.eventId, tenantId: match.tenantId, eventType: match.eventType, subscriptionId: d.subscriptionId, templateId: match.templateId },
          { attempts: 0 },
        ),
      }),
    ),
  );
  return { deliveries: match.deliveries.length };
}
