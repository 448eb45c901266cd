import { describe, expect, it } from 'vitest';
import { buildReport, type RunRecord, type RunReport } from '../../src/ui/compare/report.ts';
import { tableModel } from '../../src/ui/compare/table.ts';

/**
 * Issue 13: request → first new-size frame into the encoder, beside the cost to the viewer, read
 * from the engine's run report (RunReport.detail) as the page attaches it and a saved report keeps it.
 */
function run(toEncoder: (number | null)[]): RunReport {
  const rec: RunRecord = {
    label: 'run', mode: 'pooled', codec: 'h264', pacing: 'realtime', fileName: 'clip.mp4',
    frames: 100, activeMs: 4000,
    totals: { frames: 100, allocations: 8, bytesAllocated: 8e6, bytesCopied: 0, poolHits: 92, poolMisses: 8 },
    warmup: null, latenciesMs: new Array<number>(100).fill(10), maxLatencyMs: 10, peakMemory: {},
    switchLatencyMs: [], reinitMs: [], segments: 1, outcome: 'done',
  };
  const report = buildReport(rec);
  report.detail = { kind: 'framepool-run', switches: toEncoder.map((ms) => ({ toEncoderMs: ms, toFirstBytesMs: ms === null ? null : ms + 40 })) };
  return report;
}

const rows = (runs: RunReport[]) => tableModel(runs).rows;
const row = (runs: RunReport[], key: string) => rows(runs).find((r) => r.key === key);

describe('switch: request → encoder rows', () => {
  it('give p50 of every switch, p99 only from 100 switches on, and sit before the cost to the viewer', () => {
    const few = [run([30, 10, 20, null])]; // a switch whose segment took no frame is left out
    expect(row(few, 'switchEncoderP50')!.cells[0]!.value).toBe(20);
    expect(row(few, 'switchEncoderP99')).toBeUndefined(); // 3 values: no p99
    const many = [run(Array.from({ length: 100 }, (_, i) => i + 1))];
    expect(row(many, 'switchEncoderP99')!.cells[0]!.value).toBe(99);
    expect(row(many, 'switchEncoderP99')!.spans).toMatch(/shown from 100 values on/);
    const keys = rows(many).map((r) => r.key);
    expect(keys.indexOf('switchEncoderP50')).toBe(keys.indexOf('switchViewerP50') - 2);
    expect(row(many, 'switchEncoderP50')!.spans).toMatch(/first new-size frame taken by its encoder/);
  });

  it('are left out for runs without switches (and reports saved before the figure)', () => {
    expect(row([run([])], 'switchEncoderP50')).toBeUndefined();
  });
});
