/**
 * The bench's fair-compare case (issue 10): pooled and unpooled on the same input and switch
 * schedule, alternated rounds, each run in a fresh browser after an unmeasured warm-up. Per
 * metric: each mode's median and range over its rounds, the ratio unpooled ÷ pooled of the
 * medians with the range of ratios, and the verdict of src/metrics/rounds.ts (a winner only
 * when the rank test says chance would order the rounds that far apart at most 1 in 100; with 5 rounds each: ranges apart). Pure functions: no I/O.
 */
import { spreadOf, verdictOf, type Spread, type Verdict } from '../src/metrics/rounds.ts';
import { unsettledText } from '../src/ui/compare/table.ts';
import type { AllocationModeName } from './protocol.ts';
import { markdownTable, speedTable, type CaseFigures } from './report.ts';

const MB = 1024 * 1024;
const MODES = ['pooled', 'unpooled'] as const satisfies readonly AllocationModeName[];
type ComparedMode = (typeof MODES)[number];

interface MetricDef {
  name: string;
  unit: string;
  digits: number;
  /** -1 lower is better, 1 higher. */
  better: -1 | 1;
  /** Differs by construction (the mode decides it, not the run): the lower one is named even within noise. */
  byConstruction?: boolean;
  /** The run's figure; NaN when the run has none. */
  of: (c: CaseFigures) => number;
}

const METRICS: MetricDef[] = [
  { name: 'fps', unit: '', digits: 1, better: 1, of: (c) => c.fps },
  { name: 'latency p50 after frame 30', unit: 'ms', digits: 1, better: -1, of: (c) => c.latencyAfterWarmup?.p50 ?? NaN },
  { name: 'latency p99 after frame 30', unit: 'ms', digits: 1, better: -1, of: (c) => c.latencyAfterWarmup?.p99 ?? NaN },
  { name: 'allocations/frame after frame 30', unit: '', digits: 3, better: -1, byConstruction: true, of: (c) => c.allocsPerFrameAfterWarmup },
  { name: 'MB allocated/frame', unit: '', digits: 2, better: -1, byConstruction: true, of: (c) => c.mbAllocatedPerFrame },
  { name: 'MB copied/frame', unit: '', digits: 2, better: -1, byConstruction: true, of: (c) => c.mbCopiedPerFrame },
  { name: 'switch p50', unit: 'ms', digits: 1, better: -1, of: (c) => (c.switches > 0 ? c.switchP50 : NaN) },
  { name: 'peak renderer RSS growth', unit: 'MB', digits: 0, better: -1, of: (c) => (c.os ? c.os.growthRss / MB : NaN) },
];

export interface FairCompareRow {
  metric: string;
  unit: string;
  better: 'lower' | 'higher';
  /** Each mode's value per round, in round order (NaN: failed run or no figure). */
  values: Record<ComparedMode, number[]>;
  spread: Record<ComparedMode, Spread>;
  /** unpooled ÷ pooled of the medians, and its range: min(unpooled) ÷ max(pooled) … max(unpooled) ÷ min(pooled). */
  ratio: { median: number; min: number; max: number };
  verdict: Verdict;
  verdictText: string;
}

export interface FairCompareRun {
  id: string;
  mode: AllocationModeName;
  position: number;
  round: number;
  warmup: boolean;
  ok: boolean;
  failure: string | null;
  frames: number;
  switches: number;
}

export interface FairCompareResult {
  id: string;
  input: string;
  pacing: string;
  schedule: string;
  roundsPerMode: number;
  /** Every run in the order it ran, the warm-up first. */
  runs: FairCompareRun[];
  /** Measured runs in the order they ran: 'P U U P P U'. */
  order: string;
  rows: FairCompareRow[];
  notes: string[];
}

function verdictText(v: Verdict): string {
  switch (v.kind) {
    case 'real': return `${MODES[v.best]} better (1 in ${Math.round(1 / v.chance)} by chance)`;
    case 'noise': return 'within noise';
    case 'unsettled': return unsettledText(v.chance, `${MODES[v.best]} better`);
    case 'construction': return `by construction (${MODES[v.best]} lower)`;
    case 'none': return '–';
  }
}

/** a ÷ b, with 0 ÷ 0 = 1 (both zero: no difference) and x ÷ 0 = ∞. */
function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return NaN;
  if (b === 0) return a === 0 ? 1 : Infinity;
  return a / b;
}

