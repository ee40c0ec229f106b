import { Agent, request } from 'undici';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { CONCURRENCY, type Bench } from '../context';
import { startBenchReceiver } from '../receiver';
import { pool, round } from '../stats';

/** The raw HTTP limit: an undici POST loop, same concurrency, same receiver. */
export async function measureRawHttp(b: Bench): Promise<void> {
  const receiver = await startBenchReceiver(200);
  const http = new Agent({ connections: CONCURRENCY * 2 });
  const n = b.opts.events;
  const t0 = performance.now();
  await pool(n, CONCURRENCY, async (i) => {
    const res = await request(receiver.url, {
      method: 'POST',
      dispatcher: http,
      body: JSON.stringify({ bench_key: `raw${i}`, ...SAMPLE_IMAGE_CREATED }),
      headers: { 'content-type': 'application/json' },
    });
    await res.body.dump();
  });
  b.results.raw_http = { requests: n, requests_per_s: round(n / ((performance.now() - t0) / 1000)) };
  b.log(`raw: ${JSON.stringify(b.results.raw_http)}`);
  await http.close();
  await receiver.close();
}
