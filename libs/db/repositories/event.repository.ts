import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { newId } from '../../domain/ids';
import type { OperationalEvent } from '../../domain/operational-events';
import { Event } from '../entities';

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

  /** What matching needs of an event: what the SQL prefilter and the payload filter read. */
  findForMatching(id: string): Promise<Pick<Event, 'id' | 'tenantId' | 'type' | 'templateId' | 'data' | 'orderingKey' | 'acceptSeq'> | null> {
    return this.repo.findOne({
      select: { id: true, tenantId: true, type: true, templateId: true, data: true, orderingKey: true, acceptSeq: true },
      where: { id },
    });
  }

  /** Inserts the event unless its id or idempotency key exists; true when this call inserted it. */
  async insertIfAbsent(event: Event): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .insert()
      .into(Event)
      .values(event as QueryDeepPartialEntity<Event>)
      .orIgnore()
      .returning(['id'])
      .execute();
    return (result.raw as unknown[]).length > 0;
  }

  /** Notes that the event's workflow exists and its deliveries were created (matched); the first time wins. */
  async markWorkflowStarted(id: string, at: Date = new Date()): Promise<void> {
    await this.db.query(
      `UPDATE events SET workflow_started_at = coalesce(workflow_started_at, $2), matched_at = coalesce(matched_at, $2) WHERE id = $1`,
      [id, at],
    );
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
   * The outbox claim (docs/architecture.md, *Dispatch*): in one short transaction, locks up to
   * `limit` events without a workflow, oldest first, skipping rows another dispatcher holds
   * (`FOR UPDATE SKIP LOCKED`), hands their ids to `start` and marks the ids it returns as
   * started before the commit releases the locks. A dispatcher that dies mid-claim drops its
   * connection and with it the locks, so its events are claimed again at once. `minAgeMs`
   * leaves events younger than that to the dispatcher of the API that accepted them.
   */
  async dispatchUnstarted(
    filter: { limit: number; minAgeMs: number },
    start: (ids: string[]) => Promise<string[]>,
  ): Promise<{ claimed: number; started: number }> {
    return this.db.transaction(async (tx) => {
      const rows: { id: string }[] = await tx.query(
        `SELECT id FROM events WHERE workflow_started_at IS NULL AND ($1::float8 = 0 OR received_at < now() - make_interval(secs => $1::float8))
         ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [filter.minAgeMs / 1000, filter.limit],
      );
      if (rows.length === 0) return { claimed: 0, started: 0 };
      const started = await start(rows.map((r) => r.id));
      if (started.length > 0) await tx.query(`UPDATE events SET workflow_started_at = coalesce(workflow_started_at, now()) WHERE id = ANY($1)`, [started]);
      return { claimed: rows.length, started: started.length };
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
