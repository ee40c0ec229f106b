import { IsNull, type EntityManager } from 'typeorm';
import { EventType } from '../entities';

/** What an event-type list can be narrowed to. */
export interface EventTypeFilter {
  group?: string;
  /** Archived types are left out unless asked for. */
  includeArchived?: boolean;
}

/** The cheap part of a type: enough to tell whether a cached validator is current. */
export type EventTypeStamp = Pick<EventType, 'name' | 'version' | 'archivedAt'>;

/** Queries on the event-type catalog. */
export class EventTypeRepository {
  constructor(private readonly db: EntityManager) {}

  private get repo() {
    return this.db.getRepository(EventType);
  }

  find(name: string): Promise<EventType | null> {
    return this.repo.findOneBy({ name });
  }

  /** Version and archived flag only, by primary key: read on every ingest. */
  findStamp(name: string): Promise<EventTypeStamp | null> {
    return this.repo.findOne({ select: { name: true, version: true, archivedAt: true }, where: { name } });
  }

  /** By name; the whole catalog is small (a platform has tens of types, not thousands). */
  list(filter: EventTypeFilter = {}): Promise<EventType[]> {
    return this.repo.find({
      where: { ...(filter.group !== undefined ? { group: filter.group } : {}), ...(filter.includeArchived ? {} : { archivedAt: IsNull() }) },
      order: { name: 'ASC' },
    });
  }

  /** Of these names, those that exist and are not archived. */
  async listActiveNames(names: readonly string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows: { name: string }[] = await this.db.query(`SELECT name FROM event_types WHERE name = ANY ($1::text[]) AND archived_at IS NULL`, [[...names]]);
    return new Set(rows.map((r) => r.name));
  }

  /** Inserts a new type at version 1; false when the name exists. */
  async insertIfAbsent(t: Pick<EventType, 'name' | 'description' | 'schema' | 'example' | 'group'>, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO event_types (name, description, schema, example, "group", version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $6) ON CONFLICT (name) DO NOTHING RETURNING name`,
      [t.name, t.description, JSON.stringify(t.schema), JSON.stringify(t.example), t.group, now],
    );
    return rows.length > 0;
  }

  /**
   * Writes the changed fields where the row is still at `expectedVersion` (a concurrent schema
   * change makes this false); a schema change bumps the version.
   */
  async update(
    name: string,
    expectedVersion: number,
    fields: Partial<Pick<EventType, 'description' | 'schema' | 'example' | 'group'>>,
    now: Date,
  ): Promise<boolean> {
    const bump = fields.schema !== undefined ? 1 : 0;
    const [, updated]: [unknown[], number] = await this.db.query(
      `UPDATE event_types SET
         description = coalesce($3, description),
         schema = coalesce($4::jsonb, schema),
         example = coalesce($5::jsonb, example),
         "group" = CASE WHEN $6 THEN $7 ELSE "group" END,
         version = version + $8,
         updated_at = $9
       WHERE name = $1 AND version = $2`,
      [
        name,
        expectedVersion,
        fields.description ?? null,
        fields.schema === undefined ? null : JSON.stringify(fields.schema),
        fields.example === undefined ? null : JSON.stringify(fields.example),
        fields.group !== undefined,
        fields.group ?? null,
        bump,
        now,
      ],
    );
    return updated > 0;
  }

  /** Archives the type; an archived one keeps its first archive time. */
  async archive(name: string, now: Date): Promise<void> {
    await this.db.query(
      `UPDATE event_types SET archived_at = coalesce(archived_at, $2), updated_at = CASE WHEN archived_at IS NULL THEN $2 ELSE updated_at END WHERE name = $1`,
      [name, now],
    );
  }
}
