/** One line for a run's output segments, for the folded output list (a Compare makes hundreds). */
import { quantile } from '../compare/report.ts';
import { formatBytes, formatMs } from '../format.ts';

export interface SummarizedSegment {
  index: number;
  width: number;
  height: number;
  frames: number;
  byteLength: number;
  storage: 'memory' | 'disk';
  reinitMs: number;
}

export interface RunSummary {
  segments: string;
  sizes: string;
  frames: string;
  bytes: string;
  kept: string;
  /** Median re-init of the run's switches (a first segment has none). */
  reinit: string;
}

export function summarizeRun(segments: readonly SummarizedSegment[]): RunSummary {
  const heights = [...new Set(segments.map((s) => s.height))].sort((a, b) => a - b);
  const kept = [...new Set(segments.map((s) => s.storage))];
  const reinits = segments.filter((s) => s.index > 0 && Number.isFinite(s.reinitMs)).map((s) => s.reinitMs);
  return {
    segments: `${segments.length} segment${segments.length === 1 ? '' : 's'}`,
    sizes: heights.length === 0 ? '—' : heights.length === 1 ? `${segments[0]!.width}×${segments[0]!.height}` : `${heights.length} sizes, ${heights[0]}p–${heights.at(-1)}p`,
    frames: String(segments.reduce((n, s) => n + s.frames, 0)),
    bytes: formatBytes(segments.reduce((n, s) => n + s.byteLength, 0)),
    kept: kept.length === 1 ? kept[0]! : 'mixed',
    reinit: reinits.length === 0 ? '—' : `${formatMs(quantile(reinits, 0.5))} p50`,
  };
}
