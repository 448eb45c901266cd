import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineRun, type RunOptions } from '../../src/pipeline/controller.ts';
import type { LadderRung } from '../../src/pipeline/ladder.ts';
import type { SwitchSchedule } from '../../src/pipeline/switch-schedule.ts';
import { loadCore, makeClip } from '../codec/helpers.ts';
import { createTapBuffer, readTap, tappedPipelineHost } from './encoder-input-tap.ts';

/**
 * Issue 13: with two encoders taking turns at every switch, *block* pacing must still hand
 * every frame to the encoders exactly once and in order. The frames are compared by the MD5
 * of the bytes ffmpeg actually read from the encoders' source device, across both lanes.
 *
 * "The same frame" at a switch: frame i is scaled to the size in force at i. The reference
 * for each size is a run that never switches, started at that size (same decoder, same
 * scaler, one encoder that never restarts); the expected sequence takes frame i from the
 * reference of the size in force at i. A frame lost, repeated or swapped at a hand-over
 * shifts or changes the sequence.
 */
const FRAMES = 40;
const base: RunOptions = { mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'manual' }, startRung: '240', encoders: 2 };

let clip = '';
const references = new Map<string, string[]>();

interface Tapped {
  run: PipelineRun;
  frames: string[];
}

async function tappedRun(options: Partial<RunOptions>): Promise<Tapped> {
  const tap = createTapBuffer();
  const run = new PipelineRun(tappedPipelineHost(tap), { hostPath: clip }, { ...base, ...options });
  expect(await run.run()).toBe('done');
  expect(run.failure).toBeNull();
  return { run, frames: readTap(tap).map((f) => `${f.width}x${f.height} ${f.md5}`) };
}

/** Frame i's expected record at `size` ("WxH"): from a run that stays at that size throughout. */
async function reference(rung: LadderRung, size: string): Promise<string[]> {
  let frames = references.get(size);
  if (!frames) {
    const plain = await tappedRun({ startRung: rung, schedule: { kind: 'manual' }, encoders: 1 });
    expect(plain.run.switches()).toHaveLength(0);
    frames = plain.frames;
    expect(frames).toHaveLength(FRAMES);
    expect(frames.every((f) => f.startsWith(`${size} `))).toBe(true);
    // Every frame differs from every other (testsrc2 draws a counter), so a repeat would show.
    expect(new Set(frames).size).toBe(FRAMES);
    references.set(size, frames);
  }
  return frames;
}

/** The expected sequence for a switching run: frame i from the reference at `sizeAt(i)`. */
async function expected(run: PipelineRun, sizeAt: (frame: number) => string): Promise<string[]> {
  const rungOf = new Map(run.ladder.map(({ rung, size }) => [`${size.width}x${size.height}`, rung]));
  const out: string[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const size = sizeAt(i);
    out.push((await reference(rungOf.get(size)!, size))[i]!);
  }
  return out;
}

beforeAll(async () => {
  const core = await loadCore();
  makeClip(core, '/order.mp4', { size: '160x120', frames: FRAMES });
  clip = join(mkdtempSync(join(tmpdir(), 'framepool-order-')), 'order.mp4');
  writeFileSync(clip, core.FS.readFile('/order.mp4'));
});

describe('frames entering the encoders across lane hand-overs (block pacing)', () => {
  it('a switch every 4 frames through the whole ladder, two encoders: the encoders read exactly the frames of runs that never switch, once each, in order', async () => {
    const schedule: SwitchSchedule = { kind: 'every', frames: 4 };
    const switching = await tappedRun({ schedule });
    const ladder = switching.run.ladder.map(({ size }) => `${size.width}x${size.height}`);
    expect(ladder.length).toBeGreaterThanOrEqual(5); // 160×120 source: every rung is a size of its own
    // The size in force at frame i, from the schedule's definition (not from the run).
    const want = await expected(switching.run, (i) => ladder[Math.floor(i / 4) % ladder.length]!);
    expect(switching.run.segments).toHaveLength(FRAMES / 4);
    expect(switching.frames).toEqual(want);
  }, 300_000);

  it('a seeded storm switching every 2 frames, two encoders: the same, with the sizes the scaler logged', async () => {
    const schedule: SwitchSchedule = { kind: 'storm', seed: 5, everyFrames: 2, maxSwitches: 1000 };
    const switching = await tappedRun({ schedule });
    const switches = switching.run.switches();
    expect(switches).toHaveLength(FRAMES / 2 - 1);
    const start = switching.run.ladder.find((entry) => entry.rung === base.startRung)!.size;
    const sizeAt = (i: number): string => {
      const last = switches.filter((s) => s.frameIndex <= i).at(-1);
      const size = last ? last.to : start;
      return `${size.width}x${size.height}`;
    };
    expect(switching.frames).toEqual(await expected(switching.run, sizeAt));
  }, 300_000);
});
