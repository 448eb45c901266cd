import { segmentBytes } from '../codec/helpers.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CodecCore } from '../../src/codec/core.ts';
import { Metrics, StageCounter, StageGauge } from '../../src/metrics/metrics-block.ts';
import { STAGE_NAMES, type StageId } from '../../src/metrics/stages.ts';
import { liveStageWorkers, PipelineRun, type RunOptions } from '../../src/pipeline/controller.ts';
import type { AllocationMode } from '../../src/pool/link.ts';
import { buildRunReport, type PipelineRunReport } from '../../src/pipeline/run-report.ts';
import { loadCore, makeClip, probeStream } from '../codec/helpers.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';

let core: CodecCore;
const dir = mkdtempSync(join(tmpdir(), 'framepool-pipeline-'));

/** A lavfi clip on disk (the decode worker reads it lazily, as it would a dropped File). */
function clipOnDisk(name: string, size: string, frames: number): string {
  makeClip(core, `/${name}`, { size, frames });
  const path = join(dir, name);
  writeFileSync(path, core.FS.readFile(`/${name}`));
  core.FS.unlink(`/${name}`);
  return path;
}

function probeSegment(bytes: Uint8Array, name: string) {
  core.FS.writeFile(`/${name}`, bytes);
  try {
    return probeStream(core, `/${name}`);
  } finally {
    core.FS.unlink(`/${name}`);
  }
}

const base: RunOptions = { mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'manual' }, startRung: '240' };

beforeAll(async () => {
  core = await loadCore();
});

