import { LessThan, type EntityManager } from 'typeorm';
import { DEAD_LETTER_RETENTION_MS } from '../../domain/retry-schedule';
import { newId } from '../../domain/ids';
import { DeadLetter, Delivery } from '../entities';
import type { CreatedRange, PageRequest, StatsWindow, TenantScope } from './page';

/** What a dead-letter list can be narrowed to. */
export interface DeadLetterFilter extends CreatedRange, TenantScope {
  subscriptionId?: string;
  eventType?: string;
}

/** Queries on dead letters. */
export class DeadLetterRepository {
  constructor(private readonly db: EntityManager) {}

  private get repo() {
    return this.db.getRepository(DeadLetter);
  }

  /** Null when there is none, or when it belongs to another tenant than `scope`'s. */
  find(id: string, scope: TenantScope = {}): Promise<DeadLetter | null> {
    return this.repo.findOneBy(scope.tenantId === undefined ? { id } : { id, tenantId: scope.tenantId });
  }

  /** Newest first; one row more than `limit`, so the caller can tell whether a next page exists. */
  listPage(filter: DeadLetterFilter, page: PageRequest): Promise<DeadLetter[]> {
    const qb = this.repo
      .createQueryBuilder('l')
      .orderBy('l.id', 'DESC')
      .limit(page.limit + 1);
    if (page.cursor) qb.andWhere('l.id < :before', { before: page.cursor });
    if (filter.tenantId !== undefined) qb.andWhere('l.tenant_id = :tenantId', { tenantId: filter.tenantId });
    if (filter.subscriptionId) qb.andWhere('l.subscription_id = :subscriptionId', { subscriptionId: filter.subscriptionId });
    if (filter.eventType) qb.andWhere('l.event_type = :eventType', { eventType: filter.eventType });
    if (filter.since) qb.andWhere('l.created_at >= :since', { since: filter.since });
    if (filter.until) qb.andWhere('l.created_at <= :until', { until: filter.until });
    return qb.getMany();
  }

  /** A tenant's (or one subscription's) dead letters still held (not recovered by a retry, discarded or expired) that were made since `since`. */
  async countSince(filter: StatsWindow): Promise<number> {
    return this.repo
      .createQueryBuilder('l')
      .where(filter.subscriptionId !== undefined ? 'l.subscription_id = :id' : 'l.tenant_id = :id', { id: filter.subscriptionId ?? filter.tenantId })
      .andWhere('l.created_at >= :since', { since: filter.since })
      .getCount();
  }

  /**
   * How many dead letters wait for a retry (their delivery is still dead-lettered, not re-opened).
   * A plain count: a delivery has at most one dead letter (unique delivery_id), so the join makes
   * no duplicates for getCount's COUNT(DISTINCT) to remove (it sorted every id first).
   */
  async countRetryable(filter: DeadLetterFilter): Promise<number> {
    const row: { n: string } | undefined = await this.retryable(filter).select('count(*)', 'n').getRawOne();
    return Number(row?.n ?? 0);
  }

  /** The deliveries of dead letters waiting for a retry, oldest dead letter first. */
  listRetryable(filter: DeadLetterFilter, limit: number): Promise<Delivery[]> {
    return this.retryable(filter).orderBy('l.id', 'ASC').limit(limit).getMany();
  }

  private retryable(filter: DeadLetterFilter) {
    const qb = this.db.getRepository(Delivery).createQueryBuilder('d').innerJoin(DeadLetter, 'l', 'l.delivery_id = d.id').where(`d.status = 'dead_lettered'`);
    // A dead letter has its delivery's tenant, so the delivery side is narrowed to the tenant too:
    // its dead-lettered deliveries come from (tenant_id, status, id) instead of every tenant's
    // from (status, id) (49,516 index entries for 1,975 dead letters at 5 M deliveries:
    // bench/results/2026-12-03-log-at-scale.md).
    if (filter.tenantId !== undefined) qb.andWhere('l.tenant_id = :tenantId AND d.tenant_id = :tenantId', { tenantId: filter.tenantId });
    if (filter.subscriptionId) qb.andWhere('l.subscription_id = :subscriptionId', { subscriptionId: filter.subscriptionId });
    if (filter.eventType) qb.andWhere('l.event_type = :eventType', { eventType: filter.eventType });
    if (filter.since) qb.andWhere('l.created_at >= :since', { since: filter.since });
    if (filter.until) qb.andWhere('l.created_at <= :until', { until: filter.until });
    return qb;
  }

  /** False when there was none. */
  async delete(id: string, scope: TenantScope = {}): Promise<boolean> {
    const result = await this.repo.delete(scope.tenantId === undefined ? { id } : { id, tenantId: scope.tenantId });
    return Boolean(result.affected);
  }

  async deleteForDelivery(deliveryId: string): Promise<void> {
    await this.repo.delete({ deliveryId });
  }

  /** `deleteForDelivery` for several deliveries (their attempts succeeded), in one statement. */
  async deleteForDeliveries(deliveryIds: readonly string[]): Promise<void> {
    await this.db.query(`DELETE FROM dead_letters WHERE delivery_id = ANY ($1::text[])`, [[...deliveryIds]]);
  }

  /** One DeadLetter per delivery: a manual retry that fails again updates it and restarts its retention. */
  async upsert(
    letter: Pick<DeadLetter, 'deliveryId' | 'subscriptionId' | 'tenantId' | 'eventId' | 'eventType' | 'reason' | 'lastStatusCode' | 'attemptCount' | 'payload'>,
    now: Date,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO dead_letters (id, delivery_id, subscription_id, event_id, event_type, reason, last_status_code, attempt_count, payload, created_at, updated_at, expires_at, tenant_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)
       ON CONFLICT (delivery_id) DO UPDATE SET reason = excluded.reason, last_status_code = excluded.last_status_code,
         attempt_count = excluded.attempt_count, payload = excluded.payload, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
      [
        newId('deadLetter'),
        letter.deliveryId,
        letter.subscriptionId,
        letter.eventId,
        letter.eventType,
        letter.reason,
        letter.lastStatusCode,
        letter.attemptCount,
        JSON.stringify(letter.payload),
        now,
        new Date(now.getTime() + DEAD_LETTER_RETENTION_MS),
        letter.tenantId,
      ],
    );
  }

  /** Deletes dead letters past their retention; the delivery log keeps the delivery and its attempts. */
  async purgeExpired(now: Date): Promise<number> {
    const result = await this.repo.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }

  /** Dead letters currently retained (the `herald_dead_letters` gauge). */
  async countRetained(): Promise<number> {
    const [row] = await this.db.query(`SELECT count(*) AS count FROM dead_letters`);
    return Number(row?.count ?? 0);
  }
}
