import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One kind of event in the catalog; archived ones stay for history but take no new events or subscriptions. */
@Entity('event_types')
export class EventType {
  @PrimaryColumn('text') name: string;
  @Column('text') description: string;
  /** JSON Schema 2020-12 of the event's `data`. */
  @Column('jsonb') schema: Record<string, unknown>;
  /** A `data` the schema accepts; every later schema must accept it too. */
  @Column('jsonb') example: Record<string, unknown>;
  @Column('text', { nullable: true }) group: string | null;
  @Column('timestamptz', { name: 'archived_at', nullable: true }) archivedAt: Date | null;
  /** Bumped by every schema change: API replicas cache compiled validators by it. */
  @Column('int') version: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
