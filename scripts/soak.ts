/**
 * `npm run soak [-- --events 20000 --tenants 50 --subscriptions 3 --rate 12 --minutes 30]`: Herald
 * on the production topology (libs/devstack/cluster.ts) under a steady stream of events, through a
 * rolling upgrade from the previous release and a series of faults. Regenerates
 * docs/production-soak.md (and bench/results/latest-soak.json). Outside `npm test`; bounded by
 * --minutes (the drain stops waiting there and the report says what was still missing).
 *
 * Receivers: one loopback server, one path per subscription. 5 % of them answer 503 until
 * RECOVER_AFTER_MS into the run, then 200; one answers 410 Gone throughout (it never recovers:
 * Herald dead-letters its deliveries and disables it); one in ten takes 3 s to answer, so kills
 * and restarts land mid-attempt.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { buildRelease, startCluster, type HeraldReplica } from '../libs/devstack/cluster';
import { REPO_ROOT } from '../libs/devstack/dev-env';
import { describeFailure } from '../libs/devstack/errors';
import { cacheDir } from '../libs/devstack/toolchain';
import { SAMPLE_IMAGE_CREATED } from '../libs/delivery/payload';
import { round, summary } from '../bench/stats';

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = flag('events', 20_000);
const TENANTS = flag('tenants', 50);
const SUBS_PER_TENANT = flag('subscriptions', 3);
/** Events posted per second (202s), spread over the API replicas. */
const RATE = flag('rate', 12);
const BUDGET_MS = flag('minutes', 30) * 60_000;
/** The previous release: main before this round. */
const PREVIOUS = process.argv.includes('--previous') ? process.argv[process.argv.indexOf('--previous') + 1] : '9ed932f';
/** Flaky receivers fail from the start until this far into the run (past the upgrade and the faults' start). */
const RECOVER_AFTER_MS = 4 * 60_000;
const ADMIN = 'soak-admin-token-0123456789';
const SLOW_MS = 3_000;

/** Stops whatever has started; set once the cluster is up, so a failure mid-run leaves nothing running. */
let stopEverything = async (): Promise<void> => undefined;
const log = (m: string): void => void process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.timeOrigin + performance.now();

type Behaviour = 'ok' | 'slow' | 'flaky' | 'gone';
interface Receiver {
  index: number;
  tenantId: string;
  behaviour: Behaviour;
  subscriptionId?: string;
}
interface Request {
  eventId: string;
  receiver: number;
  status: number;
  at: number;
}
/** A disruption: what was interrupted, when (start and end, ms since epoch). */
interface Disruption {
  what: string;
  start: number;
  end: number;
}

