/** The soak's figures (`npm run bench -- --soak N`): memory slope and latency drift. Pure functions: no I/O. */
import type { OsSample } from './os-memory.ts';
import type { BenchCaseResult } from './protocol.ts';
import { quantile } from './report.ts';

const MB = 1024 * 1024;

export interface SoakFigures {
  minutes: number;
  warmupMin: number;
  slopeMbPerMin: number;
  firstMinuteP99: number;
  lastMinuteP99: number;
  p99Change: number;
  rssStartMb: number;
  rssEndMb: number;
  /** Renderer RSS, mean of each whole minute of the soak (MB). */
  rssMeanByMinuteMb: number[];
  frames: number;
  switches: number;
  failure: string | null;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const [x, y] of points) { sx += x; sy += y; sxx += x * x; sxy += x * y; }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

export function soakFigures(minutes: number, r: BenchCaseResult, os: OsSample[], rendererPid: number | null): SoakFigures {
  const warmupMin = minutes >= 3 ? 1 : 0.5;
  const start = Number.isFinite(r.startedAt) ? r.startedAt : os[0]?.t ?? 0;
  // Up to the stop request: the teardown after it (workers terminated) is not the soak.
  const stopAt = Math.min(r.endedAt, start + minutes * 60_000);
  const rss: [number, number][] = [];
  for (const s of os) {
    const p = s.processes.find((q) => q.pid === rendererPid);
    if (!p || s.t < start || s.t > stopAt) continue;
    rss.push([(s.t - start) / 60_000, p.rss / MB]);
  }
  const after = rss.filter(([m]) => m >= warmupMin);
  const series = r.latencySeries ?? [];
  const t0 = series[0]?.[0] ?? 0;
  const tEnd = series.at(-1)?.[0] ?? 0;
  const first = series.filter(([t]) => t - t0 < 60_000).map(([, ms]) => ms);
  const last = series.filter(([t]) => tEnd - t < 60_000).map(([, ms]) => ms);
  const p99First = quantile(first, 0.99);
  const p99Last = quantile(last, 0.99);
  return {
    minutes, warmupMin,
    slopeMbPerMin: slope(after),
    firstMinuteP99: p99First,
    lastMinuteP99: p99Last,
    p99Change: p99Last / p99First - 1,
    rssStartMb: after[0]?.[1] ?? NaN,
    rssEndMb: after.at(-1)?.[1] ?? NaN,
    rssMeanByMinuteMb: Array.from({ length: Math.floor(minutes) }, (_, m) => {
      const inMinute = rss.filter(([t]) => t >= m && t < m + 1).map(([, mb]) => mb);
      return inMinute.reduce((sum, v) => sum + v, 0) / inMinute.length;
    }),
    frames: r.frames,
    switches: r.switches.count,
    failure: r.failure,
  };
}
