import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { call, type SubscriptionStats } from '../api';
import { ErrorNote, Loading, useLoad, useSession } from '../ui';

/** The windows a person picks from; the API chooses the bucket width (24 h → hours, 7 d → 6 hours, 30 d → days). */
const WINDOWS: [string, number][] = [
  ['Last 24 hours', 24],
  ['Last 7 days', 7 * 24],
  ['Last 30 days', 30 * 24],
];

const ms = (v: number | null): string => (v === null ? '—' : v < 10_000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
const LEGEND: [string, string][] = [
  ['Succeeded attempts', 'ok'],
  ['Failed attempts', 'bad'],
  ['p95 attempt duration', 'duration'],
  ['p95 202 → first success', 'first'],
];
const OUTCOME_LABELS: Record<string, string> = { succeeded: '2xx', http_3xx: '3xx', http_4xx: '4xx', http_5xx: '5xx' };

/** `2xx: 12, 5xx: 3, timeout: 1`: the outcomes that happened. */
function outcomes(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${OUTCOME_LABELS[o] ?? o.replace(/_/g, ' ')}: ${n}`)
    .join(', ');
}

/** 3600 → `1 hour`, 21600 → `6 hours`. */
function bucketWidth(seconds: number): string {
  const [n, unit] =
    seconds % 604_800 === 0
      ? [seconds / 604_800, 'week']
      : seconds % 86_400 === 0
        ? [seconds / 86_400, 'day']
        : seconds % 3600 === 0
          ? [seconds / 3600, 'hour']
          : [seconds / 60, 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * A webhook's latency and outcomes over a window, from `GET /v1/subscriptions/:id/stats`: the
 * figures, and the window bucket by bucket in a small uPlot chart (attempts that succeeded and
 * failed, p95 of attempt duration and of 202 → first success).
 */
export function WebhookStats({ id }: { id: string }) {
  const { client } = useSession();
  const [hours, setHours] = useState(24);
  const stats = useLoad(
    () =>
      call(
        client.GET('/v1/subscriptions/{id}/stats', {
          params: { path: { id }, query: { since: new Date(Date.now() - hours * 3600_000).toISOString() } },
        }),
      ),
    [id, hours],
  );
  const s = stats.data;
  const l = s?.latency;
  return (
    <section class="card stats" aria-labelledby="stats-title">
      <div class="stats-head">
        <h2 id="stats-title">Latency and outcomes</h2>
        <select aria-label="Window" value={String(hours)} onChange={(e) => setHours(Number((e.target as HTMLSelectElement).value))}>
          {WINDOWS.map(([label, h]) => (
            <option key={h} value={String(h)}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {stats.error && <ErrorNote error={stats.error} />}
      {!s || !l ? (
        !stats.error && <Loading what="the figures" />
      ) : (
        <>
          <dl class="facts stats-figures">
            <div>
              <dt>Attempt duration</dt>
              <dd data-figure="attempt-duration">
                p50 {ms(l.attemptDurationMs.p50)} · p95 {ms(l.attemptDurationMs.p95)} · p99 {ms(l.attemptDurationMs.p99)}
              </dd>
            </div>
            <div>
              <dt>202 → first success</dt>
              <dd data-figure="first-success">
                p50 {ms(l.firstSuccessMs.p50)} · p95 {ms(l.firstSuccessMs.p95)} · p99 {ms(l.firstSuccessMs.p99)}
              </dd>
            </div>
            <div>
              <dt>Success rate</dt>
              <dd data-figure="success-rate">
                {s.successRate === null ? '—' : `${(s.successRate * 100).toFixed(1)} %`}{' '}
                <span class="muted">
                  ({s.deliveries.succeeded} succeeded, {s.deliveries.dead_lettered} dead-lettered, {s.deliveries.retrying} retrying)
                </span>
              </dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd data-figure="outcomes">
                {l.attempts}
                {l.attempts > 0 && <span class="muted">{` (${outcomes(l.attemptsByOutcome)})`}</span>}
              </dd>
            </div>
          </dl>
          <LatencyChart stats={s} />
        </>
      )}
    </section>
  );
}

/** uPlot draws on a canvas: the figures above say the same in words, and the chart's label sums it up. */
function LatencyChart({ stats }: { stats: SubscriptionStats }) {
  const box = useRef<HTMLDivElement>(null);
  const { series, bucketSeconds } = stats.latency;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let chart: uPlot | undefined;
    let gone = false;
    void import('../chart').then(({ default: UPlot }) => {
      if (gone) return;
      const x = series.map((b) => Date.parse(b.start) / 1000);
      // An empty bucket draws no bar (null), not a flat one.
      const succeeded = series.map((b) => b.succeeded || null);
      const failed = series.map((b) => b.attempts - b.succeeded || null);
      const p95 = series.map((b) => b.attemptDurationMs.p95);
      const firstP95 = series.map((b) => b.firstSuccessMs.p95);
      const bars = (align: -1 | 1) => UPlot.paths.bars!({ size: [0.4, 40], align });
      chart = new UPlot(
        {
          width: Math.max(200, el.clientWidth),
          height: 220,
          legend: { show: false },
          cursor: { show: true, drag: { x: false, y: false } },
          scales: { x: { time: true }, n: { range: (_u, _min, max) => [0, Math.max(1, max)] }, ms: { range: (_u, _min, max) => [0, Math.max(10, max)] } },
          axes: [{}, { scale: 'n', label: 'attempts', size: 50 }, { scale: 'ms', side: 1, label: 'p95 ms', size: 60, grid: { show: false } }],
          series: [
            {},
            { label: 'Succeeded', scale: 'n', stroke: '#1a7f37', fill: '#1a7f37aa', paths: bars(-1), points: { show: false } },
            { label: 'Failed', scale: 'n', stroke: '#cf222e', fill: '#cf222eaa', paths: bars(1), points: { show: false } },
            { label: 'p95 attempt duration', scale: 'ms', stroke: '#0a58ca', width: 2, spanGaps: false },
            { label: 'p95 202 → first success', scale: 'ms', stroke: '#8250df', width: 2, dash: [6, 4], spanGaps: false },
          ],
        },
        [x, succeeded, failed, p95, firstP95],
        el,
      );
    });
    return () => {
      gone = true;
      chart?.destroy();
    };
  }, [series]);
  const width = bucketWidth(bucketSeconds);
  const total = series.reduce((n, b) => n + b.attempts, 0);
  return (
    <figure class="chart">
      <div
        ref={box}
        class="chart-box"
        role="img"
        aria-label={`Chart of ${total} attempts in ${series.length} buckets of ${width}: succeeded and failed attempts, p95 attempt duration and p95 202 to first success`}
      />
      <ul class="chart-legend" aria-label="Legend">
        {LEGEND.map(([label, cls]) => (
          <li key={label}>
            <span class={`swatch ${cls}`} aria-hidden="true" /> {label}
          </li>
        ))}
      </ul>
      <figcaption class="muted">
        {series.length} buckets of {width}; bars count attempts (left axis), lines are p95 milliseconds (right axis).
      </figcaption>
    </figure>
  );
}
