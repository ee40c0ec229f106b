import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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

  /** What matching needs of an event. */
  findForMatching(id: string): Promise<Pick<Event, 'id' | 'tenantId' | 'type' | 'templateId'> | null> {
    return this.repo.findOne({ select: { id: true, tenantId: true, type: true, templateId: true }, where: { id } });
  }

  /** Inserts the event unless its id or idempotency key exists; true when this call inserted it. */
  async insertIfAbsent(event: Event): Promise<boolean> {
    const result = await this.repo.createQueryBuilder().insert().into(Event).values(event as QueryDeepPartialEntity<Event>).orIgnore().returning(['id']).execute();
    return (result.raw as unknown[]).length > 0;
  }

  /** Notes that the event's workflow exists; the first time wins. */
  async markWorkflowStarted(id: string, at: Date = new Date()): Promise<void> {
    await this.db.query(`UPDATE events SET workflow_started_at = coalesce(workflow_started_at, $2) WHERE id = $1`, [id, at]);
  }

  /** Events accepted more than `olderThanMs` ago whose workflow was never noted as started, oldest first. */
  async listUnstarted(filter: { olderThanMs: number; limit: number }): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM events WHERE workflow_started_at IS NULL AND received_at < now() - make_interval(secs => $1) ORDER BY received_at LIMIT $2`,
      [filter.olderThanMs / 1000, filter.limit],
    );
    return rows.map((r) => r.id);
  }
}