describe('pipeline (real workers, real codec)', () => {
  it.each(['pooled', 'unpooled'] as const)('%s: every decoded frame comes out of the encoder and no stage holds a slot at the end', async (mode) => {
    const path = clipOnDisk(`plain-${mode}.mp4`, '320x240', 45);
    const workersBefore = liveStageWorkers();
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, mode });
    const phase = await run.run();
    expect(run.failure).toBeNull();
    expect(phase).toBe('done');
    expect(run.segments).toHaveLength(1);
    const segment = run.segments[0]!;
    expect(segment.frames).toBe(45);
    expect(probeSegment(segmentBytes(segment), segment.fileName)).toEqual({ codec: 'h264', width: 320, height: 240, frames: 45 });
    expect(run.heldAtEnd).toEqual({ decode: 0, scale: 0, encode: 0 });
    expect(liveStageWorkers()).toBe(workersBefore);
  });

  // Bug: each segment was held whole in the encoder's MEMFS, rewritten for faststart and read
  // back at its end, so the encoder's memory grew with the segment and nothing left before it.
  it('encoded bytes leave the encoder as they are written: a chunk per frame, a bounded chunk, playable fragmented MP4', async () => {
    const path = clipOnDisk('stream.mp4', '320x240', 90);
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, base);
    expect(await run.run()).toBe('done');
    const [segment] = run.segments;
    expect(segment).toBeDefined();
    expect(segment!.chunks.length).toBeGreaterThanOrEqual(90); // header, then one write per frame
    expect(segment!.chunks.reduce((n, c) => n + c.byteLength, 0)).toBe(segment!.byteLength);
    expect(segment!.maxChunkBytes).toBeLessThan(segment!.byteLength / 10);
    expect(segment!.firstBytesAt).toBeGreaterThan(run.startedAt);
    expect(probeSegment(segmentBytes(segment!), segment!.fileName)).toEqual({ codec: 'h264', width: 320, height: 240, frames: 90 });
  });

  it('every 30 frames through the ladder: one segment per size, exact frame counts, each probes at its size', async () => {
    const path = clipOnDisk('ladder.mp4', '320x240', 120);
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, schedule: { kind: 'every', frames: 30 } });
    expect(await run.run()).toBe('done');
    const sizes = run.segments.map((s) => `${s.width}x${s.height}:${s.frames}`);
    expect(sizes).toEqual(['320x240:30', '480x360:30', '640x480:30', '960x720:30']);
    for (const segment of run.segments) {
      expect(probeSegment(segmentBytes(segment), segment.fileName)).toEqual({ codec: 'h264', width: segment.width, height: segment.height, frames: 30 });
    }
    expect(run.switches().map((s) => s.frameIndex)).toEqual([30, 60, 90]);
    // Re-init cost is measured for every segment after the first.
    for (const segment of run.segments.slice(1)) expect(segment.reinitMs).toBeGreaterThan(0);
  });

  it('two encoders: the next segment opens while the last one closes, and every frame still arrives once, in order', async () => {
    const path = clipOnDisk('lanes.mp4', '320x240', 100);
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, schedule: { kind: 'every', frames: 10 }, encoders: 2 });
    expect(await run.run()).toBe('done');
    const segments = run.segments;
    expect(segments.map((s) => s.index)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // Exactly once and in order: each segment starts where the previous one ended.
    let next = 0;
    for (const s of segments) {
      expect([s.firstFrameIndex, s.frames]).toEqual([next, 10]);
      next += s.frames;
      expect(probeSegment(segmentBytes(s), s.fileName)).toEqual({ codec: 'h264', width: s.width, height: s.height, frames: 10 });
    }
    // Overlap, not a timing threshold: a segment's exec started before the previous one returned.
    const overlapped = segments.slice(1).filter((s, k) => s.openedAt < segments[k]!.closedAt).length;
    expect(overlapped).toBeGreaterThan(0);
    for (const s of segments.slice(1)) expect(s.gapMs).toBeGreaterThan(0);
    // One encoder: never overlapped.
    const single = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, schedule: { kind: 'every', frames: 10 }, encoders: 1 });
    expect(await single.run()).toBe('done');
    expect(single.segments.slice(1).every((s, k) => s.openedAt >= single.segments[k]!.closedAt)).toBe(true);
  });

  it('VP8 segments probe as VP8', async () => {
    const path = clipOnDisk('vp8.mp4', '320x240', 40);
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, codec: 'vp8', schedule: { kind: 'every', frames: 20 } });
    expect(await run.run()).toBe('done');
    expect(run.segments.map((s) => probeSegment(segmentBytes(s), s.fileName))).toEqual([
      { codec: 'vp8', width: 320, height: 240, frames: 20 },
      { codec: 'vp8', width: 480, height: 360, frames: 20 },
    ]);
  });

  it('pooled carves every slot before the first frame and none while switching; unpooled allocates per frame per stage', async () => {
    const path = clipOnDisk('alloc.mp4', '320x240', 90);
    const totals = async (mode: AllocationMode) => {
      const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, mode, schedule: { kind: 'every', frames: 15 } });
      expect(await run.run()).toBe('done');
      expect(run.switches().length).toBe(5);
      const metrics = Metrics.attach(run.shared!.metrics);
      const stages = STAGE_NAMES.slice(0, 3).map((_, stage) => stage as StageId);
      return {
        rungs: run.ladder.length,
        counts: stages.map((stage) => metrics.counter(stage, StageCounter.allocations)),
        copied: stages.map((stage) => metrics.gauge(stage, StageGauge.bytesCopied)),
      };
    };
    // Warm-up: link A's 6 native slots, link B's 6 + 1 preview slots for every ladder size but
    // the source's (240p here): the scaler passes those frames along in link A's slots.
    const pooled = await totals('pooled');
    expect(pooled.rungs).toBeGreaterThanOrEqual(4);
    expect(pooled.counts.slice(0, 3)).toEqual([6, 7 * (pooled.rungs - 1), 0]);
    // Bug: every size class was carved anew at each switch (0.17 allocations per frame with a
    // switch every 30 frames). Now the same counts hold whatever the switches.
    expect(pooled.copied).toEqual([0, 0, 0]);
    // Unpooled as people write it: decode's fresh frame moves to the scaler by transfer; the
    // scaler's fresh output is copied once into a shared transport slot (carved in the warm-up)
    // because the encoder, inside exec, can receive no message; the encoder reads it in place.
    // Frames 0–14 and 75–89 are at the source size (rung 240 of a 240p clip): the scaler passes
    // those along in decode's buffer (issue 14), so it allocates for the 60 others only.
    const unpooled = await totals('unpooled');
    expect(unpooled.counts).toEqual([90, 60 + 7 * unpooled.rungs, 0]);
    expect(unpooled.copied[0]).toBe(0);
    expect(unpooled.copied[1]).toBeGreaterThan(0);
    expect(unpooled.copied[2]).toBe(0);
    // Copy-through (the stricter third mode): both sides of both links allocate and copy.
    const copyThrough = await totals('copy-through');
    expect(copyThrough.counts).toEqual([90 + 6, 90 + 60 + 7 * copyThrough.rungs, 90]);
  });
});

describe('switch storm', () => {
  // The field bug this product exists to show: x264 re-initialised on every resolution
  // change crashed the process (here: the exec stack leak traps after ~147 restarts).
  it('a switch every frame for 1000 frames: no trap, codec WASM memory flat within 2 MB', async () => {
    const path = clipOnDisk('storm.mp4', '160x96', 1000);
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, {
      ...base, schedule: { kind: 'storm', seed: 7, everyFrames: 1, maxSwitches: 1000 },
    });
    expect(await run.run()).toBe('done');
    expect(run.failure).toBeNull();
    expect(run.switches()).toHaveLength(999);
    expect(run.segments).toHaveLength(1000);
    expect(run.segments.every((s) => s.frames === 1)).toBe(true);
    // Pooled: only the warm-up's pre-carved slots were ever allocated, storm or not (link B
    // none of the source size: those frames pass along in link A's slots).
    const metrics = Metrics.attach(run.shared!.metrics);
    const allocations = STAGE_NAMES.reduce((sum, _, stage) => sum + metrics.counter(stage as StageId, StageCounter.allocations), 0);
    expect(allocations).toBe(6 + 7 * (run.ladder.length - 1));
    // After every size has been seen once (warm-up), the encoder's memory stays put.
    const wasm = run.segments.map((s) => s.wasmBytesAfter);
    const warm = wasm[100]!;
    expect(Math.max(...wasm.slice(100)) - warm).toBeLessThanOrEqual(2 * 1024 * 1024);
  }, 300_000);
});

