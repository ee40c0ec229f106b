import type { EntityManager } from 'typeorm';
import { candidateFilters } from '../../domain/matching';
import { Subscription } from '../entities';
import type { PageRequest } from './page';

/** What a subscription list can be narrowed to. */
export interface SubscriptionFilter {
  enabled?: boolean;
  /** Subscriptions that list any of these filters. */
  anyEventTypeFilter?: readonly string[];
}

/** Queries on subscriptions. */
export class SubscriptionRepository {
  constructor(private readonly db: EntityManager) {}

  private get repo() {
    return this.db.getRepository(Subscription);
  }

  /** Stores a new subscription; created/updated times are filled in. */
  insert(fields: Omit<Subscription, 'createdAt' | 'updatedAt'>): Promise<Subscription> {
    return this.repo.save(this.repo.create(fields));
  }

  find(id: string): Promise<Subscription | null> {
    return this.repo.findOneBy({ id });
  }

  async save(s: Subscription): Promise<void> {
    await this.repo.save(s);
  }

  /** Deletes it; the foreign keys take its deliveries, attempts and dead letters with it. */
  async delete(id: string): Promise<void> {
    await this.repo.delete({ id });
  }

  /** Oldest first; one row more than `limit`, so the caller can tell whether a next page exists. */
  listPage(filter: SubscriptionFilter, page: PageRequest): Promise<Subscription[]> {
    const qb = this.repo.createQueryBuilder('s').orderBy('s.id', 'ASC').limit(page.limit + 1);
    if (page.cursor) qb.andWhere('s.id > :after', { after: page.cursor });
    if (filter.enabled !== undefined) qb.andWhere('s.enabled = :enabled', { enabled: filter.enabled });
    if (filter.anyEventTypeFilter !== undefined) qb.andWhere('s.event_types && CAST(:filters AS text[])', { filters: [...filter.anyEventTypeFilter] });
    return qb.getMany();
  }

  /**
   * The enabled subscriptions whose event types and templates an event passes (libs/domain/matching.ts,
   * as SQL), by id, with their payload filter: the caller applies it (`matchesFilter`).
   */
  findEnabledMatching(event: { type: string; templateId: string | null }): Promise<Pick<Subscription, 'id' | 'url' | 'filter'>[]> {
    return this.db.query(
      `SELECT id, url, filter FROM subscriptions
        WHERE enabled AND event_types && $1::text[]
          AND (cardinality(template_ids) = 0 OR $2::text = ANY (template_ids))
        ORDER BY id`,
      [candidateFilters(event.type), event.templateId],
    );
  }
}
