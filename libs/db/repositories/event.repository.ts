import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { newId } from '../../domain/ids';
import type { OperationalEvent } from '../../domain/operational-events';
import { Event } from '../entities';

/** An event the outbox claim handed over for its workflow to start, with its tenant's share. */
export interface ClaimedEvent {
  id: string;
  tenantId: string;
  /** The tenant's weight (1 when it has no tenant row). */
  weight: number;
}

/**
 * A claim's events in the order to start them: weighted round-robin over tenants (the i-th event
 * of a tenant of weight w comes at i / w), each tenant's own oldest first.
 */
export function interleave(events: readonly ClaimedEvent[]): ClaimedEvent[] {
  const seen = new Map<string, number>();
  return events
    .map((e, at) => {
      const i = seen.get(e.tenantId) ?? 0;
      seen.set(e.tenantId, i + 1);
      return { e, turn: i / e.weight, at };
    })
    .sort((a, b) => a.turn - b.turn || a.at - b.at)
    .map((x) => x.e);
}

/** Queries on events. */
export class EventRepository {
  constructor(private readonly db: EntityManager) {}

  private get repo() {
    return this.db.getRepository(Event);
  }

  find(id: string): Promise<Event | null> {
    return this.repo.findOneBy({ id });
  }

  findByIdempotencyKey(key: string): Promise<Event | null> {
    return this.repo.findOneBy({ idempotencyKey: key });
  }

  /** What matching needs of an event (what the SQL prefilter and the payload filter read), and its attempts (the payload). */
  async findForMatching(
    id: string,
  ): Promise<Pick<Event, 'id' | 'tenantId' | 'type' | 'templateId' | 'data' | 'orderingKey' | 'acceptSeq' | 'receivedAt' | 'traceId' | 'traceparent'> | null> {
    const [row]: {
      id: string;
      tenant_id: string;
      type: string;
      template_id: string | null;
      data: Record<string, unknown>;
      ordering_key: string | null;
      accept_seq: string | null;
      received_at: Date;
      trace_id: string | null;
      traceparent: string | null;
    }[] = await this.db.query(
      `SELECT id, tenant_id, type, template_id, data, ordering_key, accept_seq, received_at, trace_id, traceparent FROM events WHERE id = $1`,
      [id],
    );
    return row
      ? {
          id: row.id,
          tenantId: row.tenant_id,
          type: row.type,
          templateId: row.template_id,
          data: row.data,
          orderingKey: row.ordering_key,
          acceptSeq: row.accept_seq,
          receivedAt: row.received_at,
          traceId: row.trace_id,
          traceparent: row.traceparent,
        }
      : null;
  }

  /**
   * The accepting INSERT of events posted together (the API's group commit, EventsService): one
   * multi-row statement, each row inserted unless its id or idempotency key exists, or its
   * `typeVersion` is set and its type is no longer at that version of the catalog or is archived
   * (the payload was validated against that version: the check and the insert are one atomic
   * statement, so a schema change or an archive by any replica applies from the next statement).
   * Each row draws its `accept_seq` here, in the order given. Returns, per row, whether it was
   * inserted. Rows repeating an id or key of an earlier row go in a statement of their own after
   * it, so a row's RETURNING id says which row it was. A data error fails only its own row.
   */
  async insertManyIfAbsent(rows: readonly { event: Event; typeVersion?: number }[]): Promise<boolean[]> {
    const inserted = rows.map(() => false);
    let todo = rows.map((row, at) => ({ row, at }));
    while (todo.length > 0) {
      const ids = new Set<string>();
      const keys = new Set<string>();
      const now: typeof todo = [];
      const later: typeof todo = [];
      for (const t of todo) {
        const { id, idempotencyKey: key } = t.row.event;
        if (ids.has(id) || (key !== null && keys.has(key))) later.push(t);
        else {
          ids.add(id);
          if (key !== null) keys.add(key);
          now.push(t);
        }
      }
      const got = await this.insertDistinct(now.map((t) => t.row)).catch(async (err: unknown) => {
        // A data error (SQLSTATE class 22, 23, 54) of one row must not fail the others: each alone.
        if (now.length === 1 || !/^(22|23|54)/.test(String((err as { code?: unknown }).code))) throw err;
        const each = new Set<string>();
        for (const t of now) for (const id of await this.insertDistinct([t.row]).catch(() => new Set<string>())) each.add(id);
        return each;
      });
      for (const t of now) inserted[t.at] = got.has(t.row.event.id);
      todo = later;
    }
    return inserted;
  }

