import { Inject, Injectable } from '@nestjs/common';
import type { Stores, TenantScope } from '../../../../libs/db/repositories';
import { deliveryCounts } from '../../../../libs/domain/delivery-stats';
import { NotFound } from '../common/errors';
import { statsSince } from '../common/stats-window';
import { STORES } from '../infrastructure/tokens';
import { latencyStats } from '../subscriptions/subscription-stats.service';
import type { TenantStatsQuery } from './dto/tenant-stats.query';
import { toTenantStatsView, type TenantStatsView } from './dto/tenant-stats.view';

/**
 * A tenant's figures, from Postgres: Prometheus series carry no tenant label (one series per
 * tenant would grow without bound), so per-tenant numbers are queries over the delivery log.
 */
@Injectable()
export class TenantStatsService {
  constructor(@Inject(STORES) private readonly stores: Pick<Stores, 'tenants' | 'events' | 'deliveries' | 'attempts' | 'deadLetters'>) {}

  /** `scope`: a tenant session's own tenant; any other tenant is not found, exactly like one that does not exist. */
  async stats(tenantId: string, q: TenantStatsQuery, scope: TenantScope = {}, now = new Date()): Promise<TenantStatsView> {
    const since = statsSince(q.since, now);
    if (scope.tenantId !== undefined && scope.tenantId !== tenantId) throw new NotFound('tenant', tenantId);
    if (!(await this.stores.tenants.exists(tenantId))) throw new NotFound('tenant', tenantId);
    const window = { tenantId, since };
    const [deliveries, deadLetters, latency, events, pending] = await Promise.all([
      this.stores.deliveries.stats(window),
      this.stores.deadLetters.countSince(window),
      latencyStats(this.stores.attempts, window, now),
      this.stores.events.backlog({ tenantId }),
      this.stores.deliveries.countPending({ tenantId }),
    ]);
    // The summary's attempts and p50/p95 are the latency block's: the same attempts, one pass over them.
    const attempts = { attempts: latency.attempts, durationMs: { p50: latency.attemptDurationMs.p50, p95: latency.attemptDurationMs.p95 } };
    const backlog = { eventsNotDispatched: events.undispatched, eventsWaitingForWorker: events.waiting, deliveriesWaitingForWorker: pending };
    return { ...toTenantStatsView({ tenantId, since, deliveries: deliveryCounts(deliveries), attempts, deadLetters, backlog }), latency };
  }
}
