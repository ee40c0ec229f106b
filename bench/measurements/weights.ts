import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { startBenchReceiver } from '../receiver';
import { pool, round } from '../stats';
import { BURST_CONCURRENCY } from './ingest-burst';

/** Three tenants and their weights: a premium plan beside two at the default. */
const TENANTS = [
  { id: 'bench_w1a', weight: 1 },
  { id: 'bench_w1b', weight: 1 },
  { id: 'bench_w4', weight: 4 },
] as const;
/** Issue #21: each tenant's share within ±25 % of its weight's share while all are backlogged. */
export const SHARE_TOLERANCE = 0.25;
const DRAIN_BUDGET_MS = 900_000;

/**
 * Tenants of weights 1, 1 and 4 post their bursts at once (`b.opts.weights` events each, the
 * weight-4 tenant four times as many, so all stay backlogged for about as long), and the engine
 * delivers as fast as it can: the deliveries each got while all three were still backlogged,
 * as a share of the total, against its weight's share (1/6, 1/6, 4/6). The window runs from the
 * tenth delivery (the stack has started) to the moment the first tenant's last delivery arrived.
 */
export async function measureWeights(b: Bench): Promise<void> {
  const receiver = await startBenchReceiver(200);
  let weightsSet = true;
  for (const t of TENANTS) {
    const res = await b.call('PUT', `/v1/tenants/${t.id}`, { name: t.id, weight: t.weight });
    // An engine without weights (a --baseline run before issue #21) refuses the field: measure it unweighted.
    if (res.status === 422) {
      weightsSet = false;
      await b.call('PUT', `/v1/tenants/${t.id}`, { name: t.id });
    } else if (res.status >= 300) throw new Error(`tenant ${t.id}: ${res.status} ${JSON.stringify(res.json)}`);
  }
  const subs = await Promise.all(TENANTS.map((t) => b.subscribe(receiver, t.id, [], t.id)));
  const events = TENANTS.flatMap((t) => Array.from({ length: b.opts.weights * t.weight }, (_, i) => ({ tenantId: t.id, id: `evt_${t.id}_${i}` })));
  // Posted interleaved, so no tenant is ahead merely by posting first.
  events.sort((x, y) => Number(x.id.split('_').pop()) - Number(y.id.split('_').pop()));
  let refused = 0;
  const t0 = performance.now();
  await pool(events.length, BURST_CONCURRENCY, async (i) => {
    const res = await b.call('POST', '/v1/events', { ...events[i], type: 'image.created', data: SAMPLE_IMAGE_CREATED });
    if (res.status !== 202) refused++;
  });
  await eventually(async () => receiver.arrivals.size >= events.length - refused, DRAIN_BUDGET_MS, 'the weighted tenants’ deliveries');
  const arrivals = [...receiver.arrivals.entries()].map(([k, t]) => ({ tenant: k.split('|')[1], t })).sort((x, y) => x.t - y.t);
  const lastOf = (id: string): number => Math.max(...arrivals.filter((a) => a.tenant === id).map((a) => a.t));
  const from = arrivals[Math.min(9, arrivals.length - 1)].t;
  const until = Math.min(...TENANTS.map((t) => lastOf(t.id)));
  const inWindow = arrivals.filter((a) => a.t > from && a.t <= until);
  const total = inWindow.length;
  const weightSum = TENANTS.reduce((s, t) => s + t.weight, 0);
  const shares = Object.fromEntries(
    TENANTS.map((t) => {
      const share = inWindow.filter((a) => a.tenant === t.id).length / total;
      const expected = t.weight / weightSum;
      return [t.id, { weight: t.weight, share: round(share), expected: round(expected), vs_expected: round(share / expected) }];
    }),
  );
  b.results.weights = {
    events: events.length,
    weights_set: weightsSet,
    window_s: round((until - from) / 1000),
    deliveries_in_window: total,
    deliveries_per_s: round(total / ((until - from) / 1000)),
    all_drained_after_s: round((arrivals[arrivals.length - 1].t - (performance.timeOrigin + t0)) / 1000),
    shares,
    targets_met: { each_share_within_25pct: Object.values(shares).every((s) => Math.abs(s.vs_expected - 1) <= SHARE_TOLERANCE) },
    refused,
  };
  b.log(`weights: ${JSON.stringify(b.results.weights)}`);
  await b.unsubscribe(subs);
  await receiver.close();
}
