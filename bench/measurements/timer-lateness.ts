import { eventually } from '../../test/support/engine';
import type { Bench } from '../context';
import { mapRound } from '../context';
import { startBenchReceiver } from '../receiver';
import { summary } from '../stats';

const SAMPLE = 100;

/**
 * Timer accuracy: 100 deliveries to a failing receiver fail twice, then wait on the 1-minute
 * timer. Resolves once both attempts are in; `measured`, once the third attempts are measured.
 * The full run waits for that on a quiet stack; --quick lets the other measurements run
 * meanwhile (its lateness is then measured under load), to stay within its 2 minutes.
 */
export async function startTimerLateness(b: Bench): Promise<{ measured: Promise<void> }> {
  const failing = await startBenchReceiver(500);
  // Scoped to its own template: the other measurements' events never reach this subscription.
  const sub = await b.subscribe(failing, 'timer', ['bench-timer']);
  // Posted one at a time, 2 per second (--quick: at once), so their retries come due spread
  // out like real traffic: a burst of 100 would queue behind itself and measure that, not the timer.
  for (let i = 0; i < SAMPLE; i++) {
    await b.ingest(1, `evt_timer${i}`, 1, 'bench-timer');
    if (!b.opts.quick) await new Promise((r) => setTimeout(r, 500));
  }
  const timerRequests = (): number => failing.requestsBy.get('timer') ?? 0;
  await eventually(async () => timerRequests() >= SAMPLE * 2, 120_000, 'two attempts each');

  const measured = (async () => {
    await eventually(async () => timerRequests() >= SAMPLE * 3, 300_000, 'third attempts');
    await eventually(
      async () => Number((await b.ds.query(`SELECT count(*) AS n FROM attempts WHERE subscription_id = $1 AND number = 3`, [sub]))[0].n) >= SAMPLE,
      30_000,
      'third attempts recorded',
    );
    const lateness: { ms: number }[] = await b.ds.query(
      `SELECT extract(epoch FROM a3.started_at - (a2.finished_at + interval '60 seconds')) * 1000 AS ms
         FROM attempts a2 JOIN attempts a3 ON a3.delivery_id = a2.delivery_id AND a3.number = 3
        WHERE a2.number = 2 AND a2.subscription_id = $1`,
      [sub],
    );
    b.results.timer_lateness_ms = { ...mapRound(summary(lateness.map((r) => Number(r.ms)))), under_load: b.opts.quick ? 1 : 0 };
    b.log(`1-minute timer lateness: ${JSON.stringify(b.results.timer_lateness_ms)}`);
    await b.unsubscribe([sub]); // their next attempt, 5 minutes on, finds the subscription disabled
    await failing.close();
  })();
  return { measured }; // wrapped: an async function would otherwise wait for it
}
