import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { mapRound } from '../context';
import { cpuPer } from '../cpu';
import { startBenchReceiver } from '../receiver';
import { settle } from '../settle';
import { round, summary } from '../stats';

/** End-to-end throughput and 202 → arrival latency with `fanout` subscriptions per event. */
export async function measureEndToEnd(b: Bench, fanout: number): Promise<void> {
  const receiver = await startBenchReceiver(200);
  const subs = await Promise.all(Array.from({ length: fanout }, (_, i) => b.subscribe(receiver, `s${i}`)));
  // As before each ceiling phase: the previous phase's tail must not count in this one.
  const settled = await settle(b, `e2e × ${fanout}`);
  const t0 = performance.timeOrigin + performance.now();
  const cpu0 = b.cpu();
  const xacts0 = await committed(b);
  // × 5 and × 20 make as many deliveries as × 1 from fewer events.
  const events = Math.floor(b.opts.events / fanout);
  const { accepted, latencies, seconds } = await b.ingest(events, `evt_e2e${fanout}`);
  await eventually(async () => receiver.arrivals.size >= events * fanout, 600_000, `${events * fanout} deliveries`);
  const last = Math.max(...receiver.arrivals.values());
  const lat = [...receiver.arrivals.entries()].map(([k, t]) => t - accepted.get(k.split('|')[0])!);
  b.results[`e2e_x${fanout}`] = {
    events,
    deliveries: events * fanout,
    seconds: round((last - t0) / 1000),
    deliveries_per_s: round((events * fanout) / ((last - t0) / 1000)),
    latency_202_to_arrival_ms: mapRound(summary(lat)),
    ingest_per_s: round(events / seconds),
    ingest_ms: mapRound(summary(latencies)),
    cpu_ms_per_delivery: cpuPer(cpu0, b.cpu(), events * fanout),
    // Transactions Postgres committed per delivery (every process's; a statement outside a
    // transaction is one): the round trips the CPU figures hide in their noise.
    postgres_commits_per_delivery: round((Number(await committed(b, { settled: true })) - Number(xacts0)) / (events * fanout)),
    settle: settled,
  };
  b.log(`e2e ×${fanout}: ${JSON.stringify(b.results[`e2e_x${fanout}`])}`);
  await b.unsubscribe(subs);
  await receiver.close();
}

/**
 * Transactions committed in the bench's database so far. A backend reports its counts when it goes
 * idle, or up to 10 s later when it reported less than a second before (Postgres's
 * PGSTAT_IDLE_INTERVAL): `settled` waits that out, so the phase's last commits are counted (the
 * next phase's start reads after it).
 */
async function committed(b: Bench, opts: { settled?: boolean } = {}): Promise<string> {
  if (opts.settled) await new Promise((r) => setTimeout(r, 11_000));
  return (await b.ds.query(`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`))[0].xact_commit;
}
