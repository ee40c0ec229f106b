import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { sendRequest, type SealedAttemptRequest } from '../libs/delivery/attempt';
import { THROTTLE_IN_PROCESS_MS, THROTTLE_LATE_MS } from '../libs/domain/throttle';
import type { ActivityDeps } from './deps';
import type { SendSlot } from '../libs/db/repositories';
import type { AttemptOutcome, ThrottledSend, ThrottledSendInput } from './types';

/** A slot read back within this round trip is located to within half of it; a slower read is asked again (three tries at most). */
const SLOT_READ_MAX_RTT_MS = 10;

/**
 * Stage 2: the HTTP call and nothing else. Every result, good or bad, is returned as data; the
 * call is aborted when Temporal cancels the activity.
 */
export function sendAttempt({ sender, secretBox, clock, tracer }: ActivityDeps) {
  return async ({ url, sealedRequest }: { url: string; sealedRequest: string }): Promise<AttemptOutcome> => {
    const { refs, ...request } = JSON.parse(secretBox.open(sealedRequest)) as SealedAttemptRequest;
    return sendRequest(sender, url, request, { clock, signal: Context.current().cancellationSignal, trace: tracer && { tracer, refs } });
  };
}

/**
 * Stage 2 for a throttled subscription: the request goes out in a send slot of its own
 * (SendSlotRepository). A slot within THROTTLE_IN_PROCESS_MS is waited for here; one further off
 * is handed back, and the workflow sleeps on a timer instead of holding this worker's slot. A
 * slot handed back earlier is used when its call comes in time, else given up for a new one.
 */
export function sendAttemptInSlot(deps: ActivityDeps) {
  const send = sendAttempt(deps);
  const { sendSlots } = deps;
  /** When (this process's monotonic clock) the slot comes, read so that a slow answer from Postgres does not shift it. */
  const locate = async (query: () => Promise<SendSlot>): Promise<SendSlot & { due: number }> => {
    for (let tries = 1; ; tries++) {
      const asked = performance.now();
      const slot = await query();
      const answered = performance.now();
      // The wait was measured somewhere between asking and the answer: precise when the round trip is short.
      if (answered - asked <= SLOT_READ_MAX_RTT_MS || tries >= 3) return { ...slot, due: (asked + answered) / 2 + slot.waitMs };
      query = async () => ({ at: slot.at, waitMs: await sendSlots.waitFor(slot.at) });
    }
  };
  return async (input: ThrottledSendInput): Promise<AttemptOutcome | ThrottledSend> => {
    const { cancellationSignal } = Context.current();
    const given = input.slot;
    let slot = given === undefined ? undefined : await locate(async () => ({ at: given, waitMs: await sendSlots.waitFor(given) }));
    for (;;) {
      if (!slot || performance.now() - slot.due > THROTTLE_LATE_MS) slot = await locate(() => sendSlots.reserve(input.subscriptionId, input.perSecond));
      const waitMs = slot.due - performance.now();
      if (waitMs > THROTTLE_IN_PROCESS_MS) return { throttled: true, slot: slot.at, waitMs };
      if (waitMs > 0) await sleep(waitMs, undefined, { signal: cancellationSignal });
      // A busy process wakes late; sent now, this request would crowd the next slot's: it takes a new one.
      if (performance.now() - slot.due <= THROTTLE_LATE_MS) return send({ url: input.url, sealedRequest: input.sealedRequest });
    }
  };
}
