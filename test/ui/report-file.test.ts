import { describe, expect, it } from 'vitest';
import { buildReport, type RunRecord } from '../../src/ui/compare/report.ts';
import { parseReportFile, REPORT_VERSION, ReportFileError, reportFileJson } from '../../src/ui/compare/report-file.ts';
import { tableModel } from '../../src/ui/compare/table.ts';
import { collectEnvironment } from '../../src/ui/compare/environment.ts';

function record(mode: string, p50: number): RunRecord {
  return {
    label: `compare 1 round 1 ${mode}`, mode, codec: 'h264', pacing: 'max', fileName: 'sample.mp4',
    schedule: { kind: 'recorded', switches: [{ frameIndex: 45, rung: '240' }] }, startRung: '480',
    frames: 300, activeMs: 6000,
    totals: { frames: 300, allocations: 8, bytesAllocated: 8e6, bytesCopied: 0, poolHits: 100, poolMisses: 8 },
    warmup: null, // a run that never passed warm-up: NaN figures must survive the file
    latenciesMs: new Array<number>(300).fill(p50), maxLatencyMs: p50,
    peakMemory: { poolCommitted: 60e6, jsHeap: NaN, browserWide: NaN },
    switchLatencyMs: [3, 4, 5], reinitMs: [20, 30], segments: 3, outcome: 'done',
    // Rows added to version 2 later: the loader dropped them once, so a loaded table lost rows.
    gapMs: [25, 35], latenessMs: [1, 2, 3], heldAtEnd: 0, framesInFlight: 6, encoders: 2,
    outMs: { p50: p50 + 12, p99: p50 + 30, max: p50 + 41, count: 270 },
    frameIntervalMs: 1000 / 30, // over 3× the p50s: the stall bar comes from it, so the file must keep it
  };
}

function content() {
  const runs = [
    { ...buildReport(record('pooled', 9)), role: 'cold' as const },
    { ...buildReport(record('pooled', 10)), role: 'measured' as const, round: 1 },
    { ...buildReport(record('unpooled', 12)), role: 'measured' as const, round: 1 },
  ];
  return {
    date: '2026-11-30T01:00:00.000Z', file: 'sample.mp4',
    environment: { browser: 'Chromium 156.0.8078.79', userAgent: 'Mozilla/5.0', platform: 'Linux', cores: 2, deviceMemoryGiB: 8, crossOriginIsolated: true, commit: 'abc1234', scaler: 'wasm-simd' },
    warmup: { description: 'codec compiled once per page…', leadInFrames: 30 },
    compare: { rounds: 1, addedRounds: 0, order: ['pooled', 'unpooled'], coldRun: true, schedule: { kind: 'every', frames: 30 } as const, scheduleNote: 'every 30 frames', settings: { codec: 'h264', pacing: 'max', startRung: '480' } },
    runs,
  };
}

describe('saved report', () => {
  it('loads back into the same table the page showed', () => {
    const c = content();
    const loaded = parseReportFile(reportFileJson(c));
    expect(tableModel(loaded.runs)).toEqual(tableModel(c.runs));
  });

  it('records what it ran on, how it was compared, and the current version', () => {
    const loaded = parseReportFile(reportFileJson(content()));
    expect(loaded.version).toBe(REPORT_VERSION);
    expect(loaded.environment).toMatchObject({ browser: 'Chromium 156.0.8078.79', cores: 2, commit: 'abc1234', crossOriginIsolated: true, scaler: 'wasm-simd' });
    expect(loaded.compare).toMatchObject({ rounds: 1, order: ['pooled', 'unpooled'], coldRun: true, schedule: { kind: 'every', frames: 30 } });
    expect(loaded.runs.map((r) => r.role)).toEqual(['cold', 'measured', 'measured']);
    expect(loaded.runs[2]).toMatchObject({ schedule: { kind: 'recorded', switches: [{ frameIndex: 45, rung: '240' }] }, startRung: '480' });
  });

  it('turns the nulls the exporter wrote for NaN back into NaN', () => {
    const loaded = parseReportFile(reportFileJson(content()));
    expect(loaded.runs[1]!.allocationsPerFrameAfterWarmup).toBeNaN();
    expect(loaded.runs[1]!.peakMemory.jsHeap).toBeNaN();
  });

  it('reads a version 1 report (runs only) as plain columns', () => {
    const v1 = JSON.stringify({ kind: 'framepool-lab-report', version: 1, file: 'a.mp4', runs: [{ label: 'run 1', mode: 'pooled', frames: 90, latencyMs: { p50: 5 } }] });
    const loaded = parseReportFile(v1);
    expect(loaded.environment).toBeNull();
    expect(tableModel(loaded.runs).compared).toBe(false);
    expect(loaded.runs[0]!.latencyMs.p50).toBe(5);
  });

  it.each([
    ['not JSON', 'hello', /not a FramePool Lab report: it is not JSON/],
    ['another JSON file', '{"name":"package"}', /not a FramePool Lab report \(it has no "kind"/],
    ['a newer version', JSON.stringify({ kind: 'framepool-lab-report', version: REPORT_VERSION + 1, runs: [{}] }), /newer than this page reads/],
    ['no runs', JSON.stringify({ kind: 'framepool-lab-report', version: 2, runs: [] }), /with no runs in it/],
    ['no version', JSON.stringify({ kind: 'framepool-lab-report', runs: [{}] }), /without a readable version/],
  ])('refuses %s with a sentence naming the file', (_what, text, message) => {
    expect(() => parseReportFile(text, 'x.json')).toThrow(ReportFileError);
    expect(() => parseReportFile(text, 'x.json')).toThrow(message);
    expect(() => parseReportFile(text, 'x.json')).toThrow(/^x\.json /);
  });
});

describe('collectEnvironment', () => {
  it('prefers the full browser versions from client hints, without GREASE brands', async () => {
    const env = await collectEnvironment({
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', hardwareConcurrency: 2, deviceMemory: 8,
      userAgentData: {
        brands: [{ brand: 'Chromium', version: '156' }],
        getHighEntropyValues: async () => ({ fullVersionList: [{ brand: 'Not=A?Brand', version: '24.0.0.0' }, { brand: 'Chromium', version: '156.0.8078.79' }], platform: 'Linux', architecture: 'x86' }),
      },
    }, true, 'abc1234', 'typescript');
    expect(env).toEqual({ browser: 'Chromium 156.0.8078.79', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', platform: 'Linux x86', cores: 2, deviceMemoryGiB: 8, crossOriginIsolated: true, commit: 'abc1234', scaler: 'typescript' });
  });

  it('falls back to the user-agent string when there are no client hints', async () => {
    const env = await collectEnvironment({ userAgent: 'Mozilla/5.0 Firefox/140.0' }, false);
    expect(env.browser).toBe('Mozilla/5.0 Firefox/140.0');
    expect(env.cores).toBeNull();
    expect(env.deviceMemoryGiB).toBeNull();
    expect(env.commit).toBe('unknown'); // no build-time define under the test runner
    expect(env.scaler).toBe('wasm-simd'); // Node 20 has WASM SIMD: the scaler this thread would run
  });
});
