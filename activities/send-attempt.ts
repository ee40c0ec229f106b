import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { sendRequest, type AttemptRequest } from '../libs/delivery/attempt';
import { THROTTLE_IN_PROCESS_MS, THROTTLE_LATE_MS } from '../libs/domain/throttle';
import type { ActivityDeps } from './deps';
import type { AttemptOutcome, ThrottledSend, ThrottledSendInput } from './types';

/**
 * Stage 2: the HTTP call and nothing else. Every result, good or bad, is returned as data; the
 * call is aborted when Temporal cancels the activity.
 */
export function sendAttempt({ sender, secretBox, clock }: ActivityDeps) {
  return async ({ url, sealedRequest }: { url: string; sealedRequest: string }): Promise<AttemptOutcome> => {
    const request = JSON.parse(secretBox.open(sealedRequest)) as AttemptRequest;
    return sendRequest(sender, url, request, { clock, signal: Context.current().cancellationSignal });
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
  return async (input: ThrottledSendInput): Promise<AttemptOutcome | ThrottledSend> => {
    const { sendSlots } = deps;
    let slot = input.slot === undefined ? undefined : { at: input.slot, waitMs: await sendSlots.waitFor(input.slot) };
    if (!slot || slot.waitMs < -THROTTLE_LATE_MS) slot = await sendSlots.reserve(input.subscriptionId, input.perSecond);
    if (slot.waitMs > THROTTLE_IN_PROCESS_MS) return { throttled: true, slot: slot.at, waitMs: slot.waitMs };
    if (slot.waitMs > 0) await sleep(slot.waitMs, undefined, { signal: Context.current().cancellationSignal });
    return send({ url: input.url, sealedRequest: input.sealedRequest });
  };
}
