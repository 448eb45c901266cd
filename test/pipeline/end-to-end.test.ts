/**
 * End to end per frame (issue 10): released by the source → its encoded bytes out of the
 * encoder. The encoder records one value per frame after the lead-in, except each segment's
 * first frame (its bytes may leave with the container's header).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { histogramCount } from '../../src/metrics/histogram.ts';
import { HIST_E2E, HIST_OUT, LEAD_IN_FRAMES, Metrics } from '../../src/metrics/metrics-block.ts';
import { PipelineRun } from '../../src/pipeline/controller.ts';
import { buildRunReport } from '../../src/pipeline/run-report.ts';
import { loadCore, makeClip } from '../codec/helpers.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';

const FRAMES = 90;
let clip = '';

beforeAll(async () => {
  const core = await loadCore();
  makeClip(core, '/e2e.mp4', { size: '320x240', frames: FRAMES });
  clip = join(mkdtempSync(join(tmpdir(), 'framepool-e2e-')), 'e2e.mp4');
  writeFileSync(clip, core.FS.readFile('/e2e.mp4'));
});

for (const codec of ['h264', 'vp8'] as const) {
  it(`${codec}: one end-to-end value per frame after the lead-in but each segment's first, each at least that frame's time to its encoder`, async () => {
    // Segments start at frames 0, 20, 40, 60, 80: those after the lead-in (40, 60, 80) are left out.
    const run = new PipelineRun(nodePipelineHost, { hostPath: clip }, { mode: 'pooled', codec, pacing: 'max', schedule: { kind: 'every', frames: 20 }, startRung: '240' });
    expect(await run.run()).toBe('done');
    const firsts = run.segments.map((s) => s.firstFrameIndex).filter((i) => i >= LEAD_IN_FRAMES);
    expect(firsts).toEqual([40, 60, 80]);
    const metrics = Metrics.attach(run.metricsShared!);
    expect(histogramCount(metrics.ints, metrics.histogramOffset(HIST_OUT))).toBe(FRAMES - LEAD_IN_FRAMES - firsts.length);
    // Encoding comes after the take: the out figures lie above the take latency's (same histogram buckets).
    const report = buildRunReport(run);
    expect(report.outMs.p50).not.toBeNull();
    expect(report.outMs.p50!).toBeGreaterThanOrEqual(report.endToEndMs.p50!);
    expect(report.outMs.max).toBeGreaterThanOrEqual(report.outMs.p50!);
    expect(metrics.histogramMaxMs(HIST_E2E)).toBeGreaterThan(0);
  }, 120_000);
}

it("the encoded bytes pass through the output ring: every segment's bytes arrive, and the most that waited is in the report, within the ring", async () => {
  const run = new PipelineRun(nodePipelineHost, { hostPath: clip }, { mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'every', frames: 30 }, startRung: '240' });
  expect(await run.run()).toBe('done');
  for (const s of run.segments) expect(s.chunks.reduce((sum, c) => sum + c.byteLength, 0)).toBe(s.byteLength);
  const { outputRing } = buildRunReport(run);
  expect(outputRing.peakBytes).toBeGreaterThanOrEqual(Math.max(...run.segments.map((s) => s.maxChunkBytes)));
  expect(outputRing.peakBytes).toBeLessThanOrEqual(outputRing.capacityBytes);
}, 120_000);
