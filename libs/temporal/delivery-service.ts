import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy, type Priority } from '@temporalio/common';
import type { DeliveryInput, DeliveryState } from '../../workflows/delivery.workflow';
import { cancelSignal, deliveryWorkflow, resumeSignal, retryNowSignal, stateQuery } from '../../workflows/delivery.workflow';
import { eventWorkflow } from '../../workflows/event.workflow';
import { streamTurnSignal } from '../../workflows/sequencer';
import { isFinal, type DeliveryStatus } from '../domain/delivery-lifecycle';
import { deliveryWorkflowId, eventWorkflowId } from './names';
import { deliverySearchAttributes } from './search-attributes';
import { ROOT_CONTEXT, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { ATTR, type PendingTraces } from '../observability/tracing';

export interface DeliveryTarget {
  id: string;
  /** The status the delivery log shows; a final one means the workflow is done or finishing. */
  status?: DeliveryStatus;
  eventId: string;
  tenantId: string;
  subscriptionId: string;
  eventType: string;
  templateId: string | null;
}

export type RetryOutcome = 'signalled' | 'restarted';

/** A tenant as Temporal's task-queue fairness sees it: its key and its weight. */
export interface TenantShare {
  id: string;
  weight?: number;
}

/** The priority of a tenant's workflows: fairness key the tenant id, weight its weight. */
export function fairness(tenant: TenantShare): Priority {
  return { fairnessKey: tenant.id, ...(tenant.weight !== undefined && { fairnessWeight: tenant.weight }) };
}

/**
 * The client side of the delivery engine, used by the admin API and the CLI: starts event
 * workflows, retries, cancels and inspects delivery workflows. Everything here is idempotent.
 */
export class DeliveryService {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly uiUrl: string,
    private readonly namespace: string,
    /** Tracing on: an event's start continues its ingest request's trace (PendingTraces). */
    private readonly traces?: { tracer: Tracer; pending?: PendingTraces },
  ) {}

  /**
   * Starts the event's fan-out workflow; a second start for the same event is a no-op.
   * `timeoutMs` bounds the call, the client's own retries included (the dispatcher's deadline).
   * `tenant` makes its tasks take their turn on the task queue by tenant (docs/architecture.md,
   * *Fairness*): set at the start, inherited by its activities and delivery workflows.
   */
  async startEvent(eventId: string, opts: { timeoutMs?: number; tenant?: TenantShare } = {}): Promise<void> {
    const start = () =>
      this.client.workflow.start(eventWorkflow, {
        workflowId: eventWorkflowId(eventId),
        taskQueue: this.taskQueue,
        args: [{ eventId, firstAttempts: 'fused' }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        priority: opts.tenant && fairness(opts.tenant),
      });
    const dispatch = async (): Promise<void> => {
      try {
        await (opts.timeoutMs === undefined ? start() : this.client.withDeadline(Date.now() + opts.timeoutMs, start));
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    };
    if (!this.traces) return dispatch();
    // The dispatch span, child of the ingest span when this process accepted the event (else a
    // trace of its own): the client interceptor carries it into the event workflow's headers.
    const parent = this.traces.pending?.take(eventId) ?? ROOT_CONTEXT;
    return this.traces.tracer.startActiveSpan('dispatch', { attributes: { [ATTR.eventId]: eventId } }, parent, async (span) => {
      try {
        await dispatch();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /** Resolves when the Temporal server answers within `timeoutMs` (the client's retries included). */
  async ping(opts: { timeoutMs: number }): Promise<void> {
    await this.client.withDeadline(Date.now() + opts.timeoutMs, () => this.client.workflowService.getSystemInfo({}));
  }

  /**
   * A delivery still in its schedule gets the `retryNow` signal (its timer is cut short); a
   * finished one (succeeded, cancelled, dead-lettered) gets a new run of the same workflow id
   * with a single `manual` attempt.
   */
  async retry(delivery: DeliveryTarget): Promise<RetryOutcome> {
    const handle = this.client.workflow.getHandle(deliveryWorkflowId(delivery.eventId, delivery.subscriptionId));
    const finished = delivery.status !== undefined && isFinal(delivery.status);
    if (finished) {
      // Its outcome is recorded, so the run is closing: a signal now would be lost. Let it close.
      await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
    } else if (await this.isRunning(handle.workflowId)) {
      try {
        await handle.signal(retryNowSignal);
        return 'signalled';
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err; // finished in between: restart below
      }
    }
    const input: DeliveryInput = { deliveryId: delivery.id, eventId: delivery.eventId, subscriptionId: delivery.subscriptionId, trigger: 'manual' };
    await this.client.workflow.start(deliveryWorkflow, {
      workflowId: handle.workflowId,
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      memo: { eventType: delivery.eventType, deliveryId: delivery.id, trigger: 'manual' },
      // The tenant's turn on the task queue; its weight is the server's default (1) here, a manual retry being one workflow.
      priority: fairness({ id: delivery.tenantId }),
      typedSearchAttributes: deliverySearchAttributes(delivery),
    });
    return 'restarted';
  }

  /** Asks a running delivery to stop; false when it was not running. */
  async cancel(delivery: Pick<DeliveryTarget, 'eventId' | 'subscriptionId'>, reason: string): Promise<boolean> {
    const handle = this.client.workflow.getHandle(deliveryWorkflowId(delivery.eventId, delivery.subscriptionId));
    if (!(await this.isRunning(handle.workflowId))) return false;
    try {
      await handle.signal(cancelSignal, { reason });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Asks a workflow holding a `fifo` delivery that waits for its turn to look again now (it was
   * cancelled or deleted meanwhile); false when that workflow is not running.
   */
  async wakeInStream(workflowId: string, deliveryId: string): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(streamTurnSignal, { deliveryId });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Wakes a delivery waiting in `paused` (its subscription was resumed); false when it was not running. */
  async resume(delivery: Pick<DeliveryTarget, 'eventId' | 'subscriptionId'>): Promise<boolean> {
    const handle = this.client.workflow.getHandle(deliveryWorkflowId(delivery.eventId, delivery.subscriptionId));
    try {
      await handle.signal(resumeSignal);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** The workflow's live view (its `state` query), or null when it cannot be asked. */
  async state(delivery: Pick<DeliveryTarget, 'eventId' | 'subscriptionId'>): Promise<(DeliveryState & { workflowStatus: string }) | null> {
    const handle = this.client.workflow.getHandle(deliveryWorkflowId(delivery.eventId, delivery.subscriptionId));
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return null;
      const state = await handle.query(stateQuery);
      return { ...state, workflowStatus: description.status.name };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /**
   * Deep link to the workflow that holds the delivery in the Temporal web UI: the one its row
   * names (the event workflow for a first attempt made inline, else its delivery workflow).
   */
  uiLink(delivery: Pick<DeliveryTarget, 'eventId' | 'subscriptionId'> & { workflowId?: string }): string {
    const id = encodeURIComponent(delivery.workflowId ?? deliveryWorkflowId(delivery.eventId, delivery.subscriptionId));
    return `${this.uiUrl}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${id}`;
  }

  private async isRunning(workflowId: string): Promise<boolean> {
    try {
      return (await this.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}
