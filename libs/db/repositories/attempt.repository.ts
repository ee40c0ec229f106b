import type { EntityManager } from 'typeorm';
import type { AttemptRow } from '../../delivery/attempt';
import type { AttemptStatus } from '../../domain/delivery-lifecycle';
import { deadLetteredEvent, OPERATIONAL_EVENT_TYPES as OPS, type OperationalEvent } from '../../domain/operational-events';
import { assessAttempt } from '../../domain/subscription-health';
import { Attempt, Event, Subscription } from '../entities';
import { DeadLetterRepository } from './dead-letter.repository';
import { DeliveryRepository } from './delivery.repository';
import { EventRepository } from './event.repository';
import { SubscriptionRepository } from './subscription.repository';
import { windowFloor, type TenantScope } from './page';

/** One attempt of a delivery, and where it leaves the delivery. */
export interface DeliveryAttemptRecord {
  attempt: AttemptRow & { deliveryId: string };
  eventId: string;
  status: AttemptStatus;
  nextAttemptAt: Date | null;
  /** The body a dead letter keeps, from the event and subscription as they are now. */
  deadLetterPayload(event: Event, subscription: Subscription): Record<string, unknown>;
  /**
   * Endpoint health (libs/domain/subscription-health.ts): when the attempt happened on the
   * failing clock (the delivery workflow's time), and the auto-disable window (0: never).
   */
  health: { at: Date; autoDisableAfterMs: number };
}

export interface RecordedAttemptRow {
  attemptId: string;
  /** False when the row existed already (a retried record after a lost commit acknowledgement). */
  inserted: boolean;
  /** Operational events this record committed (outbox rows waiting for a dispatcher). */
  operationalEvents: OperationalEvent['type'][];
}

export interface AttemptStats {
  attempts: number;
  durationMs: { p50: number | null; p95: number | null };
}

/** Queries on attempts. */
export class AttemptRepository {
  constructor(private readonly db: EntityManager) {}

  /** A delivery's attempts in order: its delivery log. */
  listForDelivery(deliveryId: string): Promise<Attempt[]> {
    return this.db.getRepository(Attempt).find({ where: { deliveryId }, order: { number: 'ASC', id: 'ASC' } });
  }

  /**
   * Every HTTP try (scheduled, manual and test) to a tenant's subscriptions started since
   * `since`: how many, and the median and 95th percentile of their durations (null when none).
   */
  async stats(filter: Required<TenantScope> & { since: Date }): Promise<AttemptStats> {
    const [row]: { attempts: number; p50: number | null; p95: number | null }[] = await this.db.query(
      `SELECT count(*)::int AS attempts,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY a.duration_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms) AS p95
         FROM attempts a JOIN subscriptions s ON s.id = a.subscription_id
        WHERE s.tenant_id = $1 AND a.id >= $2 AND a.started_at >= $3`,
      [filter.tenantId, windowFloor('attempt', filter.since), filter.since],
    );
    return { attempts: row.attempts, durationMs: { p50: row.p50, p95: row.p95 } };
  }

  /** A test send's attempt: it belongs to the subscription, to no delivery. */
  async insertTest(row: AttemptRow): Promise<Attempt> {
    const attempt = this.db.getRepository(Attempt).create(row);
    await this.db.getRepository(Attempt).insert(attempt);
    return attempt;
  }

