/**
 * Issue #14's targets table, computed from one run's results: each figure as the issue counts it
 * (ratios to the references measured in the same run), beside the issue's "now" and its target.
 */
import type { Results } from './context';
import { round } from './stats';

type Section = Record<string, unknown> | undefined;
const num = (section: Section, ...path: string[]): number | undefined => {
  let v: unknown = section;
  for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const ratio = (a: number | undefined, b: number | undefined, digits = 2): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : round(a / b, digits);

/** Herald's throughput and CPU over the bare floor's and the ceilings' (only those this run measured). */
export function computeRatios(r: Results): Record<string, number> {
  const rate = (s: string): number | undefined => num(r[s], 'deliveries_per_s');
  const cpu = (s: string): number | undefined => num(r[s], 'cpu_ms_per_delivery', 'total');
  const out: Record<string, number | undefined> = {
    herald_x1_over_floor: ratio(rate('e2e_x1'), rate('temporal_floor')),
    herald_x5_over_floor: ratio(rate('e2e_x5'), rate('temporal_floor')),
    herald_x1_over_ceiling_x1: ratio(rate('e2e_x1'), rate('temporal_ceiling_x1')),
    herald_x5_over_ceiling_x5: ratio(rate('e2e_x5'), rate('temporal_ceiling_x5')),
    ceiling_x1_over_floor: ratio(rate('temporal_ceiling_x1'), rate('temporal_floor')),
    ceiling_x5_over_floor: ratio(rate('temporal_ceiling_x5'), rate('temporal_floor')),
    herald_x1_over_raw: ratio(rate('e2e_x1'), num(r.raw_http, 'requests_per_s'), 3),
    cpu_per_delivery_x1_over_floor: ratio(cpu('e2e_x1'), cpu('temporal_floor')),
    cpu_per_delivery_x5_over_floor: ratio(cpu('e2e_x5'), cpu('temporal_floor')),
  };
  return Object.fromEntries(Object.entries(out).filter((e): e is [string, number] => e[1] !== undefined));
}

const show = (v: number | undefined, unit = ''): string => (v === undefined ? 'not measured' : `${v}${unit}`);

/** The markdown table: figure | now (the issue's, before this work) | target | measured (this run). */
export function targetsTable(r: Results): string {
  const ratios = (r.ratios ?? {}) as Record<string, number>;
  const burst = r.ingest_burst;
  const parked = r.parked;
  const rows: [string, string, string, string][] = [
    [
      'ingest accepted/s in a burst, deliveries running',
      '~120, p99 ~530 ms',
      '≥ 500, p99 ≤ 100 ms',
      burst
        ? `${show(num(burst, 'accepted_per_s'))}, p99 ${show(num(burst, 'ingest_ms', 'p99'), ' ms')} (${show(num(burst, 'accepted'))} events)`
        : 'not measured',
    ],
    [
      'ingest while Temporal is unreachable',
      '503 after 5 s',
      '202 at once; delivered after Temporal returns, none lost',
      'not a bench figure: test/faults/temporal-outage-ingest.test.ts',
    ],
    ['Herald × 1 deliveries/s ÷ bare floor', '0.42', '≥ 1.0 (ceiling ≈ 1.25)', show(ratios.herald_x1_over_floor)],
    ['Herald × 5 deliveries/s ÷ bare floor', '0.56', '≥ 5 (ceiling ≈ 6)', show(ratios.herald_x5_over_floor)],
    ['Herald × 1 ÷ ceiling × 1 (one local-activity POST)', '—', '≥ 0.8', show(ratios.herald_x1_over_ceiling_x1)],
    ['Herald × 5 ÷ ceiling × 5 (five local-activity POSTs)', '—', '≥ 0.8', show(ratios.herald_x5_over_ceiling_x5)],
    ['ceilings ÷ bare floor, × 1 / × 5', '≈ 1.25 / ≈ 6', '(references)', `${show(ratios.ceiling_x1_over_floor)} / ${show(ratios.ceiling_x5_over_floor)}`],
    [
      'CPU per delivery, all processes ÷ floor’s, × 1 / × 5',
      '2.4',
      '≤ 1.0 / ≤ 0.3',
      `${show(ratios.cpu_per_delivery_x1_over_floor)} / ${show(ratios.cpu_per_delivery_x5_over_floor)}`,
    ],
    [
      'Temporal Cloud actions per delivered event, × 1 / × 5',
      '8 / ~26',
      '≤ 3 / ≤ 4',
      `${show(num(r.cost_success, 'billable_actions'))} / ${show(num(r.cost_success_x5, 'billable_actions'))}`,
    ],
    ['actions per dead-lettered delivery', '29', '≤ 20', show(num(r.cost_dead_letter, 'billable_actions'))],
    ['idle 202 → arrival p50', '224 ms', '≤ 40 ms', show(num(r.idle_latency_202_to_arrival_ms, 'p50'), ' ms')],
    [
      'worker RSS with 10,000 deliveries parked on timers',
      '462 MiB at 1,500',
      '≤ 300 MiB',
      parked ? `${show(num(parked, 'worker_rss_mib'), ' MiB')} at ${show(num(parked, 'deliveries'))}` : 'not measured',
    ],
    [
      'noisy neighbour: quiet tenant 202 → arrival p99 during a burst of another tenant',
      '155 s (burst of 5,000)',
      '≤ 2 × its idle p99 in the same run, and ≤ 1 s',
      r.noisy_neighbour
        ? `${show(num(r.noisy_neighbour, 'quiet_202_to_arrival_ms', 'p99'), ' ms')} = ${show(num(r.noisy_neighbour, 'quiet_p99_vs_idle_p99'))} × idle (burst of ${show(num(r.noisy_neighbour, 'noisy_events'))})`
        : 'not measured',
    ],
    [
      'noisy neighbour: quiet tenant p50 during the burst',
      '59 s',
      '≤ 1.5 × idle p50',
      r.noisy_neighbour
        ? `${show(num(r.noisy_neighbour, 'quiet_202_to_arrival_ms', 'p50'), ' ms')} = ${show(num(r.noisy_neighbour, 'quiet_p50_vs_idle_p50'))} × idle`
        : 'not measured',
    ],
    [
      "the burst's drain rate beside the quiet tenant",
      '—',
      '≥ 0.9 × its rate alone',
      r.noisy_neighbour ? `${show(num(r.noisy_neighbour, 'drain_beside_quiet_vs_alone'))} ×` : 'not measured',
    ],
    [
      'shares under weights 1:1:4, all backlogged',
      '—',
      'each within ±25 % of its weight’s share',
      r.weights
        ? Object.values(r.weights.shares as Record<string, { weight: number; vs_expected: number }>)
            .map((s) => `w${s.weight}: ${show(s.vs_expected)} ×`)
            .join(', ')
        : 'not measured',
    ],
  ];
  return ['| figure | now | target | measured |', '|---|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}
