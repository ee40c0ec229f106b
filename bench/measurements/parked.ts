import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CONCURRENCY, mapRound, type Bench } from '../context';
import { startBenchReceiver } from '../receiver';
import { pool, round, summary } from '../stats';

function fileMiB(path: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      /* absent */
    }
  }
  return total / 2 ** 20;
}

/**
 * Deliveries parked in retry timers (worker RSS, disk, API latency), at each of `b.opts.parked`'s
 * steps (e.g. 1,000, 5,000, 10,000: one run parks up to each in turn); then recovery and the
 * drain after retryNow. Memory is read once the worker has gone quiet after the last park, so it
 * is what parked deliveries hold, plus what the parking left behind; the peak is noted beside it.
 */
export async function measureParked(b: Bench): Promise<void> {
  const steps = b.opts.parked;
  const parked = steps[steps.length - 1];
  const failing = await startBenchReceiver(500);
  const sub = await b.subscribe(failing, 'parked');
  const memoryBefore = await b.workerMemory();
  const cpu0 = b.cpu();
  const t0 = Date.now();
  const results: Record<string, unknown> = { deliveries: parked, worker_rss_at_start_mib: b.rssAtStart, worker_memory_before_mib: memoryBefore };
  const byStep: Record<string, unknown>[] = [];
  let ingested = 0;
  for (const step of steps) {
    await b.ingest(step - ingested, `evt_park_${ingested}`);
    ingested = step;
    // Parked: attempts 1 and 2 failed (the second at once), the 1-minute timer is running. Later
    // attempts of the first ones (1, 5, 15 minutes on) re-park them: they stay counted.
    // Polled once a second, not eventually()'s ten times: the count itself must not load Postgres.
    const deadline = Date.now() + 3_600_000;
    for (;;) {
      const [{ n }] = await b.ds.query(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND status = 'retrying' AND attempt_count >= 2`, [
        sub,
      ]);
      if (n >= step) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${step} parked deliveries (${n})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = b.cpu();
    await quiet(b);
    const memory = await b.workerMemory();
    byStep.push({
      parked: step,
      seconds_to_park: round(seconds),
      worker_cpu_s: round((cpu.worker - cpu0.worker) / 1000),
      temporal_cpu_s: round((cpu.temporal - cpu0.temporal) / 1000),
      worker_memory_mib: memory,
    });
    b.log(`parked: ${JSON.stringify(byStep[byStep.length - 1])}`);
  }
  const last = byStep[byStep.length - 1];
  const memory = last.worker_memory_mib as Record<string, number>;
  const apiLat: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    await b.call('GET', `/v1/deliveries?subscriptionId=${sub}&limit=50`);
    apiLat.push(performance.now() - s);
  }
  const [{ size }] = await b.ds.query(`SELECT pg_database_size('herald') AS size`);
  Object.assign(results, {
    seconds_to_park: last.seconds_to_park,
    worker_rss_mib: memory.rss,
    worker_memory_mib: memory,
    steps: byStep,
    temporal_db_mib: round(fileMiB(join(b.stack.dir, 'temporal.db'))),
    postgres_db_mib: round(Number(size) / 2 ** 20),
    api_list_ms: mapRound(summary(apiLat)),
  });
  b.results.parked = results;
  b.log(`parked: ${JSON.stringify({ ...results, steps: undefined })}`);
  if (!b.opts.parkedDrain) return void (await failing.close());
  failing.status = 200;
  // The receiver recovers; an operator sends retryNow (through the API) to every delivery.
  const d0 = performance.now();
  const deadline = Date.now() + 900_000;
  // One retryNow each is enough (one that lands mid-attempt skips the next wait). Only if
  // arrivals stall for 15 s are the stragglers signalled again: signalling everything in a
  // loop would flood the queue with redundant signals and measure that instead.
  let signalled = 0;
  while (failing.arrivals.size < parked) {
    if (Date.now() > deadline) throw new Error('timed out waiting for drain');
    const ids: { id: string }[] = await b.ds.query(`SELECT id FROM deliveries WHERE subscription_id = $1 AND status <> 'succeeded'`, [sub]);
    signalled += ids.length;
    await pool(ids.length, CONCURRENCY, async (i) => {
      await b.call('POST', `/v1/deliveries/${ids[i].id}/retry`);
    });
    let seen = failing.arrivals.size;
    let lastProgress = Date.now();
    while (failing.arrivals.size < parked && Date.now() - lastProgress < 15_000) {
      await new Promise((r) => setTimeout(r, 250));
      if (failing.arrivals.size > seen) [seen, lastProgress] = [failing.arrivals.size, Date.now()];
    }
  }
  results.retry_requests = signalled;
  results.drain_seconds = round((performance.now() - d0) / 1000);
  b.log(`drained in ${results.drain_seconds} s`);
  await failing.close();
}

/** Waits (up to 30 s) for a second in which the worker used under 50 ms of CPU: the parking's tail has settled. */
async function quiet(b: Bench): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const before = b.cpu().worker;
    await new Promise((r) => setTimeout(r, 1000));
    if (b.cpu().worker - before < 50) return;
  }
}
