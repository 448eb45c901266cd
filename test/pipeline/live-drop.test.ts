import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics-block.ts';
import { SLOW_FAULT_MS } from '../../src/pipeline/control-block.ts';
import { PipelineRun, type RunOptions } from '../../src/pipeline/controller.ts';
import { buildRunReport } from '../../src/pipeline/run-report.ts';
import { dropCounterOf, LiveDropPolicy, overBoundAtEncoder } from '../../src/pipeline/stages/live-drop.ts';
import { FrameRecord } from '../../src/pool/frame-record.ts';
import { recordSinkDone } from '../../src/pool/slot-link.ts';
import { sharedNow, StageId } from '../../src/metrics/stages.ts';
import { loadCore, makeClip } from '../codec/helpers.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';

const FRAMES = 60;
const FPS = 30;
const INTERVAL = 1000 / FPS;
let clip = '';

beforeAll(async () => {
  const core = await loadCore();
  makeClip(core, '/live.mp4', { size: '320x240', frames: FRAMES, rate: FPS });
  clip = join(mkdtempSync(join(tmpdir(), 'framepool-live-')), 'live.mp4');
  writeFileSync(clip, core.FS.readFile('/live.mp4'));
});

/** The encoder's recent-frame records: when each frame was taken, its latency, its index. */
function recentFrames(run: PipelineRun): { t: Float64Array; ms: Float64Array; frame: Float64Array } {
  const metrics = Metrics.attach(run.metricsShared!);
  const n = metrics.recentCursor();
  const t = new Float64Array(n);
  const ms = new Float64Array(n);
  const frame = new Float64Array(n);
  metrics.readRecent(0, t, ms, frame);
  return { t, ms, frame };
}

/** Each encoded frame's lateness: taken by its encoder (the end-to-end record's time) − due (start + index × interval), ms. */
function lateness(run: PipelineRun): number[] {
  const { t, frame } = recentFrames(run);
  return Array.from(t, (at, i) => at - (run.control!.startedAt + frame[i]! * INTERVAL));
}

/** Each encoded frame's lateness at its release by the decoder: (taken − latency) − due, ms. */
function releaseLateness(run: PipelineRun): number[] {
  const { t, ms, frame } = recentFrames(run);
  return Array.from(t, (at, i) => at - ms[i]! - (run.control!.startedAt + frame[i]! * INTERVAL));
}

/** Each encoded frame's latency (released → taken by its encoder) as the metrics recorded it, ms. */
function latencies(run: PipelineRun): Float64Array {
  return recentFrames(run).ms;
}

// An encoder SLOW_FAULT_MS (3 frame intervals) slower per frame than it is: it cannot keep up with 30 fps.
const slowEncoder: RunOptions = {
  mode: 'pooled', codec: 'h264', pacing: 'realtime', schedule: { kind: 'every', frames: 20 }, startRung: '240',
  fault: { stage: 'encode', frameIndex: 0, kind: 'slow' },
};

