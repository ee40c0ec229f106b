import { Inject, Injectable } from '@nestjs/common';
import type { StatsWindow, Stores, TenantScope } from '../../../../libs/db/repositories';
import { deliveryCounts, seriesBucketSeconds, successRate } from '../../../../libs/domain/delivery-stats';
import { NotFound } from '../common/errors';
import { statsSince } from '../common/stats-window';
import { STORES } from '../infrastructure/tokens';
import { toLatencyStatsView, type LatencyStatsView } from './dto/latency-stats.view';
import type { SubscriptionStatsView } from './dto/subscription-stats.view';

/**
 * Latency per endpoint, from Postgres (percentile_cont over the attempts of the window): a
 * Prometheus label per subscription would make one series per endpoint, without bound.
 */
@Injectable()
export class SubscriptionStatsService {
  constructor(@Inject(STORES) private readonly stores: Pick<Stores, 'subscriptions' | 'deliveries' | 'attempts' | 'deadLetters'>) {}

  /** `scope`: a tenant session's own tenant; another tenant's subscription is not found. */
  async stats(id: string, since: string | undefined, scope: TenantScope, now = new Date()): Promise<SubscriptionStatsView> {
    const from = statsSince(since, now);
    const s = await this.stores.subscriptions.find(id, scope);
    if (!s) throw new NotFound('subscription', id);
    const window = { subscriptionId: id, since: from };
    const [deliveries, deadLetters, latency] = await Promise.all([
      this.stores.deliveries.stats(window),
      this.stores.deadLetters.countSince(window),
      latencyStats(this.stores.attempts, window, now),
    ]);
    const counts = deliveryCounts(deliveries);
    return { subscriptionId: id, tenantId: s.tenantId, since: from, deliveries: counts, successRate: successRate(counts), deadLetters, latency };
  }
}

/** The latency block of a tenant's or a subscription's window (the tenant stats carry it too). */
export async function latencyStats(attempts: Pick<Stores['attempts'], 'latency'>, window: StatsWindow, now: Date): Promise<LatencyStatsView> {
  const bucketSeconds = seriesBucketSeconds(now.getTime() - window.since.getTime());
  return toLatencyStatsView(await attempts.latency({ ...window, bucketSeconds }, now), { since: window.since, now, bucketSeconds });
}
