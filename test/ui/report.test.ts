import { describe, expect, it } from 'vitest';
import { buildReport, countStalls, quantile, reportCsv, reportRows, bestOf, type RunRecord } from '../../src/ui/compare/report.ts';
import { reportFileJson } from '../../src/ui/compare/report-file.ts';

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    label: 'run 1a', mode: 'pooled', codec: 'h264', pacing: 'max', fileName: 'clip.mp4',
    frames: 100, activeMs: 2000,
    totals: { frames: 100, allocations: 12, bytesAllocated: 12 * 1024 * 1024, bytesCopied: 0, poolHits: 188, poolMisses: 12 },
    warmup: { frames: 30, allocations: 12, bytesAllocated: 12 * 1024 * 1024, bytesCopied: 0, poolHits: 48, poolMisses: 12 },
    latenciesMs: Array.from({ length: 100 }, (_, i) => (i === 99 ? 100 : 10 + (i % 10))),
    maxLatencyMs: 100,
    peakMemory: { poolCommitted: 8 * 1024 * 1024, jsHeap: NaN },
    switchLatencyMs: [1, 2, 3, 4],
    reinitMs: [20, 40],
    segments: 3,
    outcome: 'done',
    ...over,
  };
}

describe('quantile', () => {
  it('uses the nearest rank and ignores NaN', () => {
    expect(quantile([5, 1, 3, 2, 4, NaN], 0.5)).toBe(3);
    expect(quantile([5, 1, 3, 2, 4], 1)).toBe(5);
    expect(quantile([5, 1, 3, 2, 4], 0.01)).toBe(1);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('countStalls', () => {
  it('counts frames slower than 3× the median', () => {
    expect(countStalls([10, 10, 10, 31, 29, 100])).toBe(2);
    expect(countStalls([])).toBe(0);
  });
});

describe('stalls in a table of runs', () => {
  // Bug: each run counted frames over 3× its own median, so the mode with the lower median was
  // held to a lower bar; Compare called 'unpooled lower' on stalls that were the same frames.
  it('counts every run against one bar, 3× the median of the runs\' p50s, not each run\'s own', () => {
    const lead = new Array<number>(30).fill(50);
    const fast = buildReport(record({ latenciesMs: [...lead, ...new Array<number>(100).fill(10), 40, 40, 40, 40, 40] }));
    const slow = buildReport(record({ latenciesMs: [...lead, ...new Array<number>(100).fill(20), 40, 40, 40, 40, 40] }));
    expect([fast.stalls, slow.stalls]).toEqual([5, 0]); // each by its own bar: 30 ms and 60 ms
    const row = reportRows([fast, slow]).find((r) => r.key === 'stalls')!;
    expect(row.values).toEqual([5, 5]); // one bar: 3 × 10 ms (the lower of two p50s, nearest rank) = 30 ms
    expect(row.spans).toMatch(/over 30\.0 ms: 3× the median of the runs' latency p50s; one bar for every run/);
    const higher = reportRows([fast, slow, buildReport(record({ latenciesMs: [...lead, ...new Array<number>(100).fill(12)] }))]).find((r) => r.key === 'stalls')!;
    expect(higher.values).toEqual([5, 5, 0]); // bar 3 × 12 ms = 36 ms
  });

  // Bug: at realtime a frame waits 1–4 ms, so 3× that (5.3 ms in a Compare on the sample)
  // counted 90–133 of 270 frames as stalls, none of them a frame interval late.
  it('never puts the bar under one frame interval of the source, and says which bar it used', () => {
    const lead = new Array<number>(30).fill(50);
    const realtime = (p50: number) => buildReport(record({ frameIntervalMs: 1000 / 30, latenciesMs: [...lead, ...new Array<number>(100).fill(p50), 8, 20, 40, 250] }));
    const row = reportRows([realtime(1.5), realtime(4)]).find((r) => r.key === 'stalls')!;
    expect(row.values).toEqual([2, 2]); // 40 and 250 ms: over 33.3; 8 and 20 ms are not stalls
    expect(row.spans).toMatch(/over 33\.3 ms: one frame interval of the source \(3× the median of the runs' latency p50s, 4\.50 ms, is less\)/);
    const queued = reportRows([realtime(100)]).find((r) => r.key === 'stalls')!; // max pacing: frames wait in the links
    expect(queued.spans).toMatch(/over 300 ms: 3× the median/);
  });

  it('falls back to each run\'s own bar, and says so, when a run has no samples (a report saved before)', () => {
    const withSamples = buildReport(record());
    const { latencySamplesMs: _, ...old } = buildReport(record());
    const row = reportRows([withSamples, old]).find((r) => r.key === 'stalls')!;
    expect(row.values).toEqual([1, 1]);
    expect(row.spans).toMatch(/the run's own median/);
  });
});

describe('end to end (frame → encoded bytes out)', () => {
  it('shows p50 from any count but p99 only from 100 frames, and the rows only when a run measured it', () => {
    const few = buildReport(record({ outMs: { p50: 20, p99: 45, max: 50, count: 60 } }));
    const many = buildReport(record({ outMs: { p50: 21, p99: 44, max: 52, count: 170 } }));
    expect(few.outMs).toEqual({ p50: 20, p99: NaN, max: 50, count: 60 });
    const rows = reportRows([few, many]);
    expect(rows.find((r) => r.key === 'outP50')!.values).toEqual([20, 21]);
    expect(rows.find((r) => r.key === 'outP99')!.values).toEqual([NaN, 44]);
    expect(reportRows([buildReport(record())]).some((r) => r.key.startsWith('out'))).toBe(false);
  });
});

describe('buildReport', () => {
  it('turns a pooled run into per-frame figures, zero allocations after warm-up', () => {
    // 100 re-inits, two slow ones: enough values for a p99.
    const r = buildReport(record({ reinitMs: [...new Array<number>(98).fill(20), 40, 40] }));
    expect(r.throughputFps).toBe(50);
    expect(r.allocationsPerFrame).toBeCloseTo(0.12);
    expect(r.allocationsPerFrameAfterWarmup).toBe(0);
    expect(r.mbAllocated).toBe(12);
    expect(r.reuseRatio).toBeCloseTo(0.94);
    expect(r.latencyMs.max).toBe(100);
    expect(r.latencyMs.p50).toBe(14);
    expect(r.stalls).toBe(1);
    expect(r.switches).toBe(4);
    expect(r.switchLatencyMs.p50).toBe(2);
    expect(r.reinitMs.p99).toBe(40);
  });

  it('turns the codec glue counts (input reads, log lines, views, codec copies) into per-frame figures, and leaves them unknown for a report that predates them', () => {
    const totals = { ...record().totals, codecBytesCopied: 100 * 2_000_000, glue: { inputReads: 250, logLines: 0, viewsMade: 5 } };
    const r = buildReport(record({ totals }));
    expect(r.codecBytesCopiedPerFrame).toBe(2_000_000);
    expect(r.gluePerFrame).toEqual({ inputReads: 2.5, logLines: 0, viewsMade: 0.05 });
    const old = buildReport(record());
    expect(old.gluePerFrame?.inputReads).toBeNaN();
    expect(old.codecBytesCopiedPerFrame).toBeNaN();
    const rows = reportRows([r]).map((row) => row.label);
    expect(rows).toEqual(expect.arrayContaining(['codec glue: input reads / frame', 'codec glue: log lines / frame', 'codec glue: views / frame', 'codec copies / frame']));
  });

  it('shows unpooled allocations per frame after warm-up', () => {
    const r = buildReport(record({
      mode: 'unpooled',
      totals: { frames: 100, allocations: 400, bytesAllocated: 400e6, bytesCopied: 400e6, poolHits: 0, poolMisses: 400 },
      warmup: { frames: 30, allocations: 120, bytesAllocated: 120e6, bytesCopied: 120e6, poolHits: 0, poolMisses: 120 },
    }));
    expect(r.allocationsPerFrameAfterWarmup).toBe(4);
    expect(r.bytesCopiedPerFrame).toBe(4e6);
    expect(r.reuseRatio).toBe(0);
  });

  it('leaves per-frame figures unknown for a run that never passed warm-up', () => {
    const r = buildReport(record({ frames: 0, warmup: null, latenciesMs: [], maxLatencyMs: 0, activeMs: 0 }));
    expect(r.allocationsPerFrame).toBeNaN();
    expect(r.allocationsPerFrameAfterWarmup).toBeNaN();
    expect(r.throughputFps).toBeNaN();
  });

  it('keeps the block maximum (lead-in included) apart from the measured maximum', () => {
    const r = buildReport(record({ maxLatencyMs: 500 }));
    expect(r.latencyMs.maxWholeRun).toBe(500);
    expect(r.latencyMs.max).toBe(100);
  });

  it('leaves the first 30 frames (the lead-in) out of latency and stalls', () => {
    // A cold start: 30 frames of 400 ms, then 100 frames of 10 ms.
    const latenciesMs = Array.from({ length: 130 }, (_, i) => (i < 30 ? 400 : 10));
    const r = buildReport(record({ latenciesMs, maxLatencyMs: 400 }));
    expect(r.latencyMs.p99).toBe(10);
    expect(r.latencyMs.max).toBe(10);
    expect(r.stalls).toBe(0);
    expect(r.leadInFrames).toBe(30);
  });

  it('drops the lead-in by frame index when the list has gaps', () => {
    const r = buildReport(record({ latenciesMs: [900, 900, 5, 6], latencyFrames: [0, 29, 30, 31], maxLatencyMs: 900 }));
    expect(r.latencyMs.max).toBe(6);
  });

  // Bug: with five switches a run's "p99" was the maximum of five values, and Compare named a
  // winner on it once and "within noise" the next time on the same clip.
  it('shows no p99 from fewer than 100 values, nor a p95 from fewer than 20', () => {
    const r = buildReport(record({ switchLatencyMs: [10, 12, 50, 11, 13], reinitMs: new Array<number>(99).fill(30) }));
    expect(r.switchLatencyMs.p50).toBe(12);
    expect(r.switchLatencyMs.p99).toBeNaN();
    expect(r.reinitMs.p99).toBeNaN();
    const short = buildReport(record({ latenciesMs: new Array<number>(49).fill(10) })); // 19 after the lead-in
    expect(short.latencyMs.p95).toBeNaN();
    expect(short.latencyMs.p50).toBe(10);
  });

  it('handles latency lists longer than the argument limit', () => {
    const many = new Array<number>(300_000).fill(1);
    expect(buildReport(record({ latenciesMs: many, maxLatencyMs: 0 })).latencyMs.max).toBe(1);
  });
});

describe('table and exports', () => {
  const a = buildReport(record());
  const b = buildReport(record({ label: 'run 1b', mode: 'unpooled', activeMs: 4000 }));

  it('has one column per run and only memory kinds that were measured', () => {
    const rows = reportRows([a, b]);
    expect(rows.find((r) => r.key === 'throughputFps')?.values).toEqual([50, 25]);
    expect(rows.some((r) => r.key === 'peak.poolCommitted')).toBe(true);
    expect(rows.some((r) => r.key === 'peak.jsHeap')).toBe(false);
  });

  it('marks the better value of a row', () => {
    const row = reportRows([a, b]).find((r) => r.key === 'throughputFps')!;
    expect(bestOf(row)).toEqual([true, false]);
  });

  it('writes CSV with a header of runs and blanks for unknown values', () => {
    const csv = reportCsv([a, b]).split('\n');
    expect(csv[0]).toBe('metric,unit,run 1a (pooled),run 1b (unpooled)');
    expect(csv).toContain('throughput,fps,50,25');
  });

  it('says what each latency, switch and reuse row spans', () => {
    const rows = reportRows([a, b]);
    const spans = (key: string) => rows.find((r) => r.key === key)?.spans;
    expect(spans('latencyP99')).toBe('decoded → taken by the encoder (after the first 30 frames); shown from 100 values on (fewer: –)');
    expect(spans('switchP50')).toBe('request → first new-size frame out of the scaler');
    expect(spans('reuseRatio')).toBe('acquisitions served by a slot that held an earlier frame ÷ all acquisitions');
    expect(rows.every((r) => r.spans.length > 0)).toBe(true);
  });

  it('writes JSON with null for NaN', () => {
    const runs = [buildReport(record({ warmup: null }))];
    const parsed = JSON.parse(reportFileJson({ date: null, file: null, environment: null, warmup: null, compare: null, runs })) as { runs: { allocationsPerFrameAfterWarmup: unknown }[] };
    expect(parsed.runs[0]!.allocationsPerFrameAfterWarmup).toBeNull();
  });
});