  /** insertManyIfAbsent's statement, for rows of distinct ids and keys; the ids inserted. */
  private async insertDistinct(rows: readonly { event: Event; typeVersion?: number }[]): Promise<Set<string>> {
    const col = <T>(f: (e: Event) => T): T[] => rows.map((r) => f(r.event));
    const inserted: { id: string }[] = await this.db.query(
      `INSERT INTO events (id, tenant_id, type, template_id, data, trace_id, traceparent, idempotency_key, received_at, ordering_key)
       SELECT r.id, r.tenant_id, r.type, r.template_id, r.data::jsonb, r.trace_id, r.traceparent, r.idempotency_key, r.received_at, r.ordering_key
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::int[])
              WITH ORDINALITY AS r(id, tenant_id, type, template_id, data, trace_id, traceparent, idempotency_key, received_at, ordering_key, type_version, n)
        WHERE r.type_version IS NULL
           OR EXISTS (SELECT 1 FROM event_types t WHERE t.name = r.type AND t.version = r.type_version AND t.archived_at IS NULL)
        ORDER BY r.n
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        col((e) => e.id),
        col((e) => e.tenantId),
        col((e) => e.type),
        col((e) => e.templateId),
        col((e) => JSON.stringify(e.data)),
        col((e) => e.traceId),
        col((e) => e.traceparent),
        col((e) => e.idempotencyKey),
        col((e) => e.receivedAt),
        col((e) => e.orderingKey),
        rows.map((r) => r.typeVersion ?? null),
      ],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /**
   * A tenant's backlog (or every tenant's, without `tenantId`): events accepted and not
   * dispatched yet (no workflow), and events dispatched whose workflow waits for a worker (not
   * matched yet). Both read partial indexes that hold only the backlog.
   */
  async backlog(filter: { tenantId?: string } = {}): Promise<{ undispatched: number; waiting: number }> {
    const [row]: { undispatched: number; waiting: number }[] = await this.db.query(
      `SELECT (SELECT count(*) FROM events WHERE workflow_started_at IS NULL AND ($1::text IS NULL OR tenant_id = $1))::int AS undispatched,
              (SELECT count(*) FROM events WHERE NOT matched AND workflow_started_at IS NOT NULL AND ($1::text IS NULL OR tenant_id = $1))::int AS waiting`,
      [filter.tenantId ?? null],
    );
    return row;
  }

  /**
   * The backlog of each of the `limit` most backlogged tenants, largest first (the console's
   * tenant list, the largest-share gauge).
   */
  async backlogByTenant(filter: { tenantIds?: readonly string[]; limit?: number } = {}): Promise<Map<string, { undispatched: number; waiting: number }>> {
    const rows: { tenant_id: string; undispatched: number; waiting: number }[] = await this.db.query(
      `SELECT tenant_id, count(*) FILTER (WHERE workflow_started_at IS NULL)::int AS undispatched,
              count(*) FILTER (WHERE workflow_started_at IS NOT NULL)::int AS waiting
         FROM events WHERE NOT matched AND ($1::text[] IS NULL OR tenant_id = ANY($1))
        GROUP BY tenant_id ORDER BY count(*) DESC LIMIT $2`,
      [filter.tenantIds ? [...filter.tenantIds] : null, filter.limit ?? null],
    );
    return new Map(rows.map((r) => [r.tenant_id, { undispatched: r.undispatched, waiting: r.waiting }]));
  }

  /**
   * Deletes up to `limit` events received before `cutoff` that no delivery (and so no dead
   * letter) refers to any more and whose workflow was started: an event is never dropped before
   * it was matched. Locked rows are skipped.
   */
  async purgeReceivedBefore(cutoff: Date, limit: number): Promise<number> {
    const [, deleted]: [unknown[], number] = await this.db.query(
      `DELETE FROM events WHERE id IN (
         SELECT e.id FROM events e
          WHERE e.received_at < $1 AND e.workflow_started_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
            AND NOT EXISTS (SELECT 1 FROM dead_letters l WHERE l.event_id = e.id)
          ORDER BY e.received_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, limit],
    );
    return deleted;
  }

