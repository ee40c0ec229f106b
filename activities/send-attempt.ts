import { Context } from '@temporalio/activity';
import { sendRequest, type AttemptRequest } from '../libs/delivery/attempt';
import type { ActivityDeps } from './deps';
import type { AttemptOutcome } from './types';

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
