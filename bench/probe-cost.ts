/**
 * What the lab probe costs the pipeline (issue 12): the probe-cost runs (bench/cases.ts
 * probeCostCases, probe on and off alternated, each in a fresh browser) as fps on ÷ off, the
 * medians' ratio with its range, and the verdict of src/metrics/rounds.ts (a cost only when
 * chance would order the runs that far apart at most 1 in 100). Pure functions: no I/O.
 */
import { spreadOf, verdictOf, type Spread, type Verdict } from '../src/metrics/rounds.ts';
import { unsettledText } from '../src/ui/compare/table.ts';
import { markdownTable, type CaseFigures } from './report.ts';

export interface ProbeCostResult {
  id: string;
  /** The measured runs in the order they ran: 'on off off on …'. */
  order: string;
  fps: { on: number[]; off: number[] };
  spread: { on: Spread; off: Spread };
  /** on ÷ off of the medians, and its range: min(on) ÷ max(off) … max(on) ÷ min(off). */
  ratio: { median: number; min: number; max: number };
  verdict: string;
  /** The probe's own rate in the 'on' runs, samples/s. */
  probeHz: Spread;
  failed: string[];
}

/** Groups the probe-cost runs by comparison. */
export function probeCostResults(figures: readonly CaseFigures[]): ProbeCostResult[] {
  const groups = new Map<string, CaseFigures[]>();
  for (const f of figures) if (f.spec.probeCost) groups.set(f.spec.probeCost.group, [...(groups.get(f.spec.probeCost.group) ?? []), f]);
  return [...groups.entries()].map(([id, runs]) => {
    runs.sort((a, b) => a.spec.probeCost!.position - b.spec.probeCost!.position);
    const isOn = (r: CaseFigures) => r.spec.probe !== false;
    const fps = (on: boolean) => runs.filter((r) => isOn(r) === on).map((r) => (r.ok ? r.fps : NaN));
    const values = { on: fps(true), off: fps(false) };
    const spread = { on: spreadOf(values.on), off: spreadOf(values.off) };
    const v = verdictOf([spread.on, spread.off], 1);
    return {
      id,
      order: runs.map((r) => (isOn(r) ? 'on' : 'off')).join(' '),
      fps: values, spread,
      ratio: { median: spread.on.median / spread.off.median, min: spread.on.min / spread.off.max, max: spread.on.max / spread.off.min },
      verdict: probeVerdictText(v),
      probeHz: spreadOf(runs.filter(isOn).map((r) => r.probe?.rateHz ?? NaN)),
      failed: runs.filter((r) => !r.ok).map((r) => `${r.id}: ${r.failure}`),
    };
  });
}

const f = (v: number, d: number): string => (Number.isFinite(v) ? v.toFixed(d) : '–');
const cell = (s: Spread, d: number): string => (s.n === 0 ? '–' : `${f(s.median, d)}${s.n > 1 ? ` (${f(s.min, d)}–${f(s.max, d)})` : ''}`);

/** The Markdown section: one row per comparison. */
export function probeCostSection(results: readonly ProbeCostResult[]): string {
  const rows = results.map((r) => [
    r.id, r.order, `${cell(r.spread.on, 1)}, ${r.spread.on.n} runs`, `${cell(r.spread.off, 1)}, ${r.spread.off.n} runs`,
    `${f(r.ratio.median, 3)}× (${f(r.ratio.min, 3)}–${f(r.ratio.max, 3)})`, r.verdict, cell(r.probeHz, 1),
  ]);
  const notes = results.flatMap((r) => r.failed.map((x) => `- FAILED, left out: ${x}`));
  return [
    '### What the lab probe costs (fps with the probe on ÷ off)',
    'The same case with the lab probe on (10 Hz: every worker\'s heap over CDP, /proc, the renderer\'s smaps every 5th sample) and off, ' +
      'alternated, each run in a fresh browser; ratio range = min(on) ÷ max(off) … max(on) ÷ min(off). Every other case runs with the probe on.',
    markdownTable(['comparison', 'order', 'fps, probe on: median (range)', 'fps, probe off: median (range)', 'on ÷ off (range)', 'verdict', 'probe Hz in the on runs'], rows),
    ...(notes.length > 0 ? [notes.join('\n')] : []),
  ].join('\n\n');
}

function probeVerdictText(v: Verdict): string {
  const effect = (best: number) => (best === 0 ? 'faster with the probe' : 'the probe costs fps');
  switch (v.kind) {
    case 'real': return `${effect(v.best)} (1 in ${Math.round(1 / v.chance)} by chance)`;
    case 'unsettled': return unsettledText(v.chance, effect(v.best));
    case 'noise': return 'within noise';
    default: return '–';
  }
}
