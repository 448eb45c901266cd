/**
 * Long and large inputs through the real pipeline (PipelineRun, stage workers in
 * worker_threads, the real codec): a long stretch of a file without video is progress, not a
 * stall; frames and the index past the 4 GiB offset are reached by seeking, with memory and
 * bytes read far below the file's size; probing reads only what it needs. Fixtures
 * (gap-fixtures.ts) are written to the OS temp folder and deleted after each test.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodecCore } from '../../src/codec/core.ts';
import { mountInputFile } from '../../src/codec/input.ts';
import { openNodeInput } from '../../src/codec/input-node.ts';
import { probeMedia } from '../../src/codec/probe.ts';
import { GlueGauge, Metrics, StageCounter } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { liveStageWorkers, PipelineRun } from '../../src/pipeline/controller.ts';
import { loadCore, unmountInputFile } from '../codec/helpers.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';
import { GiB, writeMp4PastOffset, writeTsWithNullGap } from './gap-fixtures.ts';
import { baseOptions, fixtureDir, heldSlots } from './helpers.ts';

const MiB = 1024 * 1024;
let core: CodecCore;
const dir = fixtureDir('large');

beforeAll(async () => {
  core = await loadCore();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The longest time (ms) between two frames leaving the decoder, polled every 10 ms until the run ends. */
function watchDecodeGaps(run: PipelineRun): () => number {
  let frames = -1;
  let since = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    if (!run.metricsShared) return;
    const now = performance.now();
    const count = Metrics.attach(run.metricsShared).counter(StageId.decode, StageCounter.frames);
    if (count === frames) return;
    if (frames > 0) longest = Math.max(longest, now - since);
    frames = count;
    since = now;
  }, 10);
  run.addEventListener('phase', () => (run.phase === 'done' || run.phase === 'failed') && clearInterval(timer));
  return () => longest;
}

/** The highest resident memory of this process (the stage workers are its threads), polled every 20 ms until `stop()`. */
function watchRss(): { peak: () => number; stop: () => void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

describe('a long stretch without video is read, not taken for a stall', () => {
  // Bug (issue 15): the watchdog counted frames only, so a decoder reading through padding
  // made no progress in its eyes and the run was ended as "The file may be damaged".
  it('regression: an MPEG-TS with 2 GiB of null packets between its frames runs to its last frame under a 1 s watchdog', async () => {
    const path = join(dir, 'null-gap.ts');
    // 5.5 s of video before the gap: the probe's analysis (5 s) ends before it, the run reads it.
    // 2 GiB take the decoder about 2 s here (more under load); the 1 s watchdog leaves an
    // encoder's start on a busy machine room (a 0.6 s one did not, once).
    writeTsWithNullGap(core, path, { size: '160x120', frames: 330, gapBytes: 2 * GiB });
    try {
      const before = liveStageWorkers();
      const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...baseOptions, stallTimeoutMs: 1000 });
      const longestGap = watchDecodeGaps(run);
      const phase = await run.run();
      expect(run.failure).toBeNull();
      expect(phase).toBe('done');
      expect(run.stageResults.decode?.frames).toBe(330);
      expect(run.segments.map((s) => s.frames)).toEqual([330]);
      // The decoder really went longer than the watchdog's limit without a frame (reading the gap).
      console.log(`null gap: longest time between two decoded frames ${longestGap().toFixed(0)} ms (watchdog 1000 ms)`);
      expect(longestGap()).toBeGreaterThan(1000);
      expect(liveStageWorkers()).toBe(before);
      expect(heldSlots(run)).toBe(0);
    } finally {
      rmSync(path, { force: true });
    }
  }, 240_000);
});

describe('a file whose frames sit past the 4 GiB offset', () => {
  it('an MP4 with 64-bit chunk offsets and its index at the end runs to its last frame, reading KBs of its 4 GiB, memory far below its size', async () => {
    const path = join(dir, 'past-4gib.mp4');
    const { size, framesAt } = writeMp4PastOffset(core, path, { size: '320x240', frames: 30, offset: 4 * GiB + 4096 });
    try {
      expect(statSync(path).size).toBe(size);
      expect(framesAt).toBeGreaterThan(4 * GiB);
      const before = liveStageWorkers();
      const rss = watchRss();
      const rssBefore = process.memoryUsage.rss();
      const run = new PipelineRun(nodePipelineHost, { hostPath: path }, baseOptions);
      const phase = await run.run();
      rss.stop();
      expect(run.failure).toBeNull();
      expect(phase).toBe('done');
      expect(run.info).toMatchObject({ width: 320, height: 240, frameCount: 30 });
      expect(run.stageResults.decode).toMatchObject({ frames: 30, endedEarly: false });
      expect(run.segments.map((s) => s.frames)).toEqual([30]);
      // The decoder read the frames and the index, not the 4 GiB before them.
      const readBytes = Metrics.attach(run.metricsShared!).glueGauge(StageId.decode, GlueGauge.inputReadBytes);
      console.log(`past 4 GiB: file ${(size / GiB).toFixed(2)} GiB; decoder read ${(readBytes / 1024).toFixed(0)} KiB; process RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(rss.peak() / MiB).toFixed(0)} MiB`);
      expect(readBytes).toBeGreaterThan(0);
      expect(readBytes).toBeLessThan(MiB);
      expect(rss.peak() - rssBefore).toBeLessThan(size / 8);
      expect(liveStageWorkers()).toBe(before);
      expect(heldSlots(run)).toBe(0);
    } finally {
      rmSync(path, { force: true });
    }
  });
});

describe('probing reads only what it needs', () => {
  /** Bytes the probe read of `path`. */
  function probeReads(path: string): { bytes: number; info: ReturnType<typeof probeMedia> } {
    const input = openNodeInput(path);
    const mounted = mountInputFile(core, input);
    try {
      return { info: probeMedia(core, mounted), bytes: input.bytesRead };
    } finally {
      unmountInputFile(core, mounted);
      input.close();
    }
  }

  it('an MP4 with its frames and index past 4 GiB: under 256 KiB read', () => {
    const path = join(dir, 'probe-4gib.mp4');
    writeMp4PastOffset(core, path, { size: '320x240', frames: 30, offset: 4 * GiB + 4096 });
    try {
      const { bytes, info } = probeReads(path);
      expect(info).toMatchObject({ videoCodec: 'h264', width: 320, height: 240, frameCount: 30 });
      expect(bytes).toBeLessThan(256 * 1024);
    } finally {
      rmSync(path, { force: true });
    }
  });

  // ffprobe reads an MPEG-TS until 5 s of packets (null packets are not packets): a gap within
  // a clip's first 5 s is read through, one after them is not.
  it('an MPEG-TS with 10 s of video before 256 MiB of null packets: analysis stops after 5 s, under 8 MiB read', () => {
    const path = join(dir, 'probe-gap.ts');
    writeTsWithNullGap(core, path, { size: '64x48', frames: 600, gapBytes: 256 * MiB });
    try {
      const { bytes, info } = probeReads(path);
      expect(info).toMatchObject({ videoCodec: 'h264', width: 64, height: 48, durationSec: 20 });
      expect(bytes).toBeLessThan(8 * MiB);
    } finally {
      rmSync(path, { force: true });
    }
  });
});