async function main(): Promise<void> {
  const runStart = Date.now();
  const deadline = runStart + BUDGET_MS;
  log(`previous release ${PREVIOUS}: building (cached after the first run)`);
  const previous = await buildRelease(PREVIOUS, join(cacheDir(), 'releases', PREVIOUS), log);
  const current = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

  // Receivers: one per subscription.
  const receivers: Receiver[] = [];
  for (let t = 0; t < TENANTS; t++)
    for (let s = 0; s < SUBS_PER_TENANT; s++) {
      const index = receivers.length;
      receivers.push({ index, tenantId: `soak_tenant_${t}`, behaviour: 'ok' });
    }
  const flakyCount = Math.max(1, Math.round(receivers.length * 0.05));
  // Spread deterministically: every k-th receiver is flaky, the last one is gone, every 10th of the rest slow.
  const step = Math.floor(receivers.length / flakyCount);
  for (let i = 0; i < flakyCount; i++) receivers[i * step + 1].behaviour = 'flaky';
  receivers[receivers.length - 1].behaviour = 'gone';
  receivers.forEach((r, i) => r.behaviour === 'ok' && i % 10 === 5 && (r.behaviour = 'slow'));

  const requests: Request[] = [];
  let soakStart = Number.POSITIVE_INFINITY;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const index = Number(/\/r\/(\d+)/.exec(req.url ?? '')?.[1]);
      const r = receivers[index];
      let eventId = '';
      try {
        eventId = (JSON.parse(Buffer.concat(chunks).toString()) as { id?: string }).id ?? '';
      } catch {
        // not an envelope: not ours
      }
      const status = !r ? 404 : r.behaviour === 'gone' ? 410 : r.behaviour === 'flaky' && now() < soakStart + RECOVER_AFTER_MS ? 503 : 200;
      const answer = (): void => {
        requests.push({ eventId, receiver: index, status, at: now() });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
      };
      if (r?.behaviour === 'slow') setTimeout(answer, SLOW_MS);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiverBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/r/`;

  log(`cluster: starting on the previous release (${PREVIOUS})`);
  const cluster = await startCluster({
    dir: mkdtempSync(join(tmpdir(), 'herald-soak-')),
    release: previous,
    env: {
      TEMPORAL_NAMESPACE: 'default',
      HERALD_ADMIN_TOKEN: ADMIN,
      HERALD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      HERALD_ALLOWED_TARGETS: '127.0.0.1',
      HERALD_ALLOW_HTTP: 'true',
      HERALD_LOG_LEVEL: 'warn',
      HERALD_LOG_FORMAT: 'json',
    },
  });
  const stopAll = async (): Promise<void> => {
    await cluster.stop();
    server.closeAllConnections();
    server.close();
  };
  stopEverything = stopAll;
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  log(`cluster up in ${Math.round((Date.now() - runStart) / 1000)} s (logs in ${cluster.dir})`);

  // The load balancer: round-robin over the API replicas; a replica that refuses or answers 5xx is
  // skipped for this request (the next one is tried), as a balancer with health checks would.
  const agent = new Agent({ connections: 64, connect: { timeout: 2_000 }, headersTimeout: 20_000, bodyTimeout: 20_000 });
  let rr = 0;
  const call = async (method: 'POST' | 'GET', path: string, body?: unknown): Promise<{ status: number; json: { id?: string } | undefined }> => {
    for (let tries = 0; ; tries++) {
      const api = cluster.apis[rr++ % cluster.apis.length];
      try {
        const res = await request(`http://127.0.0.1:${api.port}${path}`, {
          method,
          dispatcher: agent,
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.body.text();
        if (res.statusCode < 500) return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
      } catch {
        // refused or reset: the next replica
      }
      await sleep(Math.min(2_000, 100 * 2 ** Math.min(tries, 4)));
    }
  };

  for (const r of receivers) {
    const res = await call('POST', '/v1/subscriptions', {
      tenantId: r.tenantId,
      url: `${receiverBase}${r.index}`,
      eventTypes: ['image.created'],
      payloadFormat: 'envelope',
    });
    if (res.status !== 201) throw new Error(`subscription: ${res.status} ${JSON.stringify(res.json)}`);
    r.subscriptionId = res.json?.id;
  }
  log(
    `${receivers.length} subscriptions over ${TENANTS} tenants (${flakyCount} flaky until ${RECOVER_AFTER_MS / 60_000} min, 1 gone, ${receivers.filter((r) => r.behaviour === 'slow').length} slow)`,
  );

  // Phases: the label each accepted event carries.
  let phase = 'steady (previous release)';
  const phases: { name: string; start: number; end?: number }[] = [];
  const enter = (name: string): void => {
    const t = now();
    if (phases.length) phases[phases.length - 1].end = t;
    phases.push({ name, start: t });
    phase = name;
    log(`phase: ${name}`);
  };
  const disruptions: Disruption[] = [];
  const disrupt = async (what: string, action: () => Promise<void>): Promise<void> => {
    const d: Disruption = { what, start: now(), end: 0 };
    disruptions.push(d);
    log(what);
    await action();
    d.end = now();
  };

  // Ingest: RATE events a second, each to one tenant in turn.
  const accepted = new Map<string, { at: number; tenant: number; phase: string; ingestMs: number }>();
  let posted = 0;
  let ingestDone = false;
  soakStart = now();
  enter(phase);
  const ingest = (async () => {
    const inflight = new Set<Promise<void>>();
    const t0 = now();
    for (let i = 0; i < EVENTS && Date.now() < deadline - 5 * 60_000; i++) {
      const due = t0 + (i * 1000) / RATE;
      if (due > now()) await sleep(due - now());
      while (inflight.size >= 64) await Promise.race(inflight);
      const id = `evt_soak_${i}`;
      const tenant = i % TENANTS;
      const sent = now();
      const p = call('POST', '/v1/events', { id, tenantId: `soak_tenant_${tenant}`, type: 'image.created', data: SAMPLE_IMAGE_CREATED }).then((res) => {
        if (res.status !== 202) throw new Error(`event ${id}: ${res.status} ${JSON.stringify(res.json)}`);
        const at = now();
        accepted.set(id, { at, tenant, phase, ingestMs: at - sent });
      });
      posted++;
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    }
    await Promise.all(inflight);
    ingestDone = true;
    log(`ingest done: ${accepted.size} events accepted`);
  })();

  const replace = async (r: HeraldReplica, release: string): Promise<void> => {
    await r.stop();
    await r.start(release);
  };
  const phasePlan = (async () => {
    await sleep(60_000);
    enter('rolling upgrade');
    await disrupt(`migration job of ${current}`, () => cluster.migrate(REPO_ROOT));
    // One process at a time, each back and ready before the next goes.
    for (const r of [cluster.workers[0], cluster.apis[0], cluster.workers[1], cluster.apis[1], cluster.workers[2]])
      await disrupt(`upgrade ${r.name} to ${current} (SIGTERM, start, ready)`, () => replace(r, REPO_ROOT));
    enter('steady (current release)');
    await sleep(30_000);
    enter('kill -9');
    // A supervisor (compose's restart policy, Kubernetes) starts a killed process again: 5 s later here.
    await disrupt('kill -9 api-2, restarted after 5 s', async () => {
      await cluster.apis[1].kill9();
      await sleep(5_000);
      await cluster.apis[1].start();
    });
    await disrupt('kill -9 worker-1, restarted after 5 s', async () => {
      await cluster.workers[0].kill9();
      await sleep(5_000);
      await cluster.workers[0].start();
    });
    await sleep(20_000);
    enter('Temporal restarts');
    await disrupt("restart Temporal's history service", () => cluster.temporal.restart('history'));
    await sleep(30_000);
    await disrupt("restart Temporal's matching service", () => cluster.temporal.restart('matching'));
    await sleep(30_000);
    enter("Herald's Postgres down 15 s");
    await disrupt("Herald's Postgres stopped for 15 s", async () => {
      await cluster.stopHeraldPostgres();
      await sleep(15_000);
      await cluster.startHeraldPostgres();
    });
    await sleep(30_000);
    enter('steady (after the faults)');
  })();

  // Expected: every accepted event at every subscription of its tenant, but the gone one's.
  const tenantReceivers = (tenant: number): Receiver[] => receivers.filter((r) => r.tenantId === `soak_tenant_${tenant}`);
  const firstSuccess = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const q of requests) if (q.status === 200 && !m.has(`${q.eventId}|${q.receiver}`)) m.set(`${q.eventId}|${q.receiver}`, q.at);
    return m;
  };
  const missing = (): string[] => {
    const arrived = firstSuccess();
    const out: string[] = [];
    for (const [id, a] of accepted)
      for (const r of tenantReceivers(a.tenant)) if (r.behaviour !== 'gone' && !arrived.has(`${id}|${r.index}`)) out.push(`${id}|${r.index}`);
    return out;
  };
  await phasePlan;
  await ingest;
  enter('drain');
  let left = missing();
  while (left.length > 0 && Date.now() < deadline) {
    log(`drain: ${left.length} deliveries not arrived yet`);
    await sleep(10_000);
    left = missing();
  }
  phases[phases.length - 1].end = now();

  // Herald's own record: dead letters and delivery statuses.
  const db = new Client({ connectionString: cluster.databaseUrl });
  await db.connect();
  const deadLetters = (await db.query('SELECT subscription_id, count(*)::int AS n FROM dead_letters GROUP BY subscription_id')).rows as {
    subscription_id: string;
    n: number;
  }[];
  const statuses = (await db.query("SELECT status, count(*)::int AS n FROM deliveries WHERE event_id LIKE 'evt_soak_%' GROUP BY status")).rows as {
    status: string;
    n: number;
  }[];
  await db.end();

  const cpuCount = cpus().length;
  await stopAll();
  await agent.close();

  const report = analyse({
    receivers,
    requests,
    accepted,
    phases,
    disruptions,
    deadLetters,
    statuses,
    missing: left,
    posted,
    ingestDone,
    meta: { previous: PREVIOUS, current, events: EVENTS, rate: RATE, cores: cpuCount, seconds: Math.round((Date.now() - runStart) / 1000) },
  });
  writeFileSync(join(REPO_ROOT, 'docs', 'production-soak.md'), report.markdown);
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench', 'results', 'latest-soak.json'), JSON.stringify(report.figures, null, 2) + '\n');
  log(`done: docs/production-soak.md (${report.figures.verdict})`);
  process.exit(report.figures.verdict === 'pass' ? 0 : 1);
}

