import type { EntityManager } from 'typeorm';
import type { AttemptRow } from '../../delivery/attempt';
import { deadLetteredEvent, OPERATIONAL_EVENT_TYPES as OPS, type OperationalEvent } from '../../domain/operational-events';
import { mayMove, type AttemptStatus, type DeliveryStatus } from '../../domain/delivery-lifecycle';
import { assessAttempt, type SubscriptionHealth } from '../../domain/subscription-health';
import { Attempt, Event, Subscription } from '../entities';
import { DeadLetterRepository } from './dead-letter.repository';
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
  async recordAttempt(record: DeliveryAttemptRecord, clock: () => Date): Promise<RecordedAttemptRow | null> {
    return (await this.recordAttempts([record], clock))[0];
  }

  /**
   * `recordAttempt` for attempts of different deliveries, in one transaction and a few
   * statements whatever their number (an event's first attempts; see docs/architecture.md,
   * *Flow*): lock the deliveries, insert the attempts, move the deliveries, then the dead letters
   * and each subscription's failing clock. One result per record, in order.
   */
  recordAttempts(records: readonly DeliveryAttemptRecord[], clock: () => Date): Promise<(RecordedAttemptRow | null)[]> {
    if (records.length === 0) return Promise.resolve([]);
    return this.db.transaction(async (tx) => {
      const ids = records.map((r) => r.attempt.deliveryId);
      // In id order, so that two batches over the same rows never wait on each other in a cycle.
      const locked: { id: string; status: DeliveryStatus; attempt_count: number; tenant_id: string; event_type: string }[] = await tx.query(
        `SELECT id, status, attempt_count, tenant_id, event_type FROM deliveries WHERE id = ANY ($1::text[]) ORDER BY id FOR UPDATE`,
        [ids],
      );
      const deliveryOf = new Map(
        locked.map((d) => [d.id, { status: d.status, attemptCount: d.attempt_count, tenantId: d.tenant_id, eventType: d.event_type }]),
      );
      const present = records.filter((r) => deliveryOf.has(r.attempt.deliveryId));
      if (present.length === 0) return records.map(() => null);

      const cols = [
        'id',
        'delivery_id',
        'subscription_id',
        'number',
        'trigger',
        'url',
        'ok',
        'status_code',
        'error_kind',
        'error_message',
        'response_excerpt',
        'duration_ms',
        'started_at',
        'finished_at',
      ];
      const values = present.map((_, i) => `(${cols.map((__, j) => `$${i * cols.length + j + 1}`).join(', ')})`);
      const inserted: { id: string; delivery_id: string }[] = await tx.query(
        `INSERT INTO attempts (${cols.join(', ')}) VALUES ${values.join(', ')}
         ON CONFLICT (delivery_id, number) WHERE delivery_id IS NOT NULL DO NOTHING
         RETURNING id, delivery_id`,
        present.flatMap(({ attempt: a }) => [
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
        ]),
      );
      const insertedFor = new Map(inserted.map((r) => [r.delivery_id, r.id]));

      const now = clock();
      // Where each delivery goes; the lifecycle says whether it may (the rows are locked: exact).
      const moves = present.map(({ attempt: a, status, nextAttemptAt }) => {
        const delivery = deliveryOf.get(a.deliveryId)!;
        return { id: a.deliveryId, may: mayMove(delivery.status, status), status, attemptCount: Math.max(delivery.attemptCount, a.number), nextAttemptAt, a };
      });
      const moving = moves.filter((m) => m.may);
      if (moving.length > 0) {
        await tx.query(
          `UPDATE deliveries d
              SET status = m.status, attempt_count = m.attempt_count, next_attempt_at = m.next_attempt_at, last_status_code = m.last_status_code,
                  last_error = m.last_error, updated_at = $1, completed_at = CASE WHEN m.status = 'retrying' THEN NULL ELSE $1::timestamptz END
             FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], $7::text[])
                  AS m (id, status, attempt_count, next_attempt_at, last_status_code, last_error)
            WHERE d.id = m.id`,
          [
            now,
            moving.map((m) => m.id),
            moving.map((m) => m.status),
            moving.map((m) => m.attemptCount),
            moving.map((m) => m.nextAttemptAt),
            moving.map((m) => m.a.statusCode),
            moving.map((m) => (m.a.ok ? null : m.a.errorMessage)),
          ],
        );
      }

      // A repeat after a lost commit acknowledgement changed nothing the first time did not.
      const fresh = moves.filter((m) => insertedFor.has(m.id));
      const deadLetters = new DeadLetterRepository(tx);
      // Only a manual attempt can find a dead letter: one exists only once its delivery is final,
      // and only an operator's retry makes attempts after that.
      const succeeded = fresh.filter((m) => m.status === 'succeeded' && m.a.trigger !== 'scheduled').map((m) => m.id);
      if (succeeded.length > 0) await deadLetters.deleteForDeliveries(succeeded);

      const operational = new Map<string, OperationalEvent[]>();
      for (const m of fresh.filter((f) => f.status === 'dead_lettered')) {
        const record = present.find((r) => r.attempt.deliveryId === m.id)!;
        const delivery = deliveryOf.get(m.id)!;
        const { a } = m;
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
            attemptCount: m.attemptCount,
            payload: record.deadLetterPayload(event, subscription),
          },
          now,
        );
        const told = deadLetteredEvent({
          deliveryId: a.deliveryId,
          subscriptionId: a.subscriptionId,
          tenantId: delivery.tenantId,
          eventId: record.eventId,
          eventType: delivery.eventType,
          attempts: m.attemptCount,
          lastError: a.errorMessage ?? (a.statusCode === null ? null : `HTTP ${a.statusCode}`),
        });
        if (told) operational.set(m.id, [told]);
      }

      const freshRecords = present.filter((r) => insertedFor.has(r.attempt.deliveryId));
      for (const [deliveryId, events] of await this.recordHealth(tx, freshRecords, now)) {
        operational.set(deliveryId, [...(operational.get(deliveryId) ?? []), ...events]);
      }
      const all = [...operational.values()].flat();
      if (all.length > 0) {
        await new EventRepository(tx).insertOperational(
          all.map((e) => ({ ...e, tenantId: e.data.tenantId })),
          now,
        );
      }

      const existing = new Map<string, string>();
      for (const r of present.filter((p) => !insertedFor.has(p.attempt.deliveryId))) {
        const [row]: { id: string }[] = await tx.query(`SELECT id FROM attempts WHERE delivery_id = $1 AND number = $2`, [
          r.attempt.deliveryId,
          r.attempt.number,
        ]);
        existing.set(r.attempt.deliveryId, row.id);
      }
      return records.map(({ attempt: a }): RecordedAttemptRow | null => {
        if (!deliveryOf.has(a.deliveryId)) return null;
        const id = insertedFor.get(a.deliveryId);
        if (id === undefined) return { attemptId: existing.get(a.deliveryId)!, inserted: false, operationalEvents: [] };
        return { attemptId: id, inserted: true, operationalEvents: (operational.get(a.deliveryId) ?? []).map((e) => e.type) };
      });
    });
  }

  /**
   * Moves the failing clock of each subscription these attempts went to, in one lock statement
   * (subscriptions in id order; a success on a healthy subscription locks nothing) and one write
   * per subscription whose clock changed; disables one when the rule says so. The events that
   * reports, by delivery.
   */
  private async recordHealth(tx: EntityManager, records: readonly DeliveryAttemptRecord[], now: Date): Promise<Map<string, OperationalEvent[]>> {
    const reported = new Map<string, OperationalEvent[]>();
    if (records.length === 0) return reported;
    const subscriptions = new SubscriptionRepository(tx);
    const failed = records.filter((r) => !r.attempt.ok).map((r) => r.attempt.subscriptionId);
    const current = await subscriptions.lockHealth(
      records.map((r) => r.attempt.subscriptionId),
      failed,
    );
    const changed = new Map<string, { health: SubscriptionHealth; disabledReason: string | null }>();
    for (const record of records) {
      const { attempt: a } = record;
      const before = current.get(a.subscriptionId);
      if (!before) continue;
      const verdict = assessAttempt(
        before,
        { ok: a.ok, statusCode: a.statusCode, at: record.health.at, firstOfDelivery: a.number === 1 },
        { autoDisableAfterMs: record.health.autoDisableAfterMs },
      );
      if (!verdict.changed) continue;
      const disabledReason = verdict.disable?.reason ?? changed.get(a.subscriptionId)?.disabledReason ?? null;
      changed.set(a.subscriptionId, { health: verdict.health, disabledReason });
      // The next attempt of the same subscription in this batch sees this one's clock.
      current.set(a.subscriptionId, { ...before, ...verdict.health, enabled: before.enabled && !verdict.disable });

      const about = { subscriptionId: a.subscriptionId, tenantId: before.tenantId };
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
          data: { ...about, failingSince: (before.failingSince ?? record.health.at).toISOString(), consecutiveFailures: before.consecutiveFailures },
        });
      }
      if (verdict.disable) {
        events.push({
          type: OPS.subscriptionDisabled,
          data: { ...about, reason: verdict.disable.reason, failingSince: verdict.disable.failingSince.toISOString() },
        });
      }
      if (events.length > 0) reported.set(a.deliveryId, events);
    }
    for (const [id, { health, disabledReason }] of changed) await subscriptions.setHealth(id, health, disabledReason, now);
    return reported;
  }
}