  /**
   * Of these events (each with the id of its event workflow), the ones whose first attempts have
   * not gone out: the dispatcher's admission window. An event counts until its workflow has
   * matched it and put the first attempt of every delivery it holds itself on the wire: not
   * matched yet, or matched with a delivery still `pending` with no attempt recorded, held by the
   * event workflow and free to go (an ordered one in its stream's turn). A POST on the wire
   * (`delivering`) no longer counts, so a receiver that hangs for the sender's 30 s does not hold
   * its tenant's window (test/faults/misbehaving-receivers); nor does a delivery handed to its own
   * workflow (paused, throttled, retrying) or waiting for an earlier event of its stream: they
   * wait on time, a receiver or another event, not on the worker's CPU.
   */
  async unfinished(events: readonly { id: string; workflowId: string }[]): Promise<string[]> {
    if (events.length === 0) return [];
    const rows: { id: string }[] = await this.db.query(
      `SELECT e.id FROM unnest($1::text[], $2::text[]) AS w(id, workflow_id) JOIN events e ON e.id = w.id
        WHERE NOT e.matched
           OR EXISTS (SELECT 1 FROM deliveries d
                       WHERE d.event_id = e.id AND d.workflow_id = w.workflow_id AND d.attempt_count = 0
                         AND d.status = 'pending' AND (d.ordering_key IS NULL OR d.turn_at IS NOT NULL))`,
      [events.map((e) => e.id), events.map((e) => e.workflowId)],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The outbox claim (docs/architecture.md, *Dispatch* and *Fairness*): in one short
   * transaction, takes the backlogged tenants in turn and locks each one's oldest events without
   * a workflow, skipping rows another dispatcher holds (`FOR UPDATE SKIP LOCKED`), hands them to
   * `start` and marks the ids it returns as started before the commit releases the locks.
   *
   * Fair: each backlogged tenant gets a quota of the claim in proportion to its weight (at least
   * one event), so a burst of one tenant never fills a claim that another's fresh event waits
   * for. Never starving: at most `limit` tenants take part in one claim, those whose oldest
   * unstarted event is oldest, so a tenant left out waits only until its head is among the
   * oldest. Cheap: the backlogged tenants are found by a skip scan over the partial index
   * (tenant_id, received_at), one probe per tenant, however long the backlog; with one tenant
   * the claim is its `limit` oldest events, as before.
   *
   * Windowed (`window`): a tenant gets at most `size × weight` less the events of it the
   * dispatcher started that have not made their first attempts yet (`taken`), so a burst stays in
   * this table, where tenants take turns, rather than in Temporal's and the worker's queues, which
   * serve first come, first served. A tenant with no room takes no part; `full` says events wait
   * and no tenant had room: claim again shortly.
   *
   * `more` says a claim may have left events behind (a tenant filled its quota, or more tenants
   * were waiting than took part): claim again. A dispatcher that dies mid-claim drops its
   * connection and with it the locks, so its events are claimed again at once. `minAgeMs`
   * leaves events younger than that to the dispatcher of the API that accepted them.
   */
  async dispatchUnstarted(
    filter: { limit: number; minAgeMs: number; window?: { size: number; taken: ReadonlyMap<string, number> } },
    start: (events: ClaimedEvent[]) => Promise<string[]>,
  ): Promise<{ claimed: number; started: number; more: boolean; full?: boolean }> {
    return this.db.transaction(async (tx) => {
      const old = `($1::float8 = 0 OR e.received_at < now() - make_interval(secs => $1::float8))`;
      const result: { id: string | null; tenant_id: string; weight: number; quota: number; tenants: number; blocked: number; waiting: boolean }[] =
        await tx.query(
          `WITH RECURSIVE backlogged AS (
           (SELECT e.tenant_id FROM events e WHERE e.workflow_started_at IS NULL ORDER BY e.tenant_id LIMIT 1)
           UNION ALL
           SELECT (SELECT e.tenant_id FROM events e WHERE e.workflow_started_at IS NULL AND e.tenant_id > b.tenant_id ORDER BY e.tenant_id LIMIT 1)
             FROM backlogged b WHERE b.tenant_id IS NOT NULL
         ),
         heads AS (
           SELECT b.tenant_id, coalesce(t.weight, 1) AS weight
             FROM backlogged b
             CROSS JOIN LATERAL (SELECT e.received_at FROM events e
                                  WHERE e.tenant_id = b.tenant_id AND e.workflow_started_at IS NULL AND ${old}
                                  ORDER BY e.received_at LIMIT 1) h
             LEFT JOIN tenants t ON t.id = b.tenant_id
            WHERE b.tenant_id IS NOT NULL
            ORDER BY h.received_at LIMIT $2
         ),
         room AS (
           SELECT h.tenant_id, h.weight, count(*) OVER ()::int AS tenants,
                  CASE WHEN $3::int IS NULL THEN $2::int
                       ELSE $3::int * h.weight - coalesce((SELECT f.n FROM unnest($4::text[], $5::int[]) AS f(tenant_id, n) WHERE f.tenant_id = h.tenant_id), 0)
                  END AS room
             FROM heads h
         ),
         quotas AS (
           SELECT tenant_id, weight, least(room, greatest(1, ceil($2 * weight::float8 / sum(weight) OVER ())))::int AS quota, tenants,
                  (SELECT count(*) FROM room WHERE room <= 0)::int AS blocked
             FROM room WHERE room > 0
         ),
         claimed AS (
           SELECT c.id, q.tenant_id, q.weight, q.quota, q.tenants, q.blocked, c.received_at
             FROM quotas q
             CROSS JOIN LATERAL (SELECT e.id, e.received_at FROM events e
                                  WHERE e.tenant_id = q.tenant_id AND e.workflow_started_at IS NULL AND ${old}
                                  ORDER BY e.received_at LIMIT q.quota FOR UPDATE SKIP LOCKED) c
         )
         -- One row at least: with nothing claimed, a row without id saying whether events wait
         -- (a backlogged tenant has a head old enough), so a full window costs no second statement.
         SELECT k.id, k.tenant_id, k.weight, k.quota, k.tenants, k.blocked, EXISTS (SELECT 1 FROM heads) AS waiting
           FROM (VALUES (1)) AS one (x) LEFT JOIN claimed k ON true
          ORDER BY k.tenant_id, k.received_at`,
          [
            filter.minAgeMs / 1000,
            filter.limit,
            filter.window?.size ?? null,
            [...(filter.window?.taken.keys() ?? [])],
            [...(filter.window?.taken.values() ?? [])],
          ],
        );
      const rows = result.filter((r): r is (typeof result)[number] & { id: string } => r.id !== null);
      if (rows.length === 0) {
        // Nothing claimable: with a window, events may still wait for their tenant's room to free.
        if (filter.window === undefined) return { claimed: 0, started: 0, more: false };
        const waiting = result[0]?.waiting === true;
        return { claimed: 0, started: 0, more: waiting, full: waiting };
      }
      const perTenant = new Map<string, number>();
      for (const r of rows) perTenant.set(r.tenant_id, (perTenant.get(r.tenant_id) ?? 0) + 1);
      const more = rows[0].tenants >= filter.limit || rows[0].blocked > 0 || rows.some((r) => perTenant.get(r.tenant_id) === r.quota);
      const started = await start(interleave(rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, weight: r.weight }))));
      if (started.length > 0) await tx.query(`UPDATE events SET workflow_started_at = coalesce(workflow_started_at, now()) WHERE id = ANY($1)`, [started]);
      return { claimed: rows.length, started: started.length, more };
    });
  }

  /**
   * Herald's own events, in the caller's transaction with the change they report: outbox rows
   * (no workflow yet) for a dispatcher to start like any accepted event.
   */
  async insertOperational(events: readonly (OperationalEvent & { tenantId: string })[], now: Date): Promise<string[]> {
    const rows = events.map((e) =>
      this.repo.create({
        id: newId('event'),
        tenantId: e.tenantId,
        type: e.type,
        templateId: null,
        data: e.data as unknown as Record<string, unknown>,
        traceId: null,
        traceparent: null,
        idempotencyKey: null,
        receivedAt: now,
        workflowStartedAt: null,
      }),
    );
    if (rows.length > 0) await this.repo.insert(rows as QueryDeepPartialEntity<Event>[]);
    return rows.map((r) => r.id);
  }
}
