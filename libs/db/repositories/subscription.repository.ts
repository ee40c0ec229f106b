import type { EntityManager } from 'typeorm';
import { SEALED_PATTERN } from '../../delivery/secret-box';
import { candidateFilters, matchingTenants } from '../../domain/matching';
import { subjectSubscriptionId } from '../../domain/operational-events';
import type { SubscriptionHealth } from '../../domain/subscription-health';
import { Subscription } from '../entities';
import type { PageRequest, TenantScope } from './page';

/** What a subscription list can be narrowed to. */
export interface SubscriptionFilter extends TenantScope {
  enabled?: boolean;
  /** Subscriptions that list any of these filters. */
  anyEventTypeFilter?: readonly string[];
}

/** Written by the health verbs below only. */
type HealthColumn = 'disabledReason' | 'failingSince' | 'consecutiveFailures' | 'failedDeliveries';

/** A subscription's failing clock with what the health rule and its events need. */
export interface SubscriptionHealthRow extends SubscriptionHealth {
  tenantId: string;
  enabled: boolean;
}

/** Queries on subscriptions. */
export class SubscriptionRepository {
  constructor(private readonly db: EntityManager) {}

  private get repo() {
    return this.db.getRepository(Subscription);
  }

  /** Stores a new subscription, healthy; created/updated times are filled in. */
  insert(fields: Omit<Subscription, 'createdAt' | 'updatedAt' | HealthColumn>): Promise<Subscription> {
    return this.repo.save(this.repo.create({ ...fields, disabledReason: null, failingSince: null, consecutiveFailures: 0, failedDeliveries: 0 }));
  }

  /** Null when there is none, or when it belongs to another tenant than `scope`'s. */
  find(id: string, scope: TenantScope = {}): Promise<Subscription | null> {
    return this.repo.findOneBy(scope.tenantId === undefined ? { id } : { id, tenantId: scope.tenantId });
  }

  /** Running or not, the ids of a tenant's subscriptions. */
  async listIds(filter: Required<TenantScope>): Promise<string[]> {
    const rows = await this.repo.find({ select: { id: true }, where: { tenantId: filter.tenantId }, order: { id: 'ASC' } });
    return rows.map((r) => r.id);
  }

  async save(s: Subscription): Promise<void> {
    await this.repo.save(s);
  }

  /** Pauses it; one paused already keeps the time it was first paused. */
  async pause(id: string, now: Date): Promise<void> {
    await this.repo.query(`UPDATE subscriptions SET paused_at = $2, updated_at = $2 WHERE id = $1 AND paused_at IS NULL`, [id, now]);
  }

  /**
   * Resumes it. A delivery being parked at this moment holds a share lock on the row
   * (DeliveryRepository.markPaused), so it is either parked before this commits (and listed by
   * the caller's `listPaused` afterwards) or sees the subscription resumed.
   */
  async resume(id: string, now: Date): Promise<void> {
    await this.repo.query(`UPDATE subscriptions SET paused_at = NULL, updated_at = $2 WHERE id = $1 AND paused_at IS NOT NULL`, [id, now]);
  }

  /** Deletes it; the foreign keys take its deliveries, attempts and dead letters with it. */
  async delete(id: string): Promise<void> {
    await this.repo.delete({ id });
  }

  /** Oldest first; one row more than `limit`, so the caller can tell whether a next page exists. */
  listPage(filter: SubscriptionFilter, page: PageRequest): Promise<Subscription[]> {
    const qb = this.repo
      .createQueryBuilder('s')
      .orderBy('s.id', 'ASC')
      .limit(page.limit + 1);
    if (page.cursor) qb.andWhere('s.id > :after', { after: page.cursor });
    if (filter.tenantId !== undefined) qb.andWhere('s.tenant_id = :tenantId', { tenantId: filter.tenantId });
    if (filter.enabled !== undefined) qb.andWhere('s.enabled = :enabled', { enabled: filter.enabled });
    if (filter.anyEventTypeFilter !== undefined) qb.andWhere('s.event_types && CAST(:filters AS text[])', { filters: [...filter.anyEventTypeFilter] });
    return qb.getMany();
  }

