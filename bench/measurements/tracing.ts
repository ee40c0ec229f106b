import { startJaeger } from '../../libs/devstack/jaeger';
import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { mapRound } from '../context';
import { cpuPer, cpuSnapshot } from '../cpu';
import { startBenchReceiver } from '../receiver';
import { round, summary } from '../stats';

/**
 * The cost of tracing (issue #24: CPU per delivery with tracing on ≤ 1.15 × off). End to end × 1
 * in rounds off → on → off → on, the API and the worker restarted between rounds with or without
 * the OTEL_* variables, exporting to Jaeger (http/protobuf, every span sampled). Alternating
 * rounds spread the drift of a shared machine over both sides. Every round ends with the same
 * 6 s wait (the batch exporter's delay), counted on both sides. Jaeger's own CPU is reported
 * apart: it is the collector's cost, not Herald's.
 */
export async function measureTracing(b: Bench): Promise<void> {
  const jaeger = await startJaeger();
  const receiver = await startBenchReceiver(200);
  const sub = await b.subscribe(receiver, 'tracing');
  const events = Math.max(50, Math.floor(b.opts.events / 4));
  const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
  const rounds: { tracing: boolean; cpu: Record<string, number>; wait: Record<string, number>; jaegerCpuMs: number; latency: Record<string, number> }[] = [];
  const jaegerCpu = (): number => cpuSnapshot({ jaeger: jaeger.process.pid }).jaeger;
  try {
    for (const [i, tracing] of [false, true, false, true].entries()) {
      await b.restartHerald(tracing ? traced : {});
      const seen = receiver.arrivals.size;
      const cpu0 = b.cpu();
      const j0 = jaegerCpu();
      const { accepted } = await b.ingest(events, `evt_trace${i}`);
      await eventually(async () => receiver.arrivals.size >= seen + events, 600_000, `${events} deliveries of round ${i}`);
      const arrived = b.cpu();
      // Spans still buffered are exported within the batch processor's 5 s delay: counted too. The
      // "off" rounds wait as long, so both sides count the same idle seconds (polling, timers):
      // until 2026-12-03 only the "on" rounds did, which put ~6 s of idle CPU on tracing's side.
      await new Promise((r) => setTimeout(r, 6_000));
      const cpu = cpuPer(cpu0, b.cpu(), events);
      const wait = cpuPer(arrived, b.cpu(), events);
      const lat = [...receiver.arrivals.entries()].filter(([k]) => accepted.has(k.split('|')[0])).map(([k, t]) => t - accepted.get(k.split('|')[0])!);
      rounds.push({ tracing, cpu, wait, jaegerCpuMs: round((jaegerCpu() - j0) / events, 2), latency: mapRound(summary(lat)) });
      b.log(`tracing round ${i} (${tracing ? 'on' : 'off'}): ${JSON.stringify(rounds.at(-1))}`);
    }
    const services = (await fetch(`${jaeger.queryUrl}/api/services`).then((r) => r.json())) as { data?: string[] };
    if (!services.data?.includes('herald-worker')) throw new Error(`no span of herald-worker reached Jaeger (services: ${JSON.stringify(services.data)})`);
  } finally {
    await b.restartHerald({});
    await b.unsubscribe([sub]);
    await receiver.close();
    await jaeger.stop();
  }
  const mean = (on: boolean, pick: (r: (typeof rounds)[number]) => number): number => {
    const xs = rounds.filter((r) => r.tracing === on).map(pick);
    return round(xs.reduce((a, x) => a + x, 0) / xs.length, 2);
  };
  // Herald's processes (API + worker) and the whole stack (+ Temporal, Postgres; the bench driver excluded).
  const herald = (r: (typeof rounds)[number]): number => r.cpu.api + r.cpu.worker;
  const stack = (r: (typeof rounds)[number]): number => r.cpu.total - (r.cpu.bench ?? 0);
  const heraldWait = (r: (typeof rounds)[number]): number => r.wait.api + r.wait.worker;
  const stackWait = (r: (typeof rounds)[number]): number => r.wait.total - (r.wait.bench ?? 0);
  b.results.tracing = {
    events_per_round: events,
    rounds,
    cpu_ms_per_delivery_off: { herald: mean(false, herald), stack: mean(false, stack) },
    cpu_ms_per_delivery_on: { herald: mean(true, herald), stack: mean(true, stack), jaeger: mean(true, (r) => r.jaegerCpuMs) },
    on_over_off_herald: round(mean(true, herald) / mean(false, herald), 3),
    on_over_off_stack: round(mean(true, stack) / mean(false, stack), 3),
    // The idle seconds after the last delivery, per delivery (both sides count them), and the
    // ratios as reports before 2026-12-03 computed them (the "off" side without its wait).
    wait_cpu_ms_per_delivery: {
      off: { herald: mean(false, heraldWait), stack: mean(false, stackWait) },
      on: { herald: mean(true, heraldWait), stack: mean(true, stackWait) },
    },
    on_over_off_herald_old_method: round(mean(true, herald) / (mean(false, herald) - mean(false, heraldWait)), 3),
    on_over_off_stack_old_method: round(mean(true, stack) / (mean(false, stack) - mean(false, stackWait)), 3),
    target: '≤ 1.15',
  };
  b.log(`tracing: ${JSON.stringify(b.results.tracing)}`);
}
