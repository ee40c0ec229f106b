import { buildBody } from '../libs/delivery/payload';
import { DeadLetter, Delivery, Event, Subscription } from '../libs/db/entities';
import { newId } from '../libs/domain/ids';
import { DEAD_LETTER_RETENTION_MS } from '../libs/domain/retry-schedule';
import type { ActivityDeps } from './deps';
import type { RecordAttemptInput, RecordedAttempt } from './types';

const EXCERPT_LIMIT = 4 * 1024;

/**
 * Stage 3: write the Attempt row and bring the Delivery row (and its DeadLetter) up to date, in
 * one transaction. Temporal retries it until Postgres answers; a repeat after a lost commit
 * acknowledgement is a no-op thanks to the unique (delivery_id, number) index.
 */
export function recordAttempt({ dataSource, clock = () => new Date(), onAttemptRecorded, onDeliveryFinished }: ActivityDeps) {
  return async (input: RecordAttemptInput): Promise<RecordedAttempt> => {
    const { outcome } = input;
    const finishedAt = new Date(outcome.finishedAt);
    const nextAttemptAt = input.nextDelayMs === null ? null : new Date(finishedAt.getTime() + input.nextDelayMs);
    let newlyInserted = false;
    const recorded = await dataSource.transaction(async (tx) => {
      const delivery = await tx.getRepository(Delivery).findOne({ where: { id: input.deliveryId }, lock: { mode: 'pessimistic_write' } });
      if (!delivery) return { attemptId: '', nextAttemptAt: null }; // deleted with its subscription meanwhile

      const attemptId = newId('attempt');
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, error_kind, error_message,
                               response_excerpt, duration_ms, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (delivery_id, number) WHERE delivery_id IS NOT NULL DO NOTHING
         RETURNING id`,
        [attemptId, input.deliveryId, input.subscriptionId, input.attemptNumber, input.trigger, input.url, outcome.ok, outcome.statusCode,
          outcome.errorKind, outcome.error, outcome.responseExcerpt?.slice(0, EXCERPT_LIMIT) ?? null, Math.round(outcome.durationMs),
          outcome.startedAt, outcome.finishedAt],
      );
      newlyInserted = inserted.length > 0;
      const id = inserted[0]?.id ?? (await tx.query(`SELECT id FROM attempts WHERE delivery_id = $1 AND number = $2`, [input.deliveryId, input.attemptNumber]))[0].id;

      const now = clock();
      const final = input.status !== 'retrying';
      await tx.getRepository(Delivery).update(
        { id: input.deliveryId },
        {
          status: input.status,
          attemptCount: Math.max(delivery.attemptCount, input.attemptNumber),
          nextAttemptAt,
          lastStatusCode: outcome.statusCode,
          lastError: outcome.ok ? null : outcome.error,
          updatedAt: now,
          completedAt: final ? now : null,
        },
      );

      if (input.status === 'succeeded') {
        await tx.getRepository(DeadLetter).delete({ deliveryId: input.deliveryId });
      } else if (input.status === 'dead_lettered') {
        await upsertDeadLetter(tx, input, delivery, now, await payloadSnapshot(tx, input));
      }
      return { attemptId: id, nextAttemptAt: nextAttemptAt?.toISOString() ?? null };
    });
    // Only a row this call inserted is counted: a retry after a lost commit acknowledgement is not a second attempt.
    if (newlyInserted) {
      onAttemptRecorded?.({ trigger: input.trigger, status: input.status, ok: outcome.ok, statusCode: outcome.statusCode, errorKind: outcome.errorKind, durationMs: outcome.durationMs });
      if (input.status !== 'retrying') onDeliveryFinished?.(input.status);
    }
    return recorded;
  };
}

async function payloadSnapshot(tx: import('typeorm').EntityManager, input: RecordAttemptInput): Promise<Record<string, unknown>> {
  const [event, subscription] = await Promise.all([
    tx.getRepository(Event).findOneByOrFail({ id: input.eventId }),
    tx.getRepository(Subscription).findOneByOrFail({ id: input.subscriptionId }),
  ]);
  return JSON.parse(buildBody(subscription.payloadFormat, event, subscription.userDefined)) as Record<string, unknown>;
}

/** One DeadLetter per delivery: a manual retry that fails again updates it and restarts its retention. */
async function upsertDeadLetter(
  tx: import('typeorm').EntityManager,
  input: RecordAttemptInput,
  delivery: Delivery,
  now: Date,
  payload: Record<string, unknown>,
): Promise<void> {
  await tx.query(
    `INSERT INTO dead_letters (id, delivery_id, subscription_id, event_id, event_type, reason, last_status_code, attempt_count, payload, created_at, updated_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)
     ON CONFLICT (delivery_id) DO UPDATE SET reason = excluded.reason, last_status_code = excluded.last_status_code,
       attempt_count = excluded.attempt_count, payload = excluded.payload, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
    [newId('deadLetter'), input.deliveryId, input.subscriptionId, input.eventId, delivery.eventType,
      input.outcome.error ?? `HTTP ${input.outcome.statusCode}`, input.outcome.statusCode,
      Math.max(delivery.attemptCount, input.attemptNumber), JSON.stringify(payload), now, new Date(now.getTime() + DEAD_LETTER_RETENTION_MS)],
  );
}
