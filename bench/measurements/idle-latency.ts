import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { mapRound } from '../context';
import { latencyBreakdown } from '../cost';
import { startBenchReceiver } from '../receiver';
import { round, summary } from '../stats';

/** Single events, one at a time, on a quiet stack: 202 → arrival without queueing, and which hop it is spent in. */
export async function measureIdleLatency(b: Bench): Promise<void> {
  const sample = b.opts.quick ? 10 : 50;
  const receiver = await startBenchReceiver(200);
  const idleSub = await b.subscribe(receiver, 'idle', ['bench-idle']);
  const lat: number[] = [];
  const times: { accepted: number; arrived: number }[] = [];
  for (let i = 0; i < sample; i++) {
    const { accepted } = await b.ingest(1, `evt_idle${i}`, 1, 'bench-idle');
    const key = `evt_idle${i}_0|idle`;
    await eventually(async () => receiver.arrivals.has(key), 30_000, 'idle delivery');
    times.push({ accepted: accepted.get(`evt_idle${i}_0`)!, arrived: receiver.arrivals.get(key)! });
    lat.push(times[i].arrived - times[i].accepted);
  }
  b.results.idle_latency_202_to_arrival_ms = mapRound(summary(lat));
  // The median of each step over the idle deliveries.
  const steps = await Promise.all(Array.from({ length: sample }, (_, i) => latencyBreakdown(b.client, `event:evt_idle${i}_0`, times[i])));
  b.results.idle_latency_steps_ms = Object.fromEntries(Object.keys(steps[0]).map((k) => [k, round(summary(steps.map((s) => s[k])).p50)]));
  b.log(`idle: ${JSON.stringify(b.results.idle_latency_202_to_arrival_ms)} steps ${JSON.stringify(b.results.idle_latency_steps_ms)}`);
  await b.unsubscribe([idleSub]);
  await receiver.close();
}