describe('live policy under realtime pacing with an encoder that falls behind', () => {
  it('block keeps every frame and lateness grows with the backlog; drop drops frames, counts them per rung and keeps lateness bounded', async () => {
    const block = new PipelineRun(nodePipelineHost, { hostPath: clip }, { ...slowEncoder, livePolicy: 'block' });
    expect(await block.run()).toBe('done');
    expect(block.stageResults.scale?.dropped).toBe(0);
    expect(buildRunReport(block).drops).toEqual({ total: 0, byRung: {}, boundMs: null, atEncoder: 0, emptySegments: 0 });
    expect(block.stageResults.encode?.frames).toBe(FRAMES);
    const blockLate = lateness(block);
    // By construction: the last frame cannot be taken before 60 × 100 ms of sleeping, due at 2 s.
    expect(Math.max(...blockLate)).toBeGreaterThan((FRAMES - 1) * SLOW_FAULT_MS - FRAMES * INTERVAL);

    const drop = new PipelineRun(nodePipelineHost, { hostPath: clip }, { ...slowEncoder, livePolicy: 'drop' });
    expect(await drop.run()).toBe('done');
    const encoded = drop.stageResults.encode!.frames;
    const report = buildRunReport(drop);
    expect(report.drops.boundMs).toBeCloseTo(3 * INTERVAL, 6);
    expect(report.drops.total).toBe(FRAMES - encoded);
    expect(report.drops.total).toBeGreaterThan(FRAMES / 3); // the encoder manages under a third of the frames
    // Every rung the schedule visited (240, 360, 480 for 20 frames each) lost frames, and they add up.
    expect(Object.keys(report.drops.byRung).sort()).toEqual(['240', '360', '480']);
    expect(Object.values(report.drops.byRung).reduce((a, b) => a + b, 0)).toBe(report.drops.total);
    // The bound itself, where block grew by 67 ms a frame: every kept frame was taken by its
    // encoder within it (the encoder's last check drops a later one, and the latency is recorded
    // at the take it checked). Slack of one frame interval only for the policy's exception, a
    // frame already over the bound when the scaler queued it: on a loaded machine the decoder or
    // scaler can be descheduled that long. Frames the decoder itself released over a frame
    // interval late are that exception by construction, and left out (the latency check below
    // holds them). Without the check, kept frames were 143–223 ms late.
    const dropLate = lateness(drop);
    expect(dropLate).toHaveLength(encoded);
    const releasedLate = releaseLateness(drop);
    const releasedOnTime = dropLate.filter((_v, i) => releasedLate[i]! <= INTERVAL);
    console.log(`drop: ${encoded} of ${FRAMES} encoded, ${report.drops.atEncoder} dropped by the encoders' check, lateness max ${Math.max(...dropLate).toFixed(1)} ms (bound ${report.drops.boundMs!.toFixed(1)}), ${encoded - releasedOnTime.length} released late by the decoder`);
    expect(releasedOnTime.length).toBeGreaterThan(encoded / 2);
    expect(Math.max(...releasedOnTime)).toBeLessThanOrEqual(report.drops.boundMs! + INTERVAL);
    // Latency (released → taken), recorded at the take the check used: within the bound, no slack, however loaded.
    expect(Math.max(...latencies(drop))).toBeLessThanOrEqual(report.drops.boundMs!);
    // Switches are logged at the first kept frame of the new size, and segments start there.
    expect(report.switches.map((s) => s.segment)).toEqual([1, 2]);
    // Each switch's cost in order: out of the scaler ≤ into its encoder ≤ first encoded bytes out.
    for (const s of report.switches) {
      expect(s.toEncoderMs).toBeGreaterThanOrEqual(s.switchMs);
      expect(s.toFirstBytesMs).toBeGreaterThanOrEqual(s.toEncoderMs!);
    }
  }, 120_000);

  // Bug: frames late on arrival from a decoder behind realtime were all dropped (3 of 300 encoded).
  it('a decoder behind realtime: drop keeps its late frames (only those around the encoder\'s start go), since the idle encoders take each at once', async () => {
    // One size, so one encoder start; the encoder (240p) is far quicker than the decoder's 100+ ms a frame.
    const run = new PipelineRun(nodePipelineHost, { hostPath: clip }, {
      ...slowEncoder, schedule: { kind: 'manual' }, fault: { stage: 'decode', frameIndex: 0, kind: 'slow' }, livePolicy: 'drop',
    });
    expect(await run.run()).toBe('done');
    // Only frames around the encoder's start (the bug: all but one): the first if that start took
    // it past the bound (the encoder's check), and those the decoder released meanwhile (the
    // scaler queues nothing behind a starting encoder), one per SLOW_FAULT_MS at most. Frames
    // late from the decoder are kept by the encoder's check too: they were late when queued.
    const report = buildRunReport(run);
    const dropped = report.drops.total;
    expect(dropped).toBeLessThanOrEqual(1 + Math.ceil(report.segments[0]!.openMs / SLOW_FAULT_MS));
    expect(dropped).toBeLessThan(FRAMES / 2); // however slow the start: the bug kept none
    expect(run.stageResults.encode?.frames).toBe(FRAMES - dropped);
    expect(Math.max(...lateness(run))).toBeGreaterThan(FRAMES * (SLOW_FAULT_MS - INTERVAL) / 2); // the frames were late
  }, 120_000);
});

// Bug: in drop mode an encoder that let every frame of a size go still closed a segment for it:
// a container header with no frame, listed as a segment that cannot play (storm runs had half their segments so).
it('drop with a switch every 2 frames and a slow encoder: no segment without a frame is kept; those let go are counted and said', async () => {
  const run = new PipelineRun(nodePipelineHost, { hostPath: clip }, { ...slowEncoder, schedule: { kind: 'every', frames: 2 }, livePolicy: 'drop' });
  const outcome = await run.run();
  expect(outcome, JSON.stringify(run.failure)).toBe('done');
  const report = buildRunReport(run);
  expect(report.drops.emptySegments).toBeGreaterThan(0); // the encoders did drop whole sizes here
  expect(run.segments.every((s) => s.frames > 0)).toBe(true);
  // Every segment the encoders closed reached the page: kept, or let go as empty.
  expect(run.segments.length + report.drops.emptySegments).toBe(run.stageResults.encode!.segments);
  expect(run.segments.reduce((n, s) => n + s.frames, 0)).toBe(run.stageResults.encode!.frames);
  expect(run.notice).toContain('held no frame, ');
  expect(run.notice).toMatch(/\d+×\d+/); // names the sizes
}, 120_000);

