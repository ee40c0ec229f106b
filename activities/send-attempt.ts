import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { AttemptOutcome } from './types';

/**
 * Stage 2: the HTTP call and nothing else. Every result, good or bad, is returned as data; the
 * call is aborted when Temporal cancels the activity.
 */
export function sendAttempt({ sender, secretBox, clock = () => new Date() }: ActivityDeps) {
  return async ({ url, sealedRequest }: { url: string; sealedRequest: string }): Promise<AttemptOutcome> => {
    const { headers, body } = JSON.parse(secretBox.open(sealedRequest)) as { headers: Record<string, string>; body: string };
    const startedAt = clock();
    const outcome = await sender.send({ url, headers, body }, Context.current().cancellationSignal);
    return { ...outcome, startedAt: startedAt.toISOString(), finishedAt: new Date(startedAt.getTime() + outcome.durationMs).toISOString() };
  };
}