/** Groups the fair-compare runs by comparison and works out each metric's row. */
export function fairCompareResults(figures: CaseFigures[]): FairCompareResult[] {
  const groups = new Map<string, CaseFigures[]>();
  for (const f of figures) {
    const tag = f.spec.fairCompare;
    if (!tag) continue;
    groups.set(tag.group, [...(groups.get(tag.group) ?? []), f]);
  }
  return [...groups.entries()].map(([id, runs]) => {
    runs.sort((a, b) => a.spec.fairCompare!.position - b.spec.fairCompare!.position);
    const measured = runs.filter((r) => !r.spec.fairCompare!.warmup);
    const byMode = (mode: ComparedMode) => measured.filter((r) => r.spec.mode === mode);
    const first = runs[0]!.spec;
    const notes: string[] = [];
    const warmup = runs.find((r) => r.spec.fairCompare!.warmup);
    notes.push(warmup
      ? `warm-up: one unmeasured ${warmup.spec.mode} run (${warmup.frames} frames${warmup.ok ? '' : `, FAILED: ${warmup.failure}`}) before the rounds, so the first round does not pay the machine's cold start (page cache of Chromium, the codec core and the input; the bench server). Every run, the warm-up too, gets a fresh browser: each measured run pays the page's own start (codec compile before the run starts, workers' code warming during its first frames, judged from frame 30 for latency and allocations) in the same way.`
      : 'warm-up: not run (--only?); the first round may pay the machine\'s cold start.');
    notes.push(`schedule "${first.schedule}" replayed by frame index in every run: switches are requested by the scaler at the same frames, switch cost is request → first new-size frame out, measured the same way in both modes.`);
    for (const r of runs) if (!r.ok) notes.push(`${r.id}: FAILED (${r.failure}); its figures are left out of the medians.`);
    const rows = METRICS.map((m): FairCompareRow => {
      const values = { pooled: byMode('pooled').map((r) => (r.ok ? m.of(r) : NaN)), unpooled: byMode('unpooled').map((r) => (r.ok ? m.of(r) : NaN)) };
      const spread = { pooled: spreadOf(values.pooled), unpooled: spreadOf(values.unpooled) };
      const p = spread.pooled;
      const u = spread.unpooled;
      const verdict = verdictOf([p, u], m.better, m.byConstruction ?? false);
      return {
        metric: m.name, unit: m.unit, better: m.better < 0 ? 'lower' : 'higher', values, spread,
        ratio: { median: ratio(u.median, p.median), min: ratio(u.min, p.max), max: ratio(u.max, p.min) },
        verdict, verdictText: verdictText(verdict),
      };
    });
    return {
      id, input: String(first.input), pacing: first.pacing ?? 'max', schedule: first.schedule ?? 'none',
      roundsPerMode: first.fairCompare!.roundsPerMode,
      runs: runs.map((r) => ({
        id: r.id, mode: r.spec.mode!, position: r.spec.fairCompare!.position, round: r.spec.fairCompare!.round,
        warmup: r.spec.fairCompare!.warmup, ok: r.ok, failure: r.failure, frames: r.frames, switches: r.switches,
      })),
      order: measured.map((r) => (r.spec.mode === 'pooled' ? 'P' : 'U')).join(' '),
      rows, notes,
    };
  });
}

function fmt(v: number, digits: number): string {
  if (v === Infinity) return '∞';
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

function spreadCell(s: Spread, digits: number): string {
  if (s.n === 0) return '–';
  const range = s.n > 1 ? ` (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : '';
  return `${fmt(s.median, digits)}${range}`;
}

function ratioCell(r: FairCompareRow['ratio'], p: Spread, u: Spread): string {
  if (p.n === 0 || u.n === 0) return '–';
  if (p.median === 0 && u.median > 0) return '∞ (pooled 0)';
  return `${fmt(r.median, 2)}× (${fmt(r.min, 2)}–${fmt(r.max, 2)})`;
}

/** The comparison table: one row per metric. */
export function fairCompareTable(result: FairCompareResult): string {
  const n = (mode: ComparedMode) => Math.max(...result.rows.map((r) => r.spread[mode].n));
  const header = ['metric', `pooled median (range), ${n('pooled')} runs`, `unpooled median (range), ${n('unpooled')} runs`, 'unpooled ÷ pooled (range)', 'verdict'];
  const rows = result.rows.map((row) => {
    const digits = METRICS.find((m) => m.name === row.metric)!.digits;
    return [
      `${row.metric}${row.unit ? ` ${row.unit}` : ''} (${row.better} better)`,
      spreadCell(row.spread.pooled, digits),
      spreadCell(row.spread.unpooled, digits),
      ratioCell(row.ratio, row.spread.pooled, row.spread.unpooled),
      row.verdictText,
    ];
  });
  return markdownTable(header, rows);
}

/** The Markdown section: the comparison table, how it was run, and every run (the warm-up too) in the order it ran. */
export function fairCompareSection(results: FairCompareResult[], figures: CaseFigures[]): string {
  return results.map((result) => {
    const runs = figures.filter((f) => f.spec.fairCompare?.group === result.id)
      .sort((a, b) => a.spec.fairCompare!.position - b.spec.fairCompare!.position);
    const stop = runs.find((r) => !r.spec.fairCompare!.warmup)?.spec.stopAfterFrames;
    const what = `${result.roundsPerMode} round(s) per mode on ${result.input}, ${result.pacing} pacing, schedule ${result.schedule}` +
      `${stop ? `, each run stopped once ${stop} frames were encoded (the frames in flight then still finish)` : ', each run the whole input'}; ` +
      `order ${result.order} (alternated), each run in a fresh browser. A row names a better mode only when the two ranges do not overlap; ` +
      'ratio range = min(unpooled) ÷ max(pooled) … max(unpooled) ÷ min(pooled).';
    return [
      `### Fair compare: ${result.id}`,
      what,
      fairCompareTable(result),
      result.notes.map((note) => `- ${note}`).join('\n'),
      `Runs in the order they ran:\n\n${speedTable(runs)}`,
    ].join('\n\n');
  }).join('\n\n');
}
