import { describe, expect, it } from 'vitest';
import { buildReport, type RunRecord, type RunReport, type RunRole } from '../../src/ui/compare/report.ts';
import { tableModel } from '../../src/ui/compare/table.ts';

/**
 * Issue 13's rows: frames dropped by the live policy (per rung) and the switch cost to the
 * viewer (request → first encoded bytes of the new size), read from the engine's run report
 * (RunReport.detail) as the page attaches it and as a saved report keeps it.
 */
function run(opts: { mode?: string; role?: RunRole; round?: number; pacing?: string; drops?: { total: number; byRung: Record<string, number>; boundMs: number | null }; toFirstBytes?: number[] }): RunReport {
  const rec: RunRecord = {
    label: 'run', mode: opts.mode ?? 'pooled', codec: 'h264', pacing: opts.pacing ?? 'realtime', fileName: 'clip.mp4',
    frames: 100, activeMs: 4000,
    totals: { frames: 100, allocations: 8, bytesAllocated: 8e6, bytesCopied: 0, poolHits: 92, poolMisses: 8 },
    warmup: null, latenciesMs: new Array<number>(100).fill(10), maxLatencyMs: 10, peakMemory: {},
    switchLatencyMs: [], reinitMs: [], segments: 1, outcome: 'done',
  };
  const report = buildReport(rec);
  report.detail = {
    kind: 'framepool-run',
    drops: opts.drops ?? { total: 0, byRung: {}, boundMs: null },
    switches: (opts.toFirstBytes ?? []).map((ms) => ({ toFirstBytesMs: ms })),
  };
  if (opts.role) report.role = opts.role;
  if (opts.round) report.round = opts.round;
  return report;
}

const rowOf = (runs: RunReport[], key: string) => tableModel(runs).rows.find((r) => r.key === key);
const dropPolicy = { total: 45, byRung: { '240': 14, '360': 15, '480': 16 }, boundMs: 100 };

describe('dropped frames row', () => {
  it('shows each drop-policy run\'s drops with the rungs they happened at, and a block run\'s 0 beside it', () => {
    const row = rowOf([run({ drops: dropPolicy }), run({})], 'dropped')!;
    expect(row.cells.map((c) => c.text)).toEqual(['45 (240p: 14, 360p: 15, 480p: 16)', '0']);
    expect(row.spans).toMatch(/over 3 frame intervals late/);
    expect(row.spans).toMatch(/block never drops/);
    expect(tableModel([run({ drops: dropPolicy }), run({})]).columns.map((c) => c.note)).toEqual([
      'pooled · h264 · done · drops frames over 100 ms late', 'pooled · h264 · done']);
  });

  it('is left out when no run used the drop policy', () => {
    expect(rowOf([run({}), run({ pacing: 'max' })], 'dropped')).toBeUndefined();
  });

  it('in a Compare, each mode cell gives the median and where the rounds dropped, summed', () => {
    const runs = [
      run({ mode: 'pooled', role: 'measured', round: 1, drops: dropPolicy }),
      run({ mode: 'unpooled', role: 'measured', round: 1, drops: { total: 10, byRung: { '480': 10 }, boundMs: 100 } }),
      run({ mode: 'pooled', role: 'measured', round: 2, drops: { total: 5, byRung: { '240': 5 }, boundMs: 100 } }),
      run({ mode: 'unpooled', role: 'measured', round: 2, drops: { total: 12, byRung: { '480': 12 }, boundMs: 100 } }),
    ];
    const row = rowOf(runs, 'dropped')!;
    expect(row.cells.map((c) => c.text)).toEqual([
      '25 (5–45) · all rounds by rung (240p: 19, 360p: 15, 480p: 16)',
      '11 (10–12) · all rounds by rung (480p: 22)',
    ]);
  });
});

describe('switch cost to the viewer rows', () => {
  it('gives the p50 of request → first encoded bytes, and says what it spans', () => {
    const row = rowOf([run({ toFirstBytes: [40, 60, 50, 70, 30] })], 'switchViewerP50')!;
    expect(row.cells[0]!.value).toBe(50);
    expect(row.spans).toMatch(/request .* → first encoded bytes of the new size out of its encoder/);
    expect(row.spans).toMatch(/misses/);
  });

  it('shows no p99 from fewer than 100 switches (tailQuantile), and one from 100', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    const row = rowOf([run({ toFirstBytes: [40, 60, 50, 70, 30] }), run({ toFirstBytes: hundred })], 'switchViewerP99')!;
    expect(row.cells.map((c) => c.text)).toEqual(['–', '99.0']);
  });

  it('is left out for runs without switches', () => {
    expect(rowOf([run({})], 'switchViewerP50')).toBeUndefined();
  });
});
