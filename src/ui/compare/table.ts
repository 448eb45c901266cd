/**
 * The comparison table as data: columns, rows with each cell's text, and a verdict per row.
 * A Compare's runs become one column per mode ("median (min–max)" over its measured rounds),
 * its cold run a column of its own (not counted), and a verdict from `verdictOf`; single runs
 * stay one plain column each. Pure: the page renders it, tests read it, a loaded report
 * gives the same model as the runs that wrote it.
 */
import { spreadOf, verdictOf, type Spread, type Verdict } from '../../metrics/rounds.ts';
import { formatBytes, formatNumber } from '../format.ts';
import { bestOf, dropsOf, formatDrops, reportRows, type ReportRow, type RunReport } from './report.ts';

export interface TableColumn {
  title: string;
  /** A second line under the title (mode, codec, outcome; or what the cell aggregates). */
  note: string;
  mode: string;
  kind: 'run' | 'cold' | 'mode';
}

export interface TableCell {
  text: string;
  /** The number behind the text (the median for a mode column), NaN when unknown. */
  value: number;
  best: boolean;
  spread?: Spread;
}

export interface TableVerdict {
  kind: Verdict['kind'];
  /** The mode the verdict names (real, construction), else null. */
  best: string | null;
  text: string;
  /** The rank test's chance for an unsettled (1: one round) or within-noise row, else absent. */
  chance?: number;
}

export interface TableRow {
  key: string;
  label: string;
  spans: string;
  unit: string;
  cells: TableCell[];
  /** Compare tables only. */
  verdict: TableVerdict | null;
}

export interface TableModel {
  columns: TableColumn[];
  rows: TableRow[];
  /** True when built from a Compare's measured rounds (there is a verdict column). */
  compared: boolean;
}

export const COLD_RUN_TITLE = 'cold run (not counted)';

/** A cell's number as the table shows it. */
/** Rows whose cells are written with their own byte unit (B, KiB, MiB). */
const BYTE_CELLS = new Set(['bytesCopiedPerFrame', 'codecBytesCopiedPerFrame']);

export function formatCell(key: string, v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (key === 'switches' || key === 'segments') return Number.isInteger(v) ? String(v) : formatNumber(v, 1);
  if (key.startsWith('latency') || key.startsWith('switch') || key.startsWith('reinit')) return formatNumber(v, v < 10 ? 2 : 1);
  if (BYTE_CELLS.has(key)) return formatBytes(v);
  if (key === 'reuseRatio') return formatNumber(v, 3);
  if (key.startsWith('allocationsPerFrame')) return formatNumber(v, 3);
  if (Number.isInteger(v)) return String(v);
  return formatNumber(v, 1);
}

/** A run's cell: its number, and for drops the rungs they happened at ("45 (240p: 14, …)"). */
function runCellText(key: string, v: number, run: RunReport): string {
  const drops = key === 'dropped' && Number.isFinite(v) ? dropsOf(run) : null;
  return drops ? formatDrops(drops.total, drops.byRung) : formatCell(key, v);
}

/** Drops of several rounds by rung, summed: a mode column says where its drops happened. */
function dropsByRungText(runs: readonly RunReport[]): string {
  const byRung: Record<string, number> = {};
  for (const r of runs) for (const [rung, n] of Object.entries(dropsOf(r)?.byRung ?? {})) byRung[rung] = (byRung[rung] ?? 0) + n;
  const text = formatDrops(0, byRung);
  return text === '0' ? '' : ` · all rounds by rung${text.slice(1)}`;
}

/** "median (min–max)"; the median alone for one round; "–" for none. */
export function formatSpread(key: string, s: Spread): string {
  if (s.n === 0) return '–';
  const median = formatCell(key, s.median);
  if (s.n === 1) return median;
  return `${median} (${formatCell(key, s.min)}–${formatCell(key, s.max)})`;
}

/** Why there is no verdict yet: one round, or a lean that rounds this few show by chance too often. */
export function unsettledText(chance: number, leaning: string): string {
  return chance >= 1 ? 'one round: no verdict' : `leans ${leaning}, but 1 in ${Math.round(1 / chance)} by chance: not settled, more rounds to judge`;
}

/** The verdict cell's text: names the better mode when the difference is real or by construction. */
export function verdictText(v: Verdict, modes: readonly string[], better: -1 | 0 | 1): TableVerdict {
  const direction = better > 0 ? 'higher' : 'lower';
  switch (v.kind) {
    case 'real': return { kind: 'real', best: modes[v.best] ?? null, text: `${modes[v.best]} ${direction}` };
    case 'construction': return { kind: 'construction', best: modes[v.best] ?? null, text: `${direction} by construction: ${modes[v.best]}` };
    case 'noise': return { kind: 'noise', best: null, text: 'within noise', chance: v.chance };
    case 'unsettled': return { kind: 'unsettled', best: null, text: unsettledText(v.chance, `${modes[v.best]} ${direction}`), chance: v.chance };
    case 'none': return { kind: 'none', best: null, text: '' };
  }
}

