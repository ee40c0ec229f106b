/**
 * The sequencer of ordered delivery (docs/architecture.md, *Ordered delivery*): a `fifo`
 * delivery makes its first attempt only when its turn has come — every earlier delivery of its
 * stream (subscription × ordering key) has ended — and when it ends, it wakes its stream's new
 * head. The order and the turns are held in Postgres (libs/db/repositories/stream.repository.ts);
 * the wait is a durable condition on the `streamTurn` signal, with an hourly re-check.
 *
 * Workflow code: the waits and wake-ups are recorded in the history, so a worker that dies
 * loses neither a turn nor a wake-up.
 */
import {
  CancellationScope,
  CancelledFailure,
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  proxyLocalActivities,
  setHandler,
  TemporalFailure,
} from '@temporalio/workflow';
import type { HeraldActivities } from '../activities/types';
import { STREAM_RECHECK_MS } from '../libs/domain/ordering';
import type { DeliveryStatus } from '../libs/domain/types';
import { POSTGRES_ACTIVITY } from './postgres-activity-options';

/** Sent to the workflow holding a stream's new head (and on a cancel of a delivery waiting its turn): ask again now. */
export const streamTurnSignal = defineSignal<[{ deliveryId: string }]>('streamTurn');

const { streamTurn, releaseStreamTurn } = proxyLocalActivities<HeraldActivities>(POSTGRES_ACTIVITY);

/**
 * The waits for turns of one workflow's `fifo` deliveries (an event workflow may hold several,
 * one per `fifo` subscription it matched). Made once per run, so its `streamTurn` handler and
 * what it was woken for belong to that run (and to its replay after an eviction).
 */
export class StreamTurns {
  private readonly woken = new Set<string>();

  constructor() {
    setHandler(streamTurnSignal, ({ deliveryId }) => void this.woken.add(deliveryId));
  }

  /**
   * Runs `deliver` (the delivery's first attempt and what follows it in this workflow) once the
   * delivery's turn has come, and releases its stream when it ends here; a delivery `handed over`
   * to a delivery workflow is released by that workflow when it ends.
   */
  async deliverInTurn(deliveryId: string, deliver: () => Promise<DeliveryStatus | 'handed over'>): Promise<DeliveryStatus | 'handed over'> {
    const turn = await this.awaitTurn(deliveryId);
    const result = turn === 'cancelled' ? 'cancelled' : await deliver();
    if (result !== 'handed over') await releaseTurn(deliveryId);
    return result;
  }

  /** Waits until no earlier delivery of the stream is still to end; `cancelled` when this one was cancelled (or deleted) meanwhile. */
  private async awaitTurn(deliveryId: string): Promise<'turn' | 'cancelled'> {
    for (;;) {
      this.woken.delete(deliveryId);
      const answer = await streamTurn({ deliveryId });
      if (answer.kind === 'turn') return 'turn';
      if (answer.kind === 'cancelled') return 'cancelled';
      await condition(() => this.woken.has(deliveryId), STREAM_RECHECK_MS, { summary: `waiting for ${answer.headId}` });
    }
  }
}

/**
 * The delivery ended: its stream's new head may go. Its holder is woken by signal; a holder that
 * does not exist (yet) asks Postgres when it starts, after this release committed.
 */
export async function releaseTurn(deliveryId: string): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    const next = await releaseStreamTurn({ deliveryId });
    if (!next) return;
    try {
      await getExternalWorkflowHandle(next.workflowId).signal(streamTurnSignal, { deliveryId: next.deliveryId });
    } catch (err) {
      if (!(err instanceof TemporalFailure) || err instanceof CancelledFailure) throw err;
      // Not running: it has not started yet, or it finished; either way it asks for itself.
    }
  });
}
