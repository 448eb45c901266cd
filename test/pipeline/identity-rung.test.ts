import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Metrics, StageCounter, StageGauge } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { PipelineRun, type RunOptions } from '../../src/pipeline/controller.ts';
import type { LadderRung } from '../../src/pipeline/ladder.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import type { AllocationMode } from '../../src/pool/link.ts';
import { loadCore, makeClip } from '../codec/helpers.ts';
import { heldSlots, killableHost, until } from '../reliability/helpers.ts';
import { createTapBuffer, readTap, tappedPipelineHost } from './encoder-input-tap.ts';

/**
 * Issue 14: on the identity rung (the '360' rung of a 480×360 clip is its own size) the scale
 * stage passes each frame along instead of copying it: pooled, the decoder's slot itself goes
 * to the encoder; unpooled, the decoded buffer goes on and is copied only into the shared slot
 * the encoder (blocked in exec) reads. The real stages in worker_threads; what the encoders
 * read is hashed per frame (encoder-input-tap.ts) and compared with copy-through runs, whose
 * frames cross every link by copies.
 */
const FRAMES = 30;
const WIDTH = 480;
const HEIGHT = 360;
const NATIVE: LadderRung = '360';
const SMALLER: LadderRung = '240';
const base: RunOptions = { mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'manual' }, startRung: NATIVE, encoders: 2 };

let clip = '';
const references = new Map<LadderRung, string[]>();

async function tappedRun(options: Partial<RunOptions>) {
  const tap = createTapBuffer();
  const run = new PipelineRun(tappedPipelineHost(tap), { hostPath: clip }, { ...base, ...options });
  expect(await run.run()).toBe('done');
  expect(run.failure).toBeNull();
  const metrics = Metrics.attach(run.shared!.metrics);
  const scale = {
    allocations: metrics.counter(StageId.scale, StageCounter.allocations),
    copied: metrics.gauge(StageId.scale, StageGauge.bytesCopied),
    // Slots of link B the scaler took for its output (pooled counts its acquires as hits or misses).
    slotsTaken: metrics.counter(StageId.scale, StageCounter.poolHits) + metrics.counter(StageId.scale, StageCounter.poolMisses),
  };
  return { run, scale, frames: readTap(tap).map((f) => `${f.width}x${f.height} ${f.md5}`) };
}

/** What the encoders read of a copy-through run that stays at `rung`: the bytes by the copy path. */
async function reference(rung: LadderRung): Promise<string[]> {
  let frames = references.get(rung);
  if (!frames) {
    const plain = await tappedRun({ mode: 'copy-through', startRung: rung, encoders: 1 });
    frames = plain.frames;
    expect(frames).toHaveLength(FRAMES);
    expect(new Set(frames).size).toBe(FRAMES); // testsrc2 draws a counter: a repeat would show
    references.set(rung, frames);
  }
  return frames;
}

beforeAll(async () => {
  const core = await loadCore();
  makeClip(core, '/identity.mp4', { size: `${WIDTH}x${HEIGHT}`, frames: FRAMES });
  clip = join(mkdtempSync(join(tmpdir(), 'framepool-identity-')), 'identity.mp4');
  writeFileSync(clip, core.FS.readFile('/identity.mp4'));
});

describe('the identity rung passes frames along (issue 14)', () => {
  it('pooled: the scaler copies nothing and takes no slot of link B; the encoders read the frames the copy path gives, in order', async () => {
    const pooled = await tappedRun({});
    expect(pooled.run.ladder.find((e) => e.rung === NATIVE)!.size).toEqual({ width: WIDTH, height: HEIGHT });
    expect(pooled.frames).toEqual(await reference(NATIVE));
    expect(pooled.scale.slotsTaken).toBe(0); // every frame went on in the decoder's slot
    expect(pooled.scale.copied).toBe(0);
    // The warm-up's carving only, and none of the source size: those frames never need link B's slots.
    expect(pooled.scale.allocations).toBe(7 * (pooled.run.ladder.length - 1));
    expect(pooled.run.heldAtEnd).toEqual({ decode: 0, scale: 0, encode: 0 });
    expect(pooled.run.heldAfterReclaim).toBe(0);
  }, 300_000);

  it('unpooled: no buffer of the scaler\'s own per frame; one copy per frame, into the slot the encoder reads', async () => {
    const unpooled = await tappedRun({ mode: 'unpooled' satisfies AllocationMode });
    expect(unpooled.frames).toEqual(await reference(NATIVE));
    expect(unpooled.scale.allocations).toBe(7 * unpooled.run.ladder.length); // the transport slots carved before the run
    expect(unpooled.scale.copied).toBe(FRAMES * i420ByteLength(WIDTH, HEIGHT));
    expect(unpooled.run.heldAtEnd).toEqual({ decode: 0, scale: 0, encode: 0 });
  }, 300_000);

  it('pooled native → smaller → native, two encoders: every frame once, in order, only the smaller ones in link B\'s slots, every slot back at the end', async () => {
    const schedule = { kind: 'recorded', switches: [{ frameIndex: 10, rung: SMALLER }, { frameIndex: 20, rung: NATIVE }] } as const;
    const switching = await tappedRun({ schedule });
    expect(switching.run.segments.map((s) => `${s.width}x${s.height}:${s.frames}`)).toEqual(['480x360:10', '320x240:10', '480x360:10']);
    const native = await reference(NATIVE);
    const smaller = await reference(SMALLER);
    const want = Array.from({ length: FRAMES }, (_, i) => (i >= 10 && i < 20 ? smaller : native)[i]!);
    expect(switching.frames).toEqual(want);
    expect(switching.scale.slotsTaken).toBe(10);
    expect(switching.scale.copied).toBe(0);
    // Nothing held by any stage when the workers were gone (before the reclaim), and the
    // reclaim (queued frames, the preview's last frame, in either link's pool) leaves nothing.
    expect(switching.run.heldAtEnd).toEqual({ decode: 0, scale: 0, encode: 0 });
    expect(switching.run.heldAfterReclaim).toBe(0);
  }, 300_000);

  it('pooled, an encoder killed while passed frames wait for it: link A\'s 6 slots were all it held, named as its own, and come back', async () => {
    const host = killableHost();
    // The encoder hangs at frame 20 (deaf to everything), then its worker dies. One encoder, so
    // the worker killed is the one holding the frames.
    const run = new PipelineRun(host, { hostPath: clip }, { ...base, encoders: 1, fault: { stage: 'encode', frameIndex: 20, kind: 'stall' } });
    const ended = run.run();
    // Frames in flight at the identity rung are link A's slots: its capacity (6) bounds them all.
    await until(() => run.shared !== null && heldSlots(run) >= 6);
    host.kill('encode');
    expect(await ended).toBe('failed');
    expect(run.heldAtEnd).toEqual({ decode: 0, scale: 0, encode: 6 }); // frame 20 and the five queued behind it
    expect(run.reclaimedRefs).toBeGreaterThanOrEqual(6);
    expect(heldSlots(run)).toBe(0);
  }, 300_000);
});