/** The table for a set of runs: a comparison when any run is a measured round, else plain columns. */
export function tableModel(runs: readonly RunReport[]): TableModel {
  const measured = runs.filter((r) => r.role === 'measured');
  return measured.length > 0 ? compareModel(runs, measured) : plainModel(runs);
}

function outcomeWord(r: RunReport): string {
  const bound = dropsOf(r)?.boundMs;
  const policy = bound != null ? ` · drops frames over ${formatNumber(bound, 0)} ms late` : '';
  return (r.outcome.startsWith('failed') ? 'failed' : r.outcome) + policy;
}

function plainModel(runs: readonly RunReport[]): TableModel {
  const columns = runs.map((r): TableColumn => ({ title: r.label, note: `${r.mode} · ${r.codec} · ${outcomeWord(r)}`, mode: r.mode, kind: r.role === 'cold' ? 'cold' : 'run' }));
  const rows = reportRows(runs).map((row): TableRow => {
    const best = bestOf(row);
    return { ...rowHead(row), verdict: null, cells: row.values.map((v, i) => ({ text: runCellText(row.key, v, runs[i]!), value: v, best: best[i] ?? false })) };
  });
  return { columns, rows, compared: false };
}

function rowHead(row: ReportRow): Pick<TableRow, 'key' | 'label' | 'spans' | 'unit'> {
  return { key: row.key, label: row.label, spans: row.spans, unit: BYTE_CELLS.has(row.key) ? '' : row.unit }; // those cells carry their unit
}

function compareModel(runs: readonly RunReport[], measured: readonly RunReport[]): TableModel {
  const cold = runs.filter((r) => r.role === 'cold');
  const modes = [...new Set(measured.map((r) => r.mode))];
  const byMode = modes.map((m) => measured.filter((r) => r.mode === m));
  const columns: TableColumn[] = [
    ...cold.map((r): TableColumn => ({ title: COLD_RUN_TITLE, note: `${r.mode} · ${r.codec} · ${outcomeWord(r)}`, mode: r.mode, kind: 'cold' })),
    ...modes.map((m, i): TableColumn => {
      const n = byMode[i]!.length;
      return { title: m, note: n === 1 ? '1 run' : `median (min–max) of ${n} runs`, mode: m, kind: 'mode' };
    }),
  ];
  // Rows come from every run (so a memory kind measured only in the cold run still gets its row).
  const all = [...cold, ...measured];
  const rows = reportRows(all).map((row): TableRow => {
    const coldCells = cold.map((r, i): TableCell => ({ text: runCellText(row.key, row.values[i]!, r), value: row.values[i]!, best: false }));
    const spreads = byMode.map((group) => spreadOf(group.map((r) => row.values[all.indexOf(r)]!)));
    const verdict = verdictText(verdictOf(spreads, row.better, row.byConstruction), modes, row.better);
    // A figure some runs did not measure (browser-wide memory, asked every 15 s, misses most 10 s
    // runs): its cells count the runs behind them, and a single reading is not called "one round".
    const partly = spreads.some((s, i) => s.n > 0 && s.n < byMode[i]!.length);
    if (partly && verdict.kind === 'unsettled' && verdict.chance === 1) {
      const fewest = Math.min(...spreads.map((s) => s.n));
      verdict.text = `measured in ${fewest} run${fewest === 1 ? '' : 's'} of a mode: no verdict`;
    }
    const modeCells = spreads.map((s, i): TableCell => ({
      text: formatSpread(row.key, s) + (s.n > 0 && s.n < byMode[i]!.length ? ` (${s.n} of ${byMode[i]!.length} runs)` : '') + (row.key === 'dropped' ? dropsByRungText(byMode[i]!) : ''),
      value: s.median, best: verdict.best === modes[i], spread: s,
    }));
    return { ...rowHead(row), cells: [...coldCells, ...modeCells], verdict };
  });
  return { columns, rows, compared: true };
}

/** The table as CSV: the cells as shown, plus the verdict column for a comparison. */
export function tableCsv(model: TableModel): string {
  const cell = (value: string): string => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const header = ['metric', 'spans', 'unit', ...model.columns.map((c) => `${c.title} (${c.note})`), ...(model.compared ? ['verdict'] : [])];
  const lines = [header.map(cell).join(',')];
  for (const r of model.rows) {
    lines.push([r.label, r.spans, r.unit, ...r.cells.map((c) => c.text), ...(r.verdict ? [r.verdict.text] : [])].map(cell).join(','));
  }
  return lines.join('\n') + '\n';
}
