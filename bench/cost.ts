import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const T = temporal.api.enums.v1.EventType;

/**
 * History events and billable actions of the given workflows, counted the way Temporal Cloud
 * bills: workflow start 1, child start 2, activity 1, timer 1, signal 1, search-attribute
 * upsert 1, local activities within one workflow task 1.
 */
export async function historyCost(client: Client, workflowIds: string[]): Promise<{ history_events: number; billable_actions: number }> {
  let events = 0;
  let actions = 0;
  for (const id of workflowIds) {
    const history = await client.workflow
      .getHandle(id)
      .fetchHistory()
      .catch((err: Error) => {
        // A delivery the event workflow completed itself has no workflow of its own: it costs nothing more.
        if (err.name === 'WorkflowNotFoundError') return { events: [] };
        throw err;
      });
    let markersInTask = false;
    for (const e of history.events ?? []) {
      events++;
      switch (e.eventType) {
        case T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
          // A child's start is billed on the parent side (2 actions).
          if (!e.workflowExecutionStartedEventAttributes?.parentWorkflowExecution) actions += 1;
          break;
        case T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
          actions += 2;
          break;
        case T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
          actions += 1;
          break;
        case T.EVENT_TYPE_TIMER_STARTED:
          actions += 1;
          break;
        case T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
          actions += 1;
          break;
        case T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
          actions += 1;
          break;
        case T.EVENT_TYPE_MARKER_RECORDED:
          if (!markersInTask) {
            actions += 1;
            markersInTask = true;
          }
          break;
        case T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
          markersInTask = false;
          break;
        default:
          break;
      }
    }
  }
  return { history_events: events, billable_actions: actions };
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/**
 * Where an idle delivery's time goes, from its event workflow's history (the first attempt is
 * made there, as local activities): server timestamps of each step, in ms after the API's 202
 * (since the outbox the workflow starts after it; same host clock as the server's timestamps).
 */
export async function latencyBreakdown(
  client: Client,
  eventWorkflowId: string,
  clientTimes: { accepted: number; arrived: number },
): Promise<Record<string, number>> {
  const event = (await client.workflow.getHandle(eventWorkflowId).fetchHistory()).events ?? [];
  const at = (type: number): number => ms(event.find((e) => e.eventType === type)?.eventTime);
  const t0 = clientTimes.accepted;
  return {
    event_workflow_started: at(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) - t0,
    event_task_scheduled: at(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) - t0,
    event_task_started: at(T.EVENT_TYPE_WORKFLOW_TASK_STARTED) - t0,
    receiver_arrival: clientTimes.arrived - t0,
    event_task_completed_attempt_recorded: at(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) - t0,
  };
}
