import { statSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../../test/support/engine';
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

/** Deliveries parked in retry timers (worker RSS, disk, API latency); then recovery and the drain after retryNow. */
export async function measureParked(b: Bench): Promise<void> {
  const parked = b.opts.parked;
  const failing = await startBenchReceiver(500);
  const sub = await b.subscribe(failing, 'parked');
  const memoryBefore = await b.workerMemory();
  const t0 = Date.now();
  await b.ingest(parked, 'evt_park');
  // Two immediate failures each, then a 1-minute timer.
  await eventually(async () => (failing.requestsBy.get('parked') ?? 0) >= parked * 2, 900_000, 'parked deliveries');
  const parkedAfter = (Date.now() - t0) / 1000;
  const rss = b.workerRss();
  const memory = await b.workerMemory();
  const apiLat: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    await b.call('GET', `/v1/deliveries?subscriptionId=${sub}&limit=50`);
    apiLat.push(performance.now() - s);
  }
  const [{ size }] = await b.ds.query(`SELECT pg_database_size('herald') AS size`);
  const results: Record<string, unknown> = {
    deliveries: parked,
    seconds_to_park: round(parkedAfter),
    worker_rss_mib: rss,
    worker_rss_at_start_mib: b.rssAtStart,
    // RSS beyond the V8 heap and external buffers is the native core's (its cache of runs, gRPC) and the allocator's.
    worker_memory_mib: memory,
    worker_memory_before_mib: memoryBefore,
    temporal_db_mib: round(fileMiB(join(b.stack.dir, 'temporal.db'))),
    postgres_db_mib: round(Number(size) / 2 ** 20),
    api_list_ms: mapRound(summary(apiLat)),
  };
  b.results.parked = results;
  b.log(`parked: ${JSON.stringify(results)}`);
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