  /**
   * A page (by id) of subscriptions with a custom header value not in the sealed shape: rows
   * written before header values were sealed.
   */
  listWithPlaintextHeaderValues(after: string | null, limit: number): Promise<Pick<Subscription, 'id' | 'headers'>[]> {
    return this.db.query(
      `SELECT id, headers FROM subscriptions
        WHERE ($1::text IS NULL OR id > $1)
          AND EXISTS (SELECT 1 FROM jsonb_each_text(headers) h WHERE h.value !~ $3)
        ORDER BY id LIMIT $2`,
      [after, limit, SEALED_PATTERN],
    );
  }

  /**
   * Sets `headers` only if they still are `expected` (a write since it was read wins), without
   * touching `updated_at`: re-encoding is not a change. Whether the row was changed.
   */
  async replaceHeadersIfUnchanged(id: string, expected: Record<string, string>, headers: Record<string, string>): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.db.query(`UPDATE subscriptions SET headers = $3::jsonb WHERE id = $1 AND headers = $2::jsonb`, [
      id,
      JSON.stringify(expected),
      JSON.stringify(headers),
    ]);
    return affected > 0;
  }

  /**
   * The enabled subscriptions of the event's matching tenants whose event types and templates it
   * passes, but never the subject of an operational event (libs/domain/matching.ts, as SQL), by
   * id, with their payload filter: the caller applies it (`matchesFilter`).
   */
  findEnabledMatching(event: {
    tenantId: string;
    type: string;
    templateId: string | null;
    data?: Record<string, unknown>;
  }): Promise<Pick<Subscription, 'id' | 'url' | 'filter' | 'ordering'>[]> {
    return this.db.query(
      `SELECT id, url, filter, ordering FROM subscriptions
        WHERE tenant_id = ANY ($1::text[]) AND enabled AND event_types && $2::text[]
          AND (cardinality(template_ids) = 0 OR $3::text = ANY (template_ids))
          AND ($4::text IS NULL OR id <> $4)
        ORDER BY id`,
      [matchingTenants(event), candidateFilters(event.type), event.templateId, subjectSubscriptionId(event) ?? null],
    );
  }

  /**
   * The failing clocks an attempt record moves, locked until its transaction ends (FOR NO KEY
   * UPDATE: the attempt insert's foreign-key KEY SHARE lock does not conflict with it), in one
   * statement, in id order: each of `ids` that is failing, and each of `failed` (an attempt to it
   * just failed) whatever its clock. A success on a healthy subscription locks nothing. By id.
   */
  async lockHealth(ids: readonly string[], failed: readonly string[]): Promise<Map<string, SubscriptionHealthRow>> {
    const rows: { id: string; tenant_id: string; enabled: boolean; failing_since: Date | null; consecutive_failures: number; failed_deliveries: number }[] =
      await this.db.query(
        `SELECT id, tenant_id, enabled, failing_since, consecutive_failures, failed_deliveries FROM subscriptions
          WHERE id = ANY ($1::text[]) AND (id = ANY ($2::text[]) OR consecutive_failures > 0 OR failing_since IS NOT NULL)
          ORDER BY id FOR NO KEY UPDATE`,
        [[...new Set(ids)], [...new Set(failed)]],
      );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          tenantId: r.tenant_id,
          enabled: r.enabled,
          failingSince: r.failing_since,
          consecutiveFailures: r.consecutive_failures,
          failedDeliveries: r.failed_deliveries,
        },
      ]),
    );
  }

  /** Writes the failing clock; with `disabledReason`, disables the subscription too. */
  async setHealth(id: string, health: SubscriptionHealth, disabledReason: string | null, now: Date): Promise<void> {
    await this.db.query(
      `UPDATE subscriptions SET failing_since = $2, consecutive_failures = $3, failed_deliveries = $4,
              enabled = CASE WHEN $5::text IS NULL THEN enabled ELSE false END,
              disabled_reason = coalesce($5::text, disabled_reason),
              updated_at = CASE WHEN $5::text IS NULL THEN updated_at ELSE $6 END
        WHERE id = $1`,
      [id, health.failingSince, health.consecutiveFailures, health.failedDeliveries, disabledReason, now],
    );
  }

  /** Re-enabled: no reason to show, and the failing clock starts again from nothing. */
  async clearHealth(id: string): Promise<void> {
    await this.db.query(
      `UPDATE subscriptions SET disabled_reason = NULL, failing_since = NULL, consecutive_failures = 0, failed_deliveries = 0 WHERE id = $1`,
      [id],
    );
  }
}
