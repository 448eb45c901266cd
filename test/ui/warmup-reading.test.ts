import { describe, expect, it } from 'vitest';
import { LEAD_IN_FRAMES, Metrics } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { buildReport } from '../../src/ui/compare/report.ts';
import type { UiRun } from '../../src/ui/engine.ts';
import { RunTelemetry } from '../../src/ui/telemetry.ts';

/** Just what RunTelemetry reads of a run: a metrics block and an ended, switch-free run. */
function fakeRun(metrics: Metrics): UiRun {
  return {
    settings: { pacing: 'max', mode: 'unpooled', codec: 'h264', schedule: 'none', startRung: '480p', framesInFlight: 2, encoders: 2 },
    phase: 'done', failure: null, segments: [], startedAt: performance.timeOrigin, endedAt: performance.timeOrigin + 1000, heldSlotsAtEnd: 0,
    metrics: () => metrics, pool: () => null, wasmBytes: () => NaN, switches: () => [], sourceClock: () => null,
  } as unknown as UiRun;
}

function frames(m: Metrics, n: number): void {
  for (let i = 0; i < n; i++) {
    m.countAllocation(StageId.decode, 1000);
    m.countAllocation(StageId.scale, 500);
    m.countSinkFrame(StageId.encode);
  }
}

describe('allocations per frame after warm-up', () => {
  // Regression: the warm-up totals were "the first sample with ≥ 30 frames", so a short fast
  // run that passed frame 30 and ended between two samples read NaN (e2e, unpooled, max pacing).
  it('is measured from the lead-in\'s last frame even when no sample fell between frame 30 and the end', () => {
    const m = Metrics.create();
    const telemetry = new RunTelemetry(fakeRun(m), 'unpooled');
    frames(m, 10);
    telemetry.sample(); // the only sample during the run: before the lead-in ended
    frames(m, 50);
    telemetry.sample(); // the final sample, at the end
    const report = buildReport(telemetry.record());
    expect(report.allocationsPerFrameAfterWarmup).toBe(2);
    expect(telemetry.record().warmup?.frames).toBe(LEAD_IN_FRAMES);
  });

  it('stays unknown (NaN) for a run that never finished its lead-in', () => {
    const m = Metrics.create();
    const telemetry = new RunTelemetry(fakeRun(m), 'unpooled');
    frames(m, LEAD_IN_FRAMES - 1);
    telemetry.sample();
    expect(buildReport(telemetry.record()).allocationsPerFrameAfterWarmup).toBeNaN();
  });
});

describe('lateness (realtime)', () => {
  // Bug: the report's lateness took every frame, the lead-in too, while every latency row leaves
  // the first 30 out; a run's cold first second then set its lateness p99 (3rd-worst of 300).
  it('leaves the lead-in out of the report, as the latency rows do, while the live figure follows every frame', () => {
    const m = Metrics.create();
    const interval = 1000 / 30;
    const run = { ...fakeRun(m), settings: { ...fakeRun(m).settings, pacing: 'realtime' }, sourceClock: () => ({ startedAt: 1000, intervalMs: interval }) } as unknown as UiRun;
    const telemetry = new RunTelemetry(run, 'pooled');
    // 130 frames: the lead-in taken 400 ms late, the rest 5 ms late.
    for (let i = 0; i < 130; i++) m.recordEndToEnd(1, i, 1000 + i * interval + (i < LEAD_IN_FRAMES ? 400 : 5));
    telemetry.sample();
    const report = buildReport(telemetry.record());
    expect(report.latenessMs?.max).toBeCloseTo(5, 6);
    expect(report.latenessMs?.p99).toBeCloseTo(5, 6);
    expect(telemetry.behind?.lateMs).toBeCloseTo(5, 6);
    m.recordEndToEnd(1, 130, 1000 + 130 * interval + 250);
    telemetry.sample();
    expect(telemetry.behind?.lateMs).toBeCloseTo(250, 6);
  });
});
