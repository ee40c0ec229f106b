import { attemptLoaded } from './attempt-deliveries';
import type { ActivityDeps } from './deps';
import { matchEvent } from './match-subscriptions';
import type { FirstAttempts, MatchAndAttemptInput } from './types';

/**
 * An event's match and all of its first attempts as ONE local activity, so that a healthy event
 * costs its workflow what Temporal's ceiling costs: one marker and one activation after the start
 * (docs/architecture.md, *One read, one write per event*). The stages are matchSubscriptions'
 * and attemptDeliveries' own, in turn, with one statement fewer: the match's statement answers what
 * the attempts are built from (DeliveryRepository.insertMatchedForAttempts), so they read nothing:
 *
 * - the match fails (Postgres away): the activity fails and nothing was claimed or sent; the
 *   workflow matches again with matchSubscriptions, retried until Postgres answers;
 * - the attempts fail before their claims: the match stands and `attempts` says `failed`; the
 *   workflow hands every delivery over, as when attemptDeliveries fails (nothing was sent);
 * - the event matched a `fifo` subscription: `attempts` says `in turns` and nothing is sent here;
 *   each delivery waits for its turn in the workflow (workflows/sequencer.ts).
 *
 * A run again after its worker died matches nothing new and finds its claims: the guarantees are
 * attemptDeliveries'.
 */
export function matchAndAttempt(deps: ActivityDeps) {
  const match = matchEvent(deps);
  const attempt = attemptLoaded(deps);
  const clock = deps.clock ?? (() => new Date());
  return async ({ eventId, at }: MatchAndAttemptInput): Promise<FirstAttempts> => {
    const began = clock();
    const { match: matched, subjects } = await match(eventId, 'event', { forAttempts: true });
    if (matched.deliveries.some((d) => d.stream)) return { match: matched, attempts: 'in turns' };
    if (matched.deliveries.length === 0 || !subjects) return { match: matched, attempts: [] };
    try {
      const attempts = await attempt(
        { deliveries: matched.deliveries.map((d) => ({ deliveryId: d.deliveryId, eventId, subscriptionId: d.subscriptionId, attemptNumber: 1 })), at },
        subjects,
        began,
      );
      return { match: matched, attempts };
    } catch {
      // attemptDeliveries fails only before its claims: nothing was sent, no slot was used.
      return { match: matched, attempts: 'failed' };
    }
  };
}