  /** Deletes up to `limit` test-send attempts (they belong to no delivery) started before `cutoff`. */
  async purgeTestsBefore(cutoff: Date, limit: number): Promise<number> {
    const [, deleted]: [unknown[], number] = await this.db.query(
      `DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE delivery_id IS NULL AND started_at < $1 ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, limit],
    );
    return deleted;
  }

  /**
   * Writes the Attempt row and brings the Delivery (and its DeadLetter) up to date, in one
   * transaction. A repeat after a lost commit acknowledgement is a no-op thanks to the unique
   * (delivery_id, number) index. Null when the delivery is gone (deleted with its subscription).
   */
  recordAttempt(record: DeliveryAttemptRecord, clock: () => Date): Promise<RecordedAttemptRow | null> {
    const { attempt: a } = record;
    return this.db.transaction(async (tx) => {
      const deliveries = new DeliveryRepository(tx);
      const delivery = await deliveries.findForUpdate(a.deliveryId);
      if (!delivery) return null;

      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, error_kind, error_message,
                               response_excerpt, duration_ms, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (delivery_id, number) WHERE delivery_id IS NOT NULL DO NOTHING
         RETURNING id`,
        [
          a.id,
          a.deliveryId,
          a.subscriptionId,
          a.number,
          a.trigger,
          a.url,
          a.ok,
          a.statusCode,
          a.errorKind,
          a.errorMessage,
          a.responseExcerpt,
          a.durationMs,
          a.startedAt,
          a.finishedAt,
        ],
      );
      const attemptId = inserted[0]?.id ?? (await tx.query(`SELECT id FROM attempts WHERE delivery_id = $1 AND number = $2`, [a.deliveryId, a.number]))[0].id;

      const now = clock();
      const attemptCount = Math.max(delivery.attemptCount, a.number);
      await deliveries.moveTo(a.deliveryId, record.status, {
        attemptCount,
        nextAttemptAt: record.nextAttemptAt,
        lastStatusCode: a.statusCode,
        lastError: a.ok ? null : a.errorMessage,
        updatedAt: now,
        completedAt: record.status === 'retrying' ? null : now,
      });

      // A repeat after a lost commit acknowledgement changed nothing the first time did not.
      if (inserted.length === 0) return { attemptId, inserted: false, operationalEvents: [] };

      const deadLetters = new DeadLetterRepository(tx);
      if (record.status === 'succeeded') {
        await deadLetters.deleteForDelivery(a.deliveryId);
      } else if (record.status === 'dead_lettered') {
        const [event, subscription] = await Promise.all([
          tx.getRepository(Event).findOneByOrFail({ id: record.eventId }),
          tx.getRepository(Subscription).findOneByOrFail({ id: a.subscriptionId }),
        ]);
        await deadLetters.upsert(
          {
            deliveryId: a.deliveryId,
            subscriptionId: a.subscriptionId,
            tenantId: delivery.tenantId,
            eventId: record.eventId,
            eventType: delivery.eventType,
            reason: a.errorMessage ?? `HTTP ${a.statusCode}`,
            lastStatusCode: a.statusCode,
            attemptCount,
            payload: record.deadLetterPayload(event, subscription),
          },
          now,
        );
      }

      const operational: OperationalEvent[] = [];
      const deadLettered =
        record.status === 'dead_lettered'
          ? deadLetteredEvent({
              deliveryId: a.deliveryId,
              subscriptionId: a.subscriptionId,
              tenantId: delivery.tenantId,
              eventId: record.eventId,
              eventType: delivery.eventType,
              attempts: attemptCount,
              lastError: a.errorMessage ?? (a.statusCode === null ? null : `HTTP ${a.statusCode}`),
            })
          : null;
      if (deadLettered) operational.push(deadLettered);
      operational.push(...(await this.recordHealth(tx, record, now)));
      if (operational.length > 0) {
        await new EventRepository(tx).insertOperational(
          operational.map((e) => ({ ...e, tenantId: e.data.tenantId })),
          now,
        );
      }
      return { attemptId, inserted: true, operationalEvents: operational.map((e) => e.type) };
    });
  }

  /** Moves the subscription's failing clock by this attempt; disables it when the rule says so. The events that reports. */
  private async recordHealth(tx: EntityManager, record: DeliveryAttemptRecord, now: Date): Promise<OperationalEvent[]> {
    const { attempt: a } = record;
    const subscriptions = new SubscriptionRepository(tx);
    const current = await subscriptions.lockHealth(a.subscriptionId, { onlyIfFailing: a.ok });
    if (!current) return [];
    const verdict = assessAttempt(
      current,
      { ok: a.ok, statusCode: a.statusCode, at: record.health.at, firstOfDelivery: a.number === 1 },
      { autoDisableAfterMs: record.health.autoDisableAfterMs },
    );
    if (!verdict.changed) return [];
    await subscriptions.setHealth(a.subscriptionId, verdict.health, verdict.disable?.reason ?? null, now);

    const about = { subscriptionId: a.subscriptionId, tenantId: current.tenantId };
    const events: OperationalEvent[] = [];
    if (verdict.became === 'failing') {
      events.push({
        type: OPS.subscriptionFailing,
        data: {
          ...about,
          failingSince: verdict.health.failingSince!.toISOString(),
          consecutiveFailures: verdict.health.consecutiveFailures,
          lastError: a.errorMessage,
        },
      });
    }
    if (verdict.became === 'recovered') {
      events.push({
        type: OPS.subscriptionRecovered,
        data: { ...about, failingSince: (current.failingSince ?? record.health.at).toISOString(), consecutiveFailures: current.consecutiveFailures },
      });
    }
    if (verdict.disable) {
      events.push({
        type: OPS.subscriptionDisabled,
        data: { ...about, reason: verdict.disable.reason, failingSince: verdict.disable.failingSince.toISOString() },
      });
    }
    return events;
  }
}
