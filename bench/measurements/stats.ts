import { createStores, latencyQueries } from '../../libs/db/repositories';
import { seriesBucketSeconds } from '../../libs/domain/delivery-stats';
import { ulid } from '../../libs/domain/ids';
import type { Bench } from '../context';
import { round, summary } from '../stats';

const TENANT = 'bench-stats';
const SUBSCRIPTIONS = 10;
const DAYS = 30;
/** One delivery in this many needs a second attempt (a 503, then a 200 a second later). */
const RETRIED_ONE_IN = 7;
const BATCH = 5_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The latency figures at scale: `--stats-attempts N` attempts (default 1,000,000; `--quick`
 * 60,000) spread over 30 days and 10 subscriptions of one tenant, written straight into
 * Postgres (ids made at their own times, so they sort as real ones do). Then the API's
 * `GET /v1/subscriptions/:id/stats` and `GET /v1/tenants/:id/stats` are timed over 24 hours, 7
 * and 30 days — before the hourly stats rollup ran, and after its first run over the month (timed
 * too) — and the three statements behind the latency block are EXPLAINed (ANALYZE,
 * BUFFERS) for one subscription's day: the plan docs/architecture.md quotes.
 */
export async function measureStats(b: Bench, attempts: number): Promise<void> {
  const subs: string[] = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const res = await b.call('POST', '/v1/subscriptions', {
      url: `http://127.0.0.1:9/bench-stats-${i}`,
      eventTypes: ['image.created'],
      templateIds: ['tpl_bench_stats_never_posted'],
      tenantId: TENANT,
    });
    if (res.status !== 201) throw new Error(`bench stats: subscription not created: ${res.status} ${JSON.stringify(res.json)}`);
    subs.push(res.json.id);
  }
  const deliveries = Math.round(attempts / (1 + 1 / RETRIED_ONE_IN));
  const t0 = performance.now();
  const end = Date.now() - 60_000;
  const start = end - DAYS * DAY_MS;
  let made = 0;
  for (let from = 0; from < deliveries; from += BATCH) {
    const ev: { id: string; at: Date }[] = [];
    const dl: { id: string; evt: string; sub: string; at: Date; status: string; count: number }[] = [];
    const at: { id: string; dlv: string; sub: string; n: number; ok: boolean; code: number; kind: string | null; ms: number; start: Date; end: Date }[] = [];
    for (let i = from; i < Math.min(deliveries, from + BATCH); i++) {
      // Oldest first: ulid() is monotonic, so each id carries (at least) its own time.
      const t = start + Math.floor(((end - start) * i) / deliveries);
      const evt = `evt_${ulid(t)}`;
      const dlv = `dlv_${ulid(t + 5)}`;
      const sub = subs[i % SUBSCRIPTIONS];
      const retried = i % RETRIED_ONE_IN === 0;
      ev.push({ id: evt, at: new Date(t) });
      dl.push({ id: dlv, evt, sub, at: new Date(t + 5), status: 'succeeded', count: retried ? 2 : 1 });
      // Durations of 20–400 ms, a slow tail at every 50th.
      const ms = 20 + ((i * 37) % 380) + (i % 50 === 0 ? 2_000 : 0);
      if (retried) {
        at.push({
          id: `atm_${ulid(t + 10)}`,
          dlv,
          sub,
          n: 1,
          ok: false,
          code: 503,
          kind: 'http_status',
          ms: 30,
          start: new Date(t + 10),
          end: new Date(t + 40),
        });
        at.push({
          id: `atm_${ulid(t + 1_040)}`,
          dlv,
          sub,
          n: 2,
          ok: true,
          code: 200,
          kind: null,
          ms,
          start: new Date(t + 1_040),
          end: new Date(t + 1_040 + ms),
        });
      } else {
        at.push({ id: `atm_${ulid(t + 10)}`, dlv, sub, n: 1, ok: true, code: 200, kind: null, ms, start: new Date(t + 10), end: new Date(t + 10 + ms) });
      }
    }
    await b.ds.query(
      `INSERT INTO events (id, tenant_id, type, data, received_at, workflow_started_at)
       SELECT id, $1, 'image.created', '{}', at, at FROM unnest($2::text[], $3::timestamptz[]) AS x (id, at)`,
      [TENANT, ev.map((e) => e.id), ev.map((e) => e.at)],
    );
    await b.ds.query(
      `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, status, attempt_count, workflow_id, created_at, updated_at, completed_at)
       SELECT id, evt, sub, $1, 'image.created', status, n, 'event:' || evt, at, at, at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[]) AS x (id, evt, sub, status, n, at)`,
      [TENANT, dl.map((d) => d.id), dl.map((d) => d.evt), dl.map((d) => d.sub), dl.map((d) => d.status), dl.map((d) => d.count), dl.map((d) => d.at)],
    );
    await b.ds.query(
      `INSERT INTO attempts (id, delivery_id, subscription_id, number, trigger, url, ok, status_code, error_kind, duration_ms, started_at, finished_at)
       SELECT id, dlv, sub, n, 'scheduled', 'http://127.0.0.1:9/bench-stats', ok, code, kind, ms, s, e
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bool[], $6::int[], $7::text[], $8::int[], $9::timestamptz[], $10::timestamptz[])
           AS x (id, dlv, sub, n, ok, code, kind, ms, s, e)`,
      [
        at.map((a) => a.id),
        at.map((a) => a.dlv),
        at.map((a) => a.sub),
        at.map((a) => a.n),
        at.map((a) => a.ok),
        at.map((a) => a.code),
        at.map((a) => a.kind),
        at.map((a) => a.ms),
        at.map((a) => a.start),
        at.map((a) => a.end),
      ],
    );
    made += at.length;
  }
  await b.ds.query(`VACUUM (ANALYZE) events, deliveries, attempts`);
  const seedSeconds = (performance.now() - t0) / 1000;
  b.log(`stats: seeded ${made} attempts of ${deliveries} deliveries over ${DAYS} days in ${round(seedSeconds, 1)} s`);
  const [{ total }]: { total: string }[] = await b.ds.query(`SELECT count(*) AS total FROM attempts`);

  const figures: Record<string, unknown> = {
    attempts_seeded: made,
    attempts_in_table: Number(total),
    subscriptions: SUBSCRIPTIONS,
    days: DAYS,
    seed_seconds: round(seedSeconds, 1),
  };
  const time = async (path: string): Promise<{ p50: number; max: number; attempts: number }> => {
    const ms: number[] = [];
    let counted = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const res = await b.call('GET', path);
      ms.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`bench stats: ${path}: ${res.status} ${JSON.stringify(res.json)}`);
      counted = res.json.latency.attempts;
    }
    const s = summary(ms.sort((x, y) => x - y));
    return { p50: round(s.p50, 1), max: round(s.max, 1), attempts: counted };
  };
  const timeWindows = async (suffix: string): Promise<void> => {
    for (const [label, days] of [
      ['24h', 1],
      ['7d', 7],
      ['30d', DAYS],
    ] as const) {
      const since = encodeURIComponent(new Date(Date.now() - days * DAY_MS).toISOString());
      const sub = await time(`/v1/subscriptions/${subs[0]}/stats?since=${since}`);
      const tenant = await time(`/v1/tenants/${TENANT}/stats?since=${since}`);
      figures[`subscription_${label}${suffix}_ms`] = sub;
      figures[`tenant_${label}${suffix}_ms`] = tenant;
      b.log(`stats ${label}${suffix}: subscription ${JSON.stringify(sub)} ms, tenant ${JSON.stringify(tenant)} ms`);
    }
  };
  // Before the rollup has run: windows over a day read every attempt (as latency histograms).
  await timeWindows('');
  // The hourly rollup's first run over the seeded month (a day per step), then the same windows.
  const stores = createStores(b.ds);
  const attemptsRepo = stores.attempts;
  const r0 = performance.now();
  let steps = 0;
  for (let more = true; more; steps++) more = (await attemptsRepo.rollupHours(new Date(), new Date(Date.now() - (DAYS + 1) * DAY_MS))).more;
  figures.rollup_first_run = {
    steps,
    seconds: round((performance.now() - r0) / 1000, 1),
    rows: Number((await b.ds.query(`SELECT count(*) AS n FROM attempt_stats_hourly`))[0].n),
  };
  const h0 = performance.now();
  await attemptsRepo.rollupHours(new Date(), new Date(Date.now() - (DAYS + 1) * DAY_MS));
  figures.rollup_hourly_step_ms = round(performance.now() - h0, 1);
  b.log(`stats rollup: ${JSON.stringify(figures.rollup_first_run)}, an hourly step ${figures.rollup_hourly_step_ms} ms`);
  await timeWindows('_rolled');
  // Where a tenant's month goes, part by part (the service sends them together).
  const window = { tenantId: TENANT, since: new Date(Date.now() - DAYS * DAY_MS) };
  const part = async (f: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await f();
    return round(performance.now() - t, 1);
  };
  figures.tenant_30d_parts_ms = {
    latency: await part(() => attemptsRepo.latency({ ...window, bucketSeconds: seriesBucketSeconds(DAYS * DAY_MS) })),
    deliveryCounts: await part(() => stores.deliveries.stats(window)),
    deadLetters: await part(() => stores.deadLetters.countSince(window)),
  };
  b.log(`stats tenant 30d parts: ${JSON.stringify(figures.tenant_30d_parts_ms)} ms`);

  // The plans: one subscription's day, and the whole tenant over 30 days; each statement EXPLAINed as the repository sends it.
  const explain = async (label: string, window: { subscriptionId: string } | { tenantId: string }, days: number): Promise<void> => {
    const since = new Date(Date.now() - days * DAY_MS);
    const queries = latencyQueries({ ...window, since, bucketSeconds: seriesBucketSeconds(days * DAY_MS) } as Parameters<typeof latencyQueries>[0]);
    const plans: Record<string, string[]> = {};
    for (const [name, q] of Object.entries(queries)) {
      const rows: { 'QUERY PLAN': string }[] = await b.ds.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`, q.params);
      plans[name] = rows.map((r) => r['QUERY PLAN']);
      b.log(`stats plan ${label} ${name}: ${plans[name].find((l) => l.startsWith('Execution Time')) ?? ''}`);
    }
    figures[`plan_${label}`] = plans;
  };
  await explain('subscription_24h', { subscriptionId: subs[0] }, 1);
  await explain('tenant_30d', { tenantId: TENANT }, DAYS);
  b.results.stats = figures;
}