describe('pipeline failures and stops', () => {
  it('a stage that throws ends the run as failed, naming the stage, keeping finished segments, leaking no worker', async () => {
    const path = clipOnDisk('fault.mp4', '320x240', 90);
    const before = liveStageWorkers();
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, {
      ...base, schedule: { kind: 'every', frames: 20 }, fault: { stage: 'scale', frameIndex: 50 },
    });
    expect(await run.run()).toBe('failed');
    expect(run.failure?.stage).toBe('scale');
    expect(run.failure?.message).toMatch(/injected fault at frame 50/);
    expect(run.segments.length).toBeGreaterThanOrEqual(2);
    expect(run.segments.slice(0, 2).map((s) => s.frames)).toEqual([20, 20]);
    expect(liveStageWorkers()).toBe(before);
  });

  it('a file with no video fails in decode with a sentence for the user', async () => {
    makeClip(core, '/tone.m4a', { source: 'sine=frequency=440:duration=1', frames: 1, extra: ['-c:a', 'aac'] });
    const path = join(dir, 'tone.m4a');
    writeFileSync(path, core.FS.readFile('/tone.m4a'));
    const before = liveStageWorkers();
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, base);
    expect(await run.run()).toBe('failed');
    expect(run.failure?.stage).toBe('decode');
    expect(run.failure?.message).toMatch(/no picture/i);
    expect(liveStageWorkers()).toBe(before);
  });

  it('stop mid-run returns within a second and closes the open segment', async () => {
    const path = clipOnDisk('long.mp4', '320x240', 300);
    const before = liveStageWorkers();
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, pacing: 'realtime' });
    const ended = run.run();
    await new Promise<void>((resolve) => run.addEventListener('phase', () => run.phase === 'running' && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const stopAt = performance.now();
    run.stop();
    expect(await ended).toBe('done');
    expect(performance.now() - stopAt).toBeLessThan(1000);
    expect(run.segments).toHaveLength(1);
    const segment = run.segments[0]!;
    expect(segment.frames).toBeGreaterThan(5);
    expect(segment.frames).toBeLessThan(300);
    expect(probeSegment(segmentBytes(segment), segment.fileName).frames).toBe(segment.frames);
    expect(liveStageWorkers()).toBe(before);
  });
});

describe('stop before run', () => {
  // Regression (issue 15's 20-cycle test): the page opens its output files before run(), and a
  // Stop clicked then reached a run still 'idle', was ignored, and the run went to its end.
  it('a stop() before run() is not lost: run() ends at once, stopped, with no worker started and no frame', async () => {
    const path = clipOnDisk('long.mp4', '320x240', 300);
    const before = liveStageWorkers();
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, pacing: 'realtime' });
    run.stop();
    const startedAt = performance.now();
    expect(await run.run()).toBe('done');
    expect(performance.now() - startedAt).toBeLessThan(1000);
    expect(run.segments).toHaveLength(0);
    expect(run.info).toBeNull(); // the file was never opened
    expect(liveStageWorkers()).toBe(before);
  });
});

describe('run report', () => {
  it('joins switches with the encoder re-inits, has per-stage totals and survives JSON', async () => {
    const path = clipOnDisk('report.mp4', '320x240', 60);
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, schedule: { kind: 'every', frames: 20 } });
    expect(await run.run()).toBe('done');
    const report = JSON.parse(JSON.stringify(buildRunReport(run, { t: new Float64Array([1, NaN, 3]) }))) as PipelineRunReport;
    expect(report.stages.encode.frames).toBe(60);
    expect(report.stages.decode.frames).toBe(60);
    expect(report.segments.map((s) => [s.firstFrameIndex, s.frames])).toEqual([[0, 20], [20, 20], [40, 20]]);
    expect(report.switches.map((s) => [s.frameIndex, s.segment])).toEqual([[20, 1], [40, 2]]);
    for (const s of report.switches) {
      expect(s.switchMs).toBeGreaterThanOrEqual(0);
      expect(s.encoderReinitMs).toBeGreaterThan(0);
      expect(s.encoderWasmAfter).toBeGreaterThan(0);
    }
    expect(report.endToEndMs.p50).toBeGreaterThan(0);
    expect(report.series.t).toEqual([1, null, 3]);
  });
});
