import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Tenant } from '../../../../libs/db/entities';
import type { Stores } from '../../../../libs/db/repositories';
import { DEFAULT_TENANT_ID, DEFAULT_TENANT_WEIGHT, isTenantId, TENANT_ID_PATTERN } from '../../../../libs/domain/tenants';
import { DefaultTenantProtected, NotFound, ValidationFailed } from '../common/errors';
import { decodeTenantCursor, DEFAULT_LIMIT, toPage, type Page } from '../common/pagination';
import { STORES } from '../infrastructure/tokens';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import type { ListTenantsQuery } from './dto/list-tenants.query';
import { TENANT_METADATA_MAX_BYTES, type PutTenantDto } from './dto/put-tenant.dto';
import { toTenantView, type TenantView } from './dto/tenant.view';
import type { UpdateTenantDto } from './dto/update-tenant.dto';
import { checkJsonSize } from '../common/json-body';

@Injectable()
export class TenantsService {
  private readonly logger = new Logger('TenantsService');

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'tenants' | 'subscriptions'>,
    @Inject(SubscriptionsService) private readonly subscriptions: SubscriptionsService,
  ) {}

  /** Creates the tenant or replaces its name, metadata and weight. */
  async put(id: string, dto: PutTenantDto): Promise<{ tenant: TenantView; created: boolean }> {
    if (!isTenantId(id))
      throw new ValidationFailed(
        `A tenant id is 1 to 64 characters of A-Za-z0-9 . _ : -`,
        { field: 'id', pattern: TENANT_ID_PATTERN.source },
        'invalid_tenant_id',
      );
    const { tenant, created } = await this.stores.tenants.upsert({
      id,
      name: dto.name ?? id,
      metadata: this.checkMetadata(dto.metadata ?? {}),
      weight: dto.weight ?? DEFAULT_TENANT_WEIGHT,
    });
    if (created) this.logger.log(`tenant ${id} created`);
    return { tenant: toTenantView(tenant), created };
  }

  async list(q: ListTenantsQuery): Promise<Page<TenantView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const cursor = decodeTenantCursor(q.cursor);
    return toPage(await this.stores.tenants.listPage({ namePrefix: q.namePrefix }, { cursor, limit }), limit, toTenantView);
  }

  async get(id: string): Promise<TenantView> {
    return toTenantView(await this.find(id));
  }

  async update(id: string, dto: UpdateTenantDto): Promise<TenantView> {
    const t = await this.find(id);
    if (dto.name !== undefined) t.name = dto.name;
    if (dto.metadata !== undefined) t.metadata = this.checkMetadata(dto.metadata);
    if (dto.weight !== undefined) t.weight = dto.weight;
    await this.stores.tenants.save(t);
    return toTenantView(t);
  }

  /**
   * Deletes each subscription the way deleting one does (its running deliveries are signalled
   * to stop, then it goes with its log and dead letters), then the tenant. Its portal sessions
   * stop working at once: the guard finds no tenant.
   */
  async remove(id: string): Promise<void> {
    const t = await this.find(id);
    if (t.id === DEFAULT_TENANT_ID) throw new DefaultTenantProtected();
    const subscriptionIds = await this.stores.subscriptions.listIds({ tenantId: t.id });
    for (const subscriptionId of subscriptionIds) await this.subscriptions.remove(subscriptionId, { tenantId: t.id });
    // A subscription created meanwhile goes with the tenant (foreign key); its deliveries stop at their next attempt.
    await this.stores.tenants.delete(t.id);
    this.logger.log(`tenant ${t.id} deleted with ${subscriptionIds.length} subscriptions`);
  }

  async find(id: string): Promise<Tenant> {
    const t = await this.stores.tenants.find(id);
    if (!t) throw new NotFound('tenant', id);
    return t;
  }

  private checkMetadata(value: Record<string, unknown>): Record<string, unknown> {
    return checkJsonSize(value, 'metadata', TENANT_METADATA_MAX_BYTES, 'metadata_too_large');
  }
}
