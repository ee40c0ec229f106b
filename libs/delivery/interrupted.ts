import type { AttemptOutcome } from './attempt';

/**
 * A try whose request may have gone out but whose answer is lost (its worker died, or the
 * activity failed mid-request): a failed attempt, never a reason to send again at once. Pure:
 * workflows use it too.
 */
export function interruptedOutcome(reason: string, at: Date): AttemptOutcome {
  const now = at.toISOString();
  return {
    ok: false,
    statusCode: null,
    errorKind: 'network',
    error: `attempt interrupted: ${reason}`,
    durationMs: 0,
    responseExcerpt: null,
    startedAt: now,
    finishedAt: now,
  };
}
