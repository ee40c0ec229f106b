import type { EntityManager } from 'typeorm';
import { Tenant } from '../entities';

/** What a tenant list can be narrowed to. */
export interface TenantFilter {
  /** Tenants whose name starts with this (case-sensitive). */
  namePrefix?: string;
}

/** Tenant lists page by id (the platform's own, not a ULID): the cursor row is a tenant id. */
export interface TenantPageRequest {
  cursor?: string;
  limit: number;
}

/** Queries on tenants. */
export class TenantRepository {
  constructor(private readonly db: EntityManager) {}

  private get repo() {
    return this.db.getRepository(Tenant);
  }

  find(id: string): Promise<Tenant | null> {
    return this.repo.findOneBy({ id });
  }

  async exists(id: string): Promise<boolean> {
    return this.repo.existsBy({ id });
  }

  /** Creates or replaces name, metadata and weight; `created` tells which. */
  async upsert(fields: Pick<Tenant, 'id' | 'name' | 'metadata' | 'weight'>): Promise<{ tenant: Tenant; created: boolean }> {
    const [row]: (RawTenant & { created: boolean })[] = await this.db.query(
      `INSERT INTO tenants (id, name, metadata, weight) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, metadata = excluded.metadata, weight = excluded.weight, updated_at = now()
       RETURNING *, (xmax = 0) AS created`,
      [fields.id, fields.name, JSON.stringify(fields.metadata), fields.weight],
    );
    return { tenant: fromRaw(row), created: row.created };
  }

  /** Makes sure the tenant exists (named after its id when new); an existing one is left as it is. */
  async ensure(id: string): Promise<void> {
    await this.db.query(`INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING`, [id]);
  }

  async save(t: Tenant): Promise<void> {
    await this.repo.save(t);
  }

  /** Deletes it; the foreign keys take its subscriptions, their deliveries, attempts and dead letters with it. */
  async delete(id: string): Promise<boolean> {
    const result = await this.repo.delete({ id });
    return Boolean(result.affected);
  }

  /** By id; one row more than `limit`, so the caller can tell whether a next page exists. */
  listPage(filter: TenantFilter, page: TenantPageRequest): Promise<Tenant[]> {
    // COLLATE "C": byte order, so the cursor comparison and the order agree whatever the database collation.
    const qb = this.repo
      .createQueryBuilder('t')
      .orderBy('t.id COLLATE "C"', 'ASC')
      .limit(page.limit + 1);
    if (page.cursor) qb.andWhere('t.id COLLATE "C" > :after', { after: page.cursor });
    if (filter.namePrefix) qb.andWhere(`starts_with(t.name, :prefix)`, { prefix: filter.namePrefix });
    return qb.getMany();
  }
}

interface RawTenant {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
  weight: number;
  created_at: Date;
  updated_at: Date;
}

function fromRaw(r: RawTenant): Tenant {
  return Object.assign(new Tenant(), { id: r.id, name: r.name, metadata: r.metadata, weight: r.weight, createdAt: r.created_at, updatedAt: r.updated_at });
}
