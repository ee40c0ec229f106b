import { In, Not, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { FINAL_DELIVERY_STATUSES, mayMove, statusesMovingTo, type DeliveryStatus, type FinalDeliveryStatus } from '../../domain/delivery-lifecycle';
import { deadLetteredEvent } from '../../domain/operational-events';
import type { AttemptSubscription } from '../../delivery/attempt';
import type { PayloadEvent } from '../../delivery/payload';
import type { StreamPlace } from '../../domain/ordering';
import { Delivery, Event, Subscription } from '../entities';
import { DeadLetterRepository } from './dead-letter.repository';
import { EventRepository } from './event.repository';
import { windowCeiling, windowFloor, type CreatedRange, type PageRequest, type StatsWindow, type TenantScope } from './page';

/** A subscription's newest delivery, and the outcomes of its deliveries within a window. */
export interface SubscriptionDeliverySummary {
  last: { id: string; status: DeliveryStatus; at: Date } | null;
  since: { succeeded: number; dead_lettered: number };
}

/** What a delivery list can be narrowed to. */
export interface DeliveryFilter extends CreatedRange, TenantScope {
  subscriptionId?: string;
  eventId?: string;
  eventType?: string;
  status?: DeliveryStatus;
}

/** A delivery an event's match found, with where it goes. */
export interface MatchedDeliveryRow {
  deliveryId: string;
  subscriptionId: string;
  url: string;
  /** A `fifo` delivery's place in its stream; absent for an unordered one. */
  stream?: StreamPlace;
}

/** A delivery about to be attempted, with what its attempt is built from (`loadForAttempts`). */
export interface AttemptSubject {
  delivery: Pick<Delivery, 'id' | 'tenantId' | 'status' | 'attemptCount' | 'nextAttemptAt' | 'lastError' | 'orderingKey' | 'sequence'>;
  subscription: (AttemptSubscription & Pick<Subscription, 'id' | 'enabled' | 'pausedAt' | 'rateLimitPerSecond'>) | null;
  event: PayloadEvent | null;
}

interface AttemptSubjectRow {
  id: string;
  tenant_id: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  ordering_key: string | null;
  sequence: string | null;
  s_id: string | null;
  url: string;
  enabled: boolean;
  paused_at: Date | null;
  rate_limit_per_second: number | null;
  payload_format: Subscription['payloadFormat'];
  user_defined: Record<string, unknown>;
  headers: Record<string, string>;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  e_id: string | null;
  type: string;
  received_at: Date;
  trace_id: string | null;
  traceparent: string | null;
  data: Record<string, unknown>;
}

/**
 * Queries on deliveries. Every status write goes through `moveTo`, which only changes a row
 * whose status may move to the new one (libs/domain/delivery-lifecycle.ts).
 */
export class DeliveryRepository {
  constructor(private readonly db: EntityManager) {}

  private get repo() {
    return this.db.getRepository(Delivery);
  }

  /** Null when there is none, or when it belongs to another tenant than `scope`'s. */
  find(id: string, scope: TenantScope = {}): Promise<Delivery | null> {
    return this.repo.findOneBy(scope.tenantId === undefined ? { id } : { id, tenantId: scope.tenantId });
  }

  /**
   * Newest first; one row more than `limit`, so the caller can tell whether a next page exists.
   * A tenant's page in a time range (and perhaps a status) takes its ids first, from an
   * index-only scan of the tenant's covering index (status and created_at are in it: it reads
   * the newest matching entries and stops), then its rows by primary key. Asked for the rows at
   * once, the planner multiplied the time range's selectivity by the id bounds' (the same range
   * twice), expected a few dozen rows, and for a mid-sized tenant's day bitmap-ANDed the
   * created_at index (166,000 entries, 1,848 buffers; bench/results/2026-12-03-log-at-scale.md).
   * Other filters read whole rows in one step: a subscription, event or event type is not in that
   * index, and a second step would only add a primary-key read per row.
   */
  listPage(filter: DeliveryFilter, page: PageRequest): Promise<Delivery[]> {
    const inTenantIndex = filter.tenantId !== undefined && !filter.subscriptionId && !filter.eventId && !filter.eventType;
    const twoStep = inTenantIndex && (filter.since !== undefined || filter.until !== undefined);
    const a = twoStep ? 'p' : 'd';
    const qb = this.repo
      .createQueryBuilder(a)
      .orderBy(`${a}.id`, 'DESC')
      .limit(page.limit + 1);
    if (page.cursor) qb.andWhere(`${a}.id < :before`, { before: page.cursor });
    if (filter.tenantId !== undefined) qb.andWhere(`${a}.tenant_id = :tenantId`, { tenantId: filter.tenantId });
    if (filter.subscriptionId) qb.andWhere(`${a}.subscription_id = :subscriptionId`, { subscriptionId: filter.subscriptionId });
    if (filter.eventId) qb.andWhere(`${a}.event_id = :eventId`, { eventId: filter.eventId });
    if (filter.eventType) qb.andWhere(`${a}.event_type = :eventType`, { eventType: filter.eventType });
    if (filter.status) qb.andWhere(`${a}.status = :status`, { status: filter.status });
    // The id bounds let the index walk start and stop at the time range (ids sort by creation):
    // without them a range days back scanned every newer row of the tenant first.
    if (filter.since) qb.andWhere(`${a}.created_at >= :since AND ${a}.id >= :idFloor`, { since: filter.since, idFloor: windowFloor('delivery', filter.since) });
    if (filter.until)
      qb.andWhere(`${a}.created_at <= :until AND ${a}.id < :idCeiling`, { until: filter.until, idCeiling: windowCeiling('delivery', filter.until) });
    if (!twoStep) return qb.getMany();
    qb.select('p.id');
    return this.repo.createQueryBuilder('d').where(`d.id IN (${qb.getQuery()})`).setParameters(qb.getParameters()).orderBy('d.id', 'DESC').getMany();
  }

  /** An event's deliveries, by id: the summary its detail view shows. */
  listForEvent(eventId: string): Promise<Pick<Delivery, 'id' | 'subscriptionId' | 'status' | 'attemptCount'>[]> {
    return this.repo.find({ select: { id: true, subscriptionId: true, status: true, attemptCount: true }, where: { eventId }, order: { id: 'ASC' } });
  }

  /** Deliveries not in a final status, e.g. a subscription's before it is deleted. */
  listOpen(filter: { subscriptionId: string }): Promise<Pick<Delivery, 'id' | 'eventId' | 'subscriptionId' | 'workflowId' | 'sequence' | 'turnAt'>[]> {
    return this.repo.find({
      select: { id: true, eventId: true, subscriptionId: true, workflowId: true, sequence: true, turnAt: true },
      where: { subscriptionId: filter.subscriptionId, status: Not(In([...FINAL_DELIVERY_STATUSES])) },
    });
  }

  /**
   * Creates the `pending` deliveries of an event (one per subscription, so a repeat creates
   * nothing), marks the event's workflow started and the event matched, and answers all of the
   * event's deliveries with their subscription's URL, by id — one statement, so the deliveries
   * and the mark commit together (an event is never taken for started without them) in one
   * round trip. The rows it creates are unordered; rows an ordered fan-out created before
   * (`StreamRepository.fanOutInOrder`) come back with their place in their stream.
   */
  async insertMatched(
    event: { id: string; tenantId: string; type: string; templateId: string | null },
    rows: { id: string; subscriptionId: string; workflowId: string }[],
    now: Date,
  ): Promise<MatchedDeliveryRow[]> {
    const found: MatchedRow[] = await this.db.query(insertMatchedSql(''), insertMatchedParams(event, rows, now));
    return found.map(matchedDelivery);
  }

  /**
   * `insertMatched` when the deliveries' first attempts follow in the same activity
   * (matchAndAttempt): the same one statement, which also answers what `loadForAttempts` would —
   * each delivery as it stands (a new one `pending`, one an earlier run made as it is now) with
   * its subscription — so the attempts need no read of their own. `event` is the one the match
   * just read.
   */
  async insertMatchedForAttempts(
    event: { id: string; tenantId: string; type: string; templateId: string | null } & PayloadEvent,
    rows: { id: string; subscriptionId: string; workflowId: string }[],
    now: Date,
  ): Promise<{ matched: MatchedDeliveryRow[]; subjects: AttemptSubject[] }> {
    const found: (MatchedRow & AttemptSubjectRow)[] = await this.db.query(
      insertMatchedSql(
        `, d.tenant_id, d.status, d.attempt_count, d.next_attempt_at, d.last_error, ${SUBSCRIPTION_SUBJECT_COLUMNS}`,
        'tenant_id, status, attempt_count, next_attempt_at, last_error,',
      ),
      insertMatchedParams(event, rows, now),
    );
    const { id, type, receivedAt, traceId, traceparent, data } = event;
    const payloadEvent: PayloadEvent = { id, type, receivedAt, traceId, traceparent, data };
    return { matched: found.map(matchedDelivery), subjects: found.map((r) => ({ ...attemptSubject(r), event: payloadEvent })) };
  }

  /** An event's deliveries with their subscription's URL, by id (after an ordered fan-out made them). */
  async listMatched(eventId: string): Promise<MatchedDeliveryRow[]> {
    const rows: MatchedRow[] = await this.db.query(
      `SELECT d.id, d.subscription_id, s.url, d.ordering_key, d.sequence FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
        WHERE d.event_id = $1 ORDER BY d.id`,
      [eventId],
    );
    return rows.map(matchedDelivery);
  }

  /**
   * What the attempts of these deliveries need, in one round trip: each delivery with its
   * subscription (null when deleted) and its event. Plain rows, not entities: this is the
   * engine's hot path, one query per batch of attempts (see docs/architecture.md, *Flow*).
   */
  async loadForAttempts(ids: readonly string[]): Promise<AttemptSubject[]> {
    if (ids.length === 0) return [];
    const rows: AttemptSubjectRow[] = await this.db.query(
      `SELECT d.id, d.tenant_id, d.status, d.attempt_count, d.next_attempt_at, d.last_error, d.ordering_key, d.sequence,
              ${SUBSCRIPTION_SUBJECT_COLUMNS},
              e.id AS e_id, e.type, e.received_at, e.trace_id, e.traceparent, e.data
         FROM deliveries d
         LEFT JOIN subscriptions s ON s.id = d.subscription_id
         LEFT JOIN events e ON e.id = d.event_id
        WHERE d.id = ANY ($1::text[])`,
      [[...ids]],
    );
    return rows.map((r) => ({
      ...attemptSubject(r),
      event: r.e_id === null ? null : { id: r.e_id, type: r.type, receivedAt: r.received_at, traceId: r.trace_id, traceparent: r.traceparent, data: r.data },
    }));
  }

  /**
   * `claimSend` and `markDelivering` for a batch, in one statement: each delivery's attempt is
   * claimed (see `claimSend`) and an open delivery moves to `delivering`. The ids claimed; a
   * delivery whose attempt an earlier run claimed (or recorded) is not among them and must not send.
   */
  async claimSends(claims: readonly { id: string; number: number }[], now: Date): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    // An UPDATE answers [rows, affected] through TypeORM.
    const [rows]: [{ id: string }[], number] = await this.db.query(
      `UPDATE deliveries d
          SET sending_attempt = c.number, updated_at = $3,
              status = CASE WHEN d.status = ANY ($4::text[]) THEN 'delivering' ELSE d.status END
         FROM unnest($1::text[], $2::int[]) AS c (id, number)
        WHERE d.id = c.id AND d.attempt_count < c.number AND (d.sending_attempt IS NULL OR d.sending_attempt < c.number)
        RETURNING d.id`,
      [claims.map((c) => c.id), claims.map((c) => c.number), now, [...statusesMovingTo('delivering')]],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** An attempt is under way. */
  async markDelivering(id: string, now: Date): Promise<boolean> {
    return this.moveTo(id, 'delivering', { updatedAt: now });
  }

  /**
   * Parks an open delivery in `paused`, only while its subscription is paused (read under a share
   * lock, so a resume committing meanwhile is either waited for or waits). False when the
   * subscription is no longer paused or the delivery is not open.
   */
  async markPaused(id: string, subscriptionId: string, now: Date): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.db.query(
      `UPDATE deliveries SET status = 'paused', next_attempt_at = NULL, updated_at = $3
        WHERE id = $1 AND status = ANY ($4::text[])
          AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = $2 AND s.paused_at IS NOT NULL FOR SHARE)`,
      [id, subscriptionId, now, [...statusesMovingTo('paused')]],
    );
    return affected > 0;
  }

  /**
   * Claims the sending of attempt `number` before its request goes out: true once, for the
   * first caller, while no later attempt is recorded. A re-run of the same attempt (a local
   * activity replayed after its worker died) gets false and must not send.
   */
  async claimSend(id: string, number: number): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.db.query(
      `UPDATE deliveries SET sending_attempt = $2
        WHERE id = $1 AND attempt_count < $2 AND (sending_attempt IS NULL OR sending_attempt < $2)`,
      [id, number],
    );
    return affected > 0;
  }

  /** A subscription's deliveries waiting in `paused`, oldest first: the order resume wakes them in. */
  listPaused(subscriptionId: string): Promise<Pick<Delivery, 'id' | 'eventId' | 'subscriptionId'>[]> {
    return this.repo.find({ select: { id: true, eventId: true, subscriptionId: true }, where: { subscriptionId, status: 'paused' }, order: { id: 'ASC' } });
  }

  /**
   * Dead-letters a delivery that made no further attempt (it waited in pause too long): the
   * delivery, its DeadLetter and the `herald.delivery.dead_lettered` event in one transaction.
   * False when it was not open any more.
   */
  async markDeadLettered(
    id: string,
    reason: string,
    now: Date,
    deadLetterPayload: (event: Event, subscription: Subscription) => Record<string, unknown>,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const deliveries = new DeliveryRepository(tx);
      const delivery = await deliveries.findForUpdate(id);
      if (!delivery || !(await deliveries.moveTo(id, 'dead_lettered', { nextAttemptAt: null, lastError: reason, updatedAt: now, completedAt: now })))
        return false;
      const [event, subscription] = await Promise.all([
        tx.getRepository(Event).findOneByOrFail({ id: delivery.eventId }),
        tx.getRepository(Subscription).findOneByOrFail({ id: delivery.subscriptionId }),
      ]);
      await new DeadLetterRepository(tx).upsert(
        {
          deliveryId: id,
          subscriptionId: delivery.subscriptionId,
          tenantId: delivery.tenantId,
          eventId: delivery.eventId,
          eventType: delivery.eventType,
          reason,
          lastStatusCode: delivery.lastStatusCode,
          attemptCount: delivery.attemptCount,
          payload: deadLetterPayload(event, subscription),
        },
        now,
      );
      const told = deadLetteredEvent({
        deliveryId: id,
        subscriptionId: delivery.subscriptionId,
        tenantId: delivery.tenantId,
        eventId: delivery.eventId,
        eventType: delivery.eventType,
        attempts: delivery.attemptCount,
        lastError: reason,
      });
      if (told) await new EventRepository(tx).insertOperational([{ ...told, tenantId: delivery.tenantId }], now);
      return true;
    });
  }

  /** The delivery is now held by `workflowId` (the event workflow handing it to a delivery workflow, or a manual retry's run). */
  async setWorkflow(id: string, workflowId: string): Promise<void> {
    await this.repo.update({ id }, { workflowId });
  }

  /** Stops an open delivery; a finished one keeps its status (false). */
  async markCancelled(id: string, reason: string, now: Date): Promise<boolean> {
    return this.moveTo(id, 'cancelled', { nextAttemptAt: null, lastError: reason, updatedAt: now, completedAt: now });
  }

  /**
   * A manual retry re-opens a finished delivery as `pending`, so the log (and a bulk dead-letter
   * retry) sees it in flight. Only from the status the caller read; false when it changed meanwhile.
   */
  async reopen(d: Pick<Delivery, 'id' | 'status'>, now: Date): Promise<boolean> {
    if (!mayMove(d.status, 'pending')) return false;
    const result = await this.repo.update({ id: d.id, status: d.status }, { status: 'pending', nextAttemptAt: null, updatedAt: now });
    return Boolean(result.affected);
  }

  /** Undoes `reopen` when nothing was restarted: back to the final status it had (the lifecycle's one step back). */
  async undoReopen(id: string, previous: FinalDeliveryStatus): Promise<void> {
    await this.repo.update({ id, status: 'pending' }, { status: previous });
  }

  /** The row, locked until the transaction this repository runs in ends. */
  findForUpdate(id: string): Promise<Delivery | null> {
    return this.repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Sets `to` and `fields` where the row's status may move to `to`; false when it may not. */
  async moveTo(id: string, to: DeliveryStatus, fields: Omit<QueryDeepPartialEntity<Delivery>, 'status'>): Promise<boolean> {
    const result = await this.repo.update({ id, status: In([...statusesMovingTo(to)]) }, { ...fields, status: to });
    return Boolean(result.affected);
  }

  /**
   * Deletes up to `limit` deliveries (their attempts go with them, by the foreign key) created and
   * last touched before `cutoff`, in a final status, with no dead letter still retained. Rows
   * another transaction holds (an attempt being recorded) are skipped, never waited for.
   */
  async purgeFinishedBefore(cutoff: Date, limit: number): Promise<number> {
    const [, deleted]: [unknown[], number] = await this.db.query(
      `DELETE FROM deliveries WHERE id IN (
         SELECT d.id FROM deliveries d
          WHERE d.created_at < $1 AND d.updated_at < $1 AND d.status = ANY ($2::text[])
            AND NOT EXISTS (SELECT 1 FROM dead_letters l WHERE l.delivery_id = d.id)
          ORDER BY d.created_at LIMIT $3 FOR UPDATE SKIP LOCKED)`,
      [cutoff, [...FINAL_DELIVERY_STATUSES], limit],
    );
    return deleted;
  }

  /**
   * A tenant's (or one subscription's) deliveries created since `since`, counted by status (a
   * status with none is absent). The id floor lets the (tenant_id, id) or (subscription_id, id)
   * index start at the window (ids sort by creation).
   */
  async stats(filter: StatsWindow): Promise<Partial<Record<DeliveryStatus, number>>> {
    const column = filter.subscriptionId !== undefined ? 'subscription_id' : 'tenant_id';
    const rows: { status: DeliveryStatus; n: number }[] = await this.db.query(
      `SELECT status, count(*)::int AS n FROM deliveries WHERE ${column} = $1 AND id >= $2 AND created_at >= $3 GROUP BY status`,
      [filter.subscriptionId ?? filter.tenantId, windowFloor('delivery', filter.since), filter.since],
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** Deliveries created and not yet attempted (`pending`): waiting for a worker. A tenant's, or all. */
  async countPending(scope: TenantScope = {}): Promise<number> {
    const [row]: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending' AND ($1::text IS NULL OR tenant_id = $1)`,
      [scope.tenantId ?? null],
    );
    return row.n;
  }

  /**
   * For a page of subscriptions, in one query: each one's newest delivery (its status, and when
   * that status was reached) and how its deliveries created since `since` ended.
   */
  async summarizeBySubscription(subscriptionIds: readonly string[], since: Date): Promise<Map<string, SubscriptionDeliverySummary>> {
    if (subscriptionIds.length === 0) return new Map();
    const rows: { id: string; last_id: string | null; status: DeliveryStatus | null; updated_at: Date | null; succeeded: number; dead_lettered: number }[] =
      await this.db.query(
        `SELECT s.id, last.id AS last_id, last.status, last.updated_at, recent.succeeded, recent.dead_lettered
         FROM unnest($1::text[]) AS s (id)
         LEFT JOIN LATERAL (SELECT d.id, d.status, d.updated_at FROM deliveries d WHERE d.subscription_id = s.id ORDER BY d.id DESC LIMIT 1) last ON true
         CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE d.status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE d.status = 'dead_lettered')::int AS dead_lettered
             FROM deliveries d WHERE d.subscription_id = s.id AND d.id >= $2 AND d.created_at >= $3) recent`,
        [[...subscriptionIds], windowFloor('delivery', since), since],
      );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          last: r.last_id && r.status && r.updated_at ? { id: r.last_id, status: r.status, at: r.updated_at } : null,
          since: { succeeded: r.succeeded, dead_lettered: r.dead_lettered },
        },
      ]),
    );
  }

  /** Deliveries waiting on a retry timer (the `herald_deliveries_waiting` gauge). */
  async countWaiting(): Promise<number> {
    const [row] = await this.db.query(`SELECT count(*) AS count FROM deliveries WHERE status = 'retrying'`);
    return Number(row?.count ?? 0);
  }
}