function analyse(o: {
  receivers: Receiver[];
  requests: Request[];
  accepted: Map<string, { at: number; tenant: number; phase: string; ingestMs: number }>;
  phases: { name: string; start: number; end?: number }[];
  disruptions: Disruption[];
  deadLetters: { subscription_id: string; n: number }[];
  statuses: { status: string; n: number }[];
  missing: string[];
  posted: number;
  ingestDone: boolean;
  meta: Record<string, string | number>;
}): { markdown: string; figures: { verdict: string } & Record<string, unknown> } {
  const byKey = new Map<string, Request[]>();
  for (const q of o.requests) {
    if (!o.accepted.has(q.eventId)) continue;
    const k = `${q.eventId}|${q.receiver}`;
    byKey.set(k, [...(byKey.get(k) ?? []), q]);
  }
  // A duplicate: a second 200 for one event at one subscription. Explained when the first 200 was
  // answered while a disruption was under way (or within an attempt's 30 s timeout before it):
  // the attempt that got it was cut off before Herald recorded its success, and was made again.
  const duplicates: { key: string; first: number; explainedBy?: string }[] = [];
  for (const [key, qs] of byKey) {
    const ok = qs.filter((q) => q.status === 200);
    for (let i = 1; i < ok.length; i++) {
      const first = ok[0].at;
      const d = o.disruptions.find((x) => first >= x.start - 35_000 && first <= (x.end || x.start) + 5_000);
      duplicates.push({ key, first, explainedBy: d?.what });
    }
  }
  const gone = o.receivers.find((r) => r.behaviour === 'gone')!;
  const expected = [...o.accepted.values()].reduce(
    (n, a) => n + o.receivers.filter((r) => r.tenantId === `soak_tenant_${a.tenant}` && r.behaviour !== 'gone').length,
    0,
  );
  const arrivals: { key: string; at: number; latency: number; phase: string; behaviour: Behaviour }[] = [];
  for (const [key, qs] of byKey) {
    const first = qs.find((q) => q.status === 200);
    if (!first) continue;
    const a = o.accepted.get(first.eventId)!;
    arrivals.push({ key, at: first.at, latency: first.at - a.at, phase: a.phase, behaviour: o.receivers[first.receiver].behaviour });
  }
  const deadBySub = new Map(o.deadLetters.map((d) => [d.subscription_id, d.n]));
  const deadElsewhere = o.deadLetters.filter((d) => d.subscription_id !== gone.subscriptionId).reduce((n, d) => n + d.n, 0);
  const phaseRows = o.phases.map((p) => {
    const end = p.end ?? p.start;
    const events = [...o.accepted.values()].filter((a) => a.phase === p.name);
    const inPhase = arrivals.filter((a) => a.at >= p.start && a.at < end);
    const lat = arrivals.filter((a) => a.phase === p.name && a.behaviour !== 'flaky').map((a) => a.latency);
    const s = summary(lat);
    return {
      phase: p.name,
      seconds: round((end - p.start) / 1000),
      events_accepted: events.length,
      deliveries_arrived: inPhase.length,
      deliveries_per_s: round(inPhase.length / Math.max(1, (end - p.start) / 1000)),
      p50_ms: round(s.p50, 0),
      p99_ms: round(s.p99, 0),
      ingest_p99_ms: round(summary(events.map((e) => e.ingestMs)).p99, 0),
    };
  });
  const unexplained = duplicates.filter((d) => !d.explainedBy);
  const goneOnlyDead = deadElsewhere === 0 && (deadBySub.get(gone.subscriptionId!) ?? 0) > 0;
  const verdict = o.missing.length === 0 && unexplained.length === 0 && goneOnlyDead ? 'pass' : 'fail';
  const figures = {
    meta: o.meta,
    verdict,
    events_posted: o.posted,
    events_accepted: o.accepted.size,
    deliveries_expected: expected,
    deliveries_arrived: arrivals.length,
    deliveries_missing: o.missing.length,
    missing_sample: o.missing.slice(0, 20),
    duplicates: duplicates.length,
    duplicates_unexplained: unexplained.length,
    duplicates_by_disruption: Object.fromEntries(
      [...new Set(duplicates.map((d) => d.explainedBy ?? 'unexplained'))].map((w) => [
        w,
        duplicates.filter((d) => (d.explainedBy ?? 'unexplained') === w).length,
      ]),
    ),
    dead_letters_gone_receiver: deadBySub.get(gone.subscriptionId!) ?? 0,
    dead_letters_elsewhere: deadElsewhere,
    delivery_statuses: Object.fromEntries(o.statuses.map((s) => [s.status, s.n])),
    recovered_after_failing: arrivals.filter((a) => a.behaviour === 'flaky').length,
    phases: phaseRows,
    disruptions: o.disruptions.map((d) => ({ what: d.what, seconds: round((d.end - d.start) / 1000) })),
  };
  const t = (rows: Record<string, unknown>[]): string => {
    const cols = Object.keys(rows[0] ?? {});
    return [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cols.map((c) => String(r[c])).join(' | ')} |`)].join(
      '\n',
    );
  };
  const markdown = `# Production soak

Regenerated by \`npm run soak\` (scripts/soak.ts); this copy: ${new Date().toISOString().slice(0, 16)} UTC, ${o.meta.cores} cores
**shared with other jobs** (absolute figures are low and noisy: read the phases against each other).

Herald on the production topology of \`npm run cluster\` — Temporal ${'frontend, history, matching and worker'} as separate
processes on Postgres with SQL visibility, Herald's own Postgres apart, 2 APIs behind a round-robin
balancer, 3 workers — took ${o.accepted.size} events (of ${o.meta.events} asked; ${o.meta.rate}/s over ${new Set(o.receivers.map((r) => r.tenantId)).size} tenants,
${o.receivers.length / new Set(o.receivers.map((r) => r.tenantId)).size} subscriptions each) while it was upgraded from the previous release
(\`${o.meta.previous}\`) to \`${o.meta.current}\` one process at a time and faults were injected.
${o.receivers.filter((r) => r.behaviour === 'flaky').length} receivers (5 %) answered 503 for the first ${RECOVER_AFTER_MS / 60_000} minutes, then 200; one answered
410 Gone throughout; one in ten took ${SLOW_MS / 1000} s to answer, so kills landed mid-attempt.

## Verdict: ${verdict}

| check | result |
|---|---|
| every accepted event delivered to every matching subscription | ${figures.deliveries_arrived} of ${expected} arrived, **${o.missing.length} missing** |
| duplicates (a second 200 for one event at one subscription) | ${duplicates.length}, ${unexplained.length} not explained by an interrupted attempt |
| dead letters only where the receiver never recovered | ${figures.dead_letters_gone_receiver} at the 410 receiver, ${deadElsewhere} elsewhere |
| deliveries that failed, waited on retry timers, then arrived | ${figures.recovered_after_failing} |
| Herald's delivery statuses at the end | ${JSON.stringify(figures.delivery_statuses)} |
| run | ${o.meta.seconds} s in all; ${o.ingestDone ? 'ingest finished' : 'ingest stopped at its time limit'} |

Duplicates by the disruption that interrupted their first attempt: ${JSON.stringify(figures.duplicates_by_disruption)}.

## Phases

Throughput counts the deliveries that arrived during the phase; latency is 202 → first 200 at the
receiver for events accepted in the phase (the 503 receivers' deliveries, which wait on retry timers
by design, left out).

${t(phaseRows)}

## What was done, in order

${t(figures.disruptions)}
`;
  return { markdown, figures };
}

main().catch(async (err: unknown) => {
  process.stderr.write(`soak failed: ${describeFailure(err)}\n`);
  await stopEverything().catch(() => undefined);
  process.exit(1);
});