describe('LiveDropPolicy decisions (no clock: times are given)', () => {
  const bound = 100;
  it('keeps every frame while the encoders keep up', () => {
    const policy = new LiveDropPolicy(bound, 6);
    for (let i = 0; i < 50; i++) {
      const now = i * 33.3 + 2; // taken 2 ms after due; the previous frame was done in 10 ms
      expect(policy.shouldDrop(i * 33.3, now, i)).toBe(false);
      policy.queuedFrame(i * 33.3, now, i, i === 0);
    }
  });

  // Bug: a 720p source decoded behind realtime on a loaded machine arrived over the bound
  // late, and every frame was dropped (3 of 300 encoded).
  it('keeps a late frame the idle encoders take at once (no starving when the decoder is behind); drops any while the link is full', () => {
    const policy = new LiveDropPolicy(bound, 2);
    expect(policy.shouldDrop(0, bound + 50, 0)).toBe(false);
    policy.queuedFrame(10, 10, 0, false);
    policy.queuedFrame(20, 20, 0, false);
    expect(policy.shouldDrop(30, 30, 0)).toBe(true); // two queued, none done: full
  });

  it('drops while the oldest frame queued for encode is older than the bound', () => {
    const policy = new LiveDropPolicy(bound, 6);
    policy.queuedFrame(0, 0, 0, false);
    expect(policy.shouldDrop(110, 110, 0)).toBe(true); // frame 0 not done 110 ms after due
    expect(policy.shouldDrop(110, 110, 1)).toBe(false); // done: the queue is empty
  });

  it('queues nothing behind an encoder that is starting (a first frame, a switch\'s new size)', () => {
    const policy = new LiveDropPolicy(bound, 6);
    policy.queuedFrame(0, 0, 0, true);
    expect(policy.shouldDrop(33, 33, 0)).toBe(true);
    expect(policy.shouldDrop(66, 66, 1)).toBe(false); // started: the queue is empty again
  });

  it('the encoder\'s last check drops a frame over the bound as it is taken, unless it was over it already when the scaler queued it (a source behind realtime) and has not waited in the pipeline past the bound since its release', () => {
    expect(overBoundAtEncoder(bound, 0, 0, 10, bound + 1)).toBe(true); // waited in the link past the bound
    expect(overBoundAtEncoder(bound, 0, 0, 10, bound)).toBe(false); // at the bound: kept
    expect(overBoundAtEncoder(bound, 0, bound + 40, bound + 50, bound + 60)).toBe(false); // late from its source, 20 ms in the pipeline: kept
    expect(overBoundAtEncoder(bound, 0, -0.0005, 10, bound)).toBe(true); // released a hair before due (µs rounding): its latency would be over
  });

  it('regression (bench drop case under load: kept frames 33.6 ms over the bound): a frame late when queued is still dropped once it has waited past the bound since its release (here behind an encoder\'s start)', () => {
    expect(overBoundAtEncoder(bound, 0, bound + 5, bound + 10, 2 * bound + 40)).toBe(true);
  });

  it('regression (bench drop case: kept frames came out 0.5 and 3.3 ms over the bound, the check and the latency record being two clock readings apart): a kept frame\'s latency is recorded at the take the check used, however long its read into the codec lasts', () => {
    const metrics = Metrics.create();
    const frame = new FrameRecord();
    const dueAt = sharedNow();
    frame.stamps[StageId.decode] = dueAt; // released when due
    frame.stamps[StageId.scale] = dueAt + 1;
    frame.frameIndex = 0;
    const takenAt = dueAt + bound; // exactly at the bound: kept
    frame.startedAt = takenAt;
    expect(overBoundAtEncoder(bound, dueAt, dueAt, dueAt + 1, takenAt)).toBe(false);
    while (sharedNow() < takenAt + 5); // the read into the codec (or a descheduled thread) lasts past the bound
    recordSinkDone(metrics, StageId.encode, frame, takenAt);
    const [t, ms, index] = [new Float64Array(1), new Float64Array(1), new Float64Array(1)];
    metrics.readRecent(0, t, ms, index);
    expect(ms[0]).toBe(bound); // before the fix: recorded after the read, ≥ bound + 5
    expect(t[0]).toBe(takenAt);
  });

  it('names a drop\'s rung from the frame size: the first rung of that size for the source, else "other"', () => {
    const source = { width: 1280, height: 720 };
    expect(dropCounterOf({ width: 426, height: 240 }, source)).toBe(0);
    expect(dropCounterOf({ width: 1280, height: 720 }, source)).toBe(3); // 720p, not 'native' (same size)
    expect(dropCounterOf({ width: 100, height: 100 }, source)).toBe(6);
  });

  it('predicts lateness from the encoders\' measured time per frame and the frames queued ahead', () => {
    const policy = new LiveDropPolicy(bound, 6);
    // The encoders finish one frame every 60 ms while busy.
    policy.queuedFrame(0, 0, 0, false);
    policy.queuedFrame(30, 30, 0, false);
    expect(policy.shouldDrop(60, 60, 1)).toBe(false); // frame 1 in service: done by 120 at 60 ms a frame
    policy.queuedFrame(60, 60, 1, false);
    expect(policy.perFrameMs).toBeCloseTo(60, 6);
    // At 90 ms frame 1 has 30 ms left and frame 2 waits 60 more: taken at 180, 90 late: kept.
    expect(policy.shouldDrop(90, 90, 1)).toBe(false);
    policy.queuedFrame(90, 90, 1, false);
    // At 100 ms: 20 ms left of frame 1, then frames 2 and 3 (120 ms): taken at 240, 140 late.
    expect(policy.shouldDrop(100, 100, 1)).toBe(true);
  });
});
