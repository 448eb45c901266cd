/**
 * Issue 14's speed ratios run by run: each ratio is taken within one run (its pipeline, its
 * baseline and its stages alone measured side by side), then the median over the runs. Pure
 * functions: no I/O.
 */
import { spreadOf } from '../src/metrics/rounds.ts';
import { f1, f2, markdownTable, sideBySideFps, type CaseFigures, type StageAlone } from './report.ts';

const INPUT = '720p-10s';

/** One run's speed cases on the 720p input: the pipeline in both modes, the one-exec baseline, the stages alone. */
interface SpeedRun {
  pooled: number;
  unpooled: number;
  exec: number;
  encodeAlone: number;
  /** The encode while another worker decodes + scales (the slower of that pair). */
  sideBySide: number;
}

function speedRun(cases: CaseFigures[], stage: StageAlone | null): SpeedRun {
  const fps = (id: string) => cases.find((c) => c.spec.id === `${id} @${INPUT}` && c.ok)?.fps ?? NaN;
  return {
    pooled: fps('pooled max none'),
    unpooled: fps('unpooled max none'),
    exec: fps('baseline-exec'),
    encodeAlone: stage?.encodeFps ?? NaN,
    sideBySide: (stage && sideBySideFps(stage)) ?? NaN,
  };
}

/** The table, one row per run and a median row; null when no run had the pooled speed case. */
export function speedRunsSection(runsOfCases: CaseFigures[][], stageByRun: (StageAlone | null)[]): string | null {
  const runs = runsOfCases.map((cases, k) => speedRun(cases, stageByRun[k] ?? null));
  if (!runs.some((r) => Number.isFinite(r.pooled))) return null;
  const columns: [string, (r: SpeedRun) => number, (v: number) => string][] = [
    ['pooled fps', (r) => r.pooled, f1],
    ['unpooled fps', (r) => r.unpooled, f1],
    ['baseline-exec fps', (r) => r.exec, f1],
    ['encode alone fps', (r) => r.encodeAlone, f1],
    ['encode side by side fps', (r) => r.sideBySide, f1],
    ['pooled × exec (2.3)', (r) => r.pooled / r.exec, f2],
    ['pooled × encode alone (0.9)', (r) => r.pooled / r.encodeAlone, f2],
    ['pooled × side by side', (r) => r.pooled / r.sideBySide, f2],
  ];
  const rows = runs.map((r, k) => [String(k + 1), ...columns.map(([, get, fmt]) => fmt(get(r)))]);
  rows.push(['median', ...columns.map(([, get, fmt]) => fmt(spreadOf(runs.map(get)).median))]);
  return `### Speed run by run (issue 14, ${INPUT}, warm, no probe)\n\n` +
    'Each ratio within its run, then the median of the ratios. *Side by side*: the stages-alone worker encodes again while a second worker decodes and scales the input on the other core; the slower of the two is what two cores give stages that must run at once.\n\n' +
    markdownTable(['run', ...columns.map(([name]) => name)], rows);
}