/** What an attempt reads of a subscription (`loadForAttempts`, `insertMatchedForAttempts`), from `subscriptions s`. */
const SUBSCRIPTION_SUBJECT_COLUMNS = `s.id AS s_id, s.url, s.enabled, s.paused_at, s.rate_limit_per_second, s.payload_format, s.user_defined, s.headers,
              s.secret_ciphertext, s.previous_secret_ciphertext, s.previous_secret_expires_at`;

/**
 * The match's one statement (`insertMatched`): the new deliveries, the event's mark, and all of
 * the event's deliveries with their subscription, by id; `columns` more of them (`d.`: the
 * delivery's, also `returned` by the insert; `s.`: its subscription's).
 */
function insertMatchedSql(columns: string, returned = ''): string {
  return `WITH inserted AS (
         INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, template_id, status, workflow_id, created_at, updated_at)
         SELECT r.id, $1, r.subscription_id, $2, $3, $4, 'pending', r.workflow_id, $5, $5
           FROM unnest($6::text[], $7::text[], $8::text[]) AS r (id, subscription_id, workflow_id)
         ON CONFLICT (event_id, subscription_id) DO NOTHING
         RETURNING id, subscription_id, ${returned} NULL::text AS ordering_key, NULL::bigint AS sequence
       ), started AS (
         UPDATE events SET workflow_started_at = coalesce(workflow_started_at, $5), matched = true, matched_at = coalesce(matched_at, $5) WHERE id = $1
       )
       SELECT d.id, d.subscription_id, s.url, d.ordering_key, d.sequence${columns}
         FROM (SELECT * FROM inserted
               UNION ALL SELECT id, subscription_id, ${returned} ordering_key, sequence FROM deliveries WHERE event_id = $1) d
         JOIN subscriptions s ON s.id = d.subscription_id
        ORDER BY d.id`;
}

