import { Inject, Injectable } from '@nestjs/common';
import type { Stores, TenantScope } from '../../../../libs/db/repositories';
import { deliveryCounts } from '../../../../libs/domain/delivery-stats';
import { NotFound, ValidationFailed } from '../common/errors';
import { STORES } from '../infrastructure/tokens';
import type { TenantStatsQuery } from './dto/tenant-stats.query';
import { toTenantStatsView, type TenantStatsView } from './dto/tenant-stats.view';

/** The window when `since` is not given. */
export const DEFAULT_STATS_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * A tenant's figures, from Postgres: Prometheus series carry no tenant label (one series per
 * tenant would grow without bound), so per-tenant numbers are queries over the delivery log.
 */
@Injectable()
export class TenantStatsService {
  constructor(@Inject(STORES) private readonly stores: Pick<Stores, 'tenants' | 'events' | 'deliveries' | 'attempts' | 'deadLetters'>) {}

  /** `scope`: a tenant session's own tenant; any other tenant is not found, exactly like one that does not exist. */
  async stats(tenantId: string, q: TenantStatsQuery, scope: TenantScope = {}, now = new Date()): Promise<TenantStatsView> {
    const since = this.since(q, now);
    if (scope.tenantId !== undefined && scope.tenantId !== tenantId) throw new NotFound('tenant', tenantId);
    if (!(await this.stores.tenants.exists(tenantId))) throw new NotFound('tenant', tenantId);
    const window = { tenantId, since };
    const [deliveries, attempts, deadLetters, events, pending] = await Promise.all([
      this.stores.deliveries.stats(window),
      this.stores.attempts.stats(window),
      this.stores.deadLetters.countSince(window),
      this.stores.events.backlog({ tenantId }),
      this.stores.deliveries.countPending({ tenantId }),
    ]);
    const backlog = { eventsNotDispatched: events.undispatched, eventsWaitingForWorker: events.waiting, deliveriesWaitingForWorker: pending };
    return toTenantStatsView({ tenantId, since, deliveries: deliveryCounts(deliveries), attempts, deadLetters, backlog });
  }

  private since(q: TenantStatsQuery, now: Date): Date {
    if (q.since === undefined) return new Date(now.getTime() - DEFAULT_STATS_WINDOW_MS);
    const since = new Date(q.since);
    if (Number.isNaN(since.getTime())) throw new ValidationFailed('since is not a valid instant', { field: 'since' });
    if (since > now) throw new ValidationFailed('since must not be in the future', { field: 'since' }, 'invalid_time_range');
    return since;
  }
}