function insertMatchedParams(
  event: { id: string; tenantId: string; type: string; templateId: string | null },
  rows: { id: string; subscriptionId: string; workflowId: string }[],
  now: Date,
): unknown[] {
  return [event.id, event.tenantId, event.type, event.templateId, now, rows.map((r) => r.id), rows.map((r) => r.subscriptionId), rows.map((r) => r.workflowId)];
}

/** A delivery and its subscription as an attempt reads them; its event is the caller's. */
function attemptSubject(r: Omit<AttemptSubjectRow, 'e_id' | 'type' | 'received_at' | 'trace_id' | 'traceparent' | 'data'>): Omit<AttemptSubject, 'event'> {
  return {
    delivery: {
      id: r.id,
      tenantId: r.tenant_id,
      status: r.status,
      attemptCount: r.attempt_count,
      nextAttemptAt: r.next_attempt_at,
      lastError: r.last_error,
      orderingKey: r.ordering_key,
      sequence: r.sequence === null ? null : Number(r.sequence),
    },
    subscription:
      r.s_id === null
        ? null
        : {
            id: r.s_id,
            url: r.url,
            enabled: r.enabled,
            pausedAt: r.paused_at,
            rateLimitPerSecond: r.rate_limit_per_second,
            payloadFormat: r.payload_format,
            userDefined: r.user_defined,
            headers: r.headers,
            secretCiphertext: r.secret_ciphertext,
            previousSecretCiphertext: r.previous_secret_ciphertext,
            previousSecretExpiresAt: r.previous_secret_expires_at,
          },
  };
}

interface MatchedRow {
  id: string;
  subscription_id: string;
  url: string;
  ordering_key: string | null;
  sequence: string | null;
}

/** An unordered delivery has no `stream` key at all: the match's recorded result stays as it was before ordering. */
function matchedDelivery(d: MatchedRow): MatchedDeliveryRow {
  return {
    deliveryId: d.id,
    subscriptionId: d.subscription_id,
    url: d.url,
    ...(d.sequence === null ? {} : { stream: { key: d.ordering_key ?? '', sequence: Number(d.sequence) } }),
  };
}
