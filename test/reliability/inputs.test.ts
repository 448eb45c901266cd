import { segmentBytes } from '../codec/helpers.ts';
/**
 * Whatever a user drops is either processed correctly or refused with a sentence that says
 * what is wrong and what to try — through the real pipeline (PipelineRun, stage workers in
 * worker_threads, the real codec). Fixtures are made here with the core, a few KB each.
 *
 * Not here: a VP9 WebM whose resolution changes mid-stream. The pinned core cannot encode
 * VP9 (ffmpeg.wasm#679); Chromium's MediaRecorder can, so e2e/reliability.spec.ts records
 * one in the page and runs it through the dashboard.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CodecCore } from '../../src/codec/core.ts';
import { liveStageWorkers, PipelineRun, type RunOptions } from '../../src/pipeline/controller.ts';
import { loadCore, makeRotatedClip, rng, run as runFfmpeg } from '../codec/helpers.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';
import { baseOptions, fixtureDir, heldSlots, killableHost, makeFixture, probeBytes, saveFixture } from './helpers.ts';
import { UNAVAILABLE_ENCODERS } from '../../src/codec/ffmpeg-args.ts';

let core: CodecCore;
const dir = fixtureDir('inputs');

beforeAll(async () => {
  core = await loadCore();
});

/** Runs a file through the pipeline and checks that the run leaves no worker and no held slot. */
async function runFile(path: string, options: Partial<RunOptions> = {}): Promise<PipelineRun> {
  const before = liveStageWorkers();
  const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...baseOptions, ...options });
  await run.run();
  expect(liveStageWorkers()).toBe(before);
  if (run.shared) expect(heldSlots(run)).toBe(0);
  return run;
}

function profileOf(path: string): { profile: string; pix_fmt: string } {
  core.FS.writeFile('/p.mp4', new Uint8Array(readFileSync(path)));
  const { json } = core.ffprobeJson(['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-print_format', 'json', '/p.mp4']);
  core.FS.unlink('/p.mp4');
  return (json as { streams: { profile: string; pix_fmt: string }[] }).streams[0]!;
}

const lavfi = (size: string, frames: number) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-frames:v', String(frames)];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast'];

describe('refused with a sentence that says what is wrong and what to try', () => {
  const cases: [string, () => string, RegExp][] = [
    ['an empty file', () => {
      const path = join(dir, 'empty.mp4');
      writeFileSync(path, new Uint8Array(0));
      return path;
    }, /^This file is empty \(0 bytes\)\. Choose a video file that has content\.$/],
    ['random bytes named .mp4', () => {
      const r = rng(7);
      return saveFixture(core, dir, 'random.mp4', Uint8Array.from({ length: 48 * 1024 }, () => Math.floor(r() * 256)));
    }, /^This file is not a video we can read: it may be damaged or not a media file\. Try another file, such as an MP4 \(H\.264\) or WebM\.$/],
    ['an audio-only file', () => makeFixture(core, dir, 'tone.m4a', ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5', '-c:a', 'aac']),
      /^This file has sound but no picture\. Choose a file with a video track\.$/],
    ['a still PNG', () => makeFixture(core, dir, 'still.png', lavfi('64x48', 1)),
      /^This is a still image \(PNG\), not a video: .*Choose a video file, such as an MP4 or WebM\.$/],
    ['a still JPEG', () => makeFixture(core, dir, 'photo.jpg', lavfi('64x48', 1)),
      /^This is a still image \(JPEG\), not a video/],
    ['an MP4 cut before its index (moov at the end)', () => {
      makeFixture(core, dir, 'whole.mp4', [...lavfi('160x120', 30), ...x264]);
      const whole = readFileSync(join(dir, 'whole.mp4'));
      expect(whole.indexOf('moov')).toBeGreaterThan(whole.indexOf('mdat')); // index-last, as cameras write
      return saveFixture(core, dir, 'cut-before-index.mp4', whole.subarray(0, Math.floor(whole.length * 0.6)));
    }, /^This MP4 file is incomplete: it ends before its index .* Use the complete file/],
    ['a codec the app does not decode (Snow in Matroska)', () => makeFixture(core, dir, 'snow.mkv', [...lavfi('64x48', 3), '-c:v', 'snow']),
      /^This video uses the snow video codec, which this app does not decode\. Convert it to MP4 \(H\.264\) or WebM \(VP8 or VP9\)/],
    ['a codec nothing here recognises (a64_multi in NUT)', () => makeFixture(core, dir, 'c64.nut', [...lavfi('64x48', 3), '-c:v', 'a64multi', '-f', 'nut']),
      /^This video uses a video codec it does not recognise, which this app does not decode\./],
  ];
  for (const [name, make, message] of cases) {
    it(name, async () => {
      const run = await runFile(make());
      expect(run.phase).toBe('failed');
      expect(run.failure?.stage).toBe('decode');
      expect(run.failure?.message).toMatch(message);
      expect(run.segments).toEqual([]);
    });
  }
});

describe('an output codec the pinned core cannot encode', () => {
  // Issue 15: the refusal was only a table entry (UNAVAILABLE_ENCODERS), never tried through a run.
  it('VP9: the run ends at once, before any worker or frame memory exists, with the sentence saying why and what to choose', async () => {
    const path = makeFixture(core, dir, 'for-vp9.mp4', [...lavfi('160x120', 10), ...x264]);
    const host = killableHost();
    const run = new PipelineRun(host, { hostPath: path }, { ...baseOptions, codec: 'vp9' });
    expect(await run.run()).toBe('failed');
    expect(run.failure).toEqual({ stage: 'setup', message: UNAVAILABLE_ENCODERS.vp9 });
    expect(run.failure?.message).toMatch(/^VP9 encoding is not available: .+ Choose H\.264 or VP8\.$/);
    expect(host.spawned).toEqual([]);
    expect(run.shared).toBeNull();
    expect(run.segments).toEqual([]);
  });
});

describe('processed correctly', () => {
  it('an MP4 cut mid-stream with its index at the front: decodes what is there and says it ended early', async () => {
    makeFixture(core, dir, 'faststart.mp4', [...lavfi('320x240', 60), ...x264, '-g', '15', '-movflags', '+faststart']);
    const whole = readFileSync(join(dir, 'faststart.mp4'));
    expect(whole.indexOf('moov')).toBeLessThan(whole.indexOf('mdat'));
    const path = saveFixture(core, dir, 'cut-mid-stream.mp4', whole.subarray(0, Math.floor(whole.length / 2)));
    const run = await runFile(path);
    expect(run.failure).toBeNull();
    expect(run.phase).toBe('done');
    expect(run.endedEarly).toBe(true);
    const decoded = run.stageResults.decode!;
    expect(decoded.expectedFrames).toBe(60);
    expect(decoded.frames).toBeGreaterThan(10);
    expect(decoded.frames).toBeLessThan(60);
    expect(run.notice).toBe(`The file ended early: ${decoded.frames} of the 60 frames it declares could be decoded, so it looks cut short. The frames before the cut were processed; for the rest, use the complete file.`);
    // Everything decoded was encoded.
    expect(run.segments.reduce((n, s) => n + s.frames, 0)).toBe(decoded.frames);
    expect(probeBytes(core, segmentBytes(run.segments[0]!), 'cut.mp4').frames).toBe(decoded.frames);
  });

  it('a whole file is not flagged as ended early', async () => {
    const run = await runFile(join(dir, 'faststart.mp4'));
    expect(run.phase).toBe('done');
    expect(run.endedEarly).toBe(false);
    expect(run.notice).toBeNull();
  });

  it('10-bit H.264 (High 10, made by the core\'s x264): every frame comes out as 8-bit H.264', async () => {
    const path = makeFixture(core, dir, 'high10.mp4', [...lavfi('320x240', 20), '-pix_fmt', 'yuv420p10le', ...x264]);
    expect(profileOf(path)).toMatchObject({ profile: 'High 10', pix_fmt: 'yuv420p10le' });
    const run = await runFile(path);
    expect(run.failure).toBeNull();
    expect(run.info?.pixelFormat).toBe('yuv420p10le');
    expect(run.segments.map((s) => probeBytes(core, segmentBytes(s), s.fileName))).toEqual([{ codec: 'h264', width: 320, height: 240, frames: 20 }]);
  });

  it('4:4:4 H.264 (High 4:4:4 Predictive): every frame comes out', async () => {
    const path = makeFixture(core, dir, 'yuv444.mp4', [...lavfi('320x240', 20), '-pix_fmt', 'yuv444p', ...x264]);
    expect(profileOf(path)).toMatchObject({ profile: 'High 4:4:4 Predictive', pix_fmt: 'yuv444p' });
    const run = await runFile(path);
    expect(run.failure).toBeNull();
    expect(run.info?.pixelFormat).toBe('yuv444p');
    expect(run.segments.map((s) => probeBytes(core, segmentBytes(s), s.fileName))).toEqual([{ codec: 'h264', width: 320, height: 240, frames: 20 }]);
  });

  it('VP8 at odd dimensions (853×481): native and ladder sizes, H.264 and VP8 out, no frame lost', async () => {
    // testsrc (not testsrc2, which rounds to even) keeps the odd size.
    const path = makeFixture(core, dir, 'odd.webm', ['-f', 'lavfi', '-i', 'testsrc=size=853x481:rate=30', '-frames:v', '30', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8']);
    const h264 = await runFile(path, { startRung: 'native', schedule: { kind: 'every', frames: 10 } });
    expect(h264.failure).toBeNull();
    expect(h264.info).toMatchObject({ videoCodec: 'vp8', width: 853, height: 481, displayWidth: 853, displayHeight: 481 });
    // 'native' rounds to even for 4:2:0 encoders; the schedule then walks the ladder from the top.
    expect(h264.segments.map((s) => `${s.width}x${s.height}:${s.frames}`)).toEqual(['854x482:10', '426x240:10', '638x360:10']);
    for (const s of h264.segments) expect(probeBytes(core, segmentBytes(s), s.fileName)).toEqual({ codec: 'h264', width: s.width, height: s.height, frames: 10 });
    const vp8 = await runFile(path, { codec: 'vp8', startRung: '360' });
    expect(vp8.segments.map((s) => probeBytes(core, segmentBytes(s), s.fileName))).toEqual([{ codec: 'vp8', width: 638, height: 360, frames: 30 }]);
  });

  it('a phone clip with rotation metadata comes out upright (portrait)', async () => {
    makeRotatedClip(core, '/rotated.mp4', 320, 240, 20);
    const path = saveFixture(core, dir, 'rotated.mp4', core.FS.readFile('/rotated.mp4'));
    const run = await runFile(path, { startRung: 'native' });
    expect(run.failure).toBeNull();
    expect(run.info).toMatchObject({ width: 320, height: 240, rotation: 90, displayWidth: 240, displayHeight: 320 });
    expect(run.segments.map((s) => probeBytes(core, segmentBytes(s), s.fileName))).toEqual([{ codec: 'h264', width: 240, height: 320, frames: 20 }]);
    // Turned, not squeezed: the first picture matches the source turned 90° far better than
    // the source squeezed into a portrait frame.
    const out = firstFrameGray(segmentBytes(run.segments[0]!), []);
    const source = new Uint8Array(readFileSync(path));
    const turned = firstFrameGray(source, []);
    const squeezed = firstFrameGray(source, ['-noautorotate'], ['-vf', 'scale=240:320']);
    expect(meanAbsDiff(out, turned) * 3).toBeLessThan(meanAbsDiff(out, squeezed));
  });

  it('H.264 in MPEG-TS whose resolution changes mid-stream: every frame flows at the first size', async () => {
    makeFixture(core, dir, 'part1.ts', [...lavfi('320x240', 30), ...x264, '-f', 'mpegts']);
    makeFixture(core, dir, 'part2.ts', [...lavfi('480x360', 30), ...x264, '-output_ts_offset', '1', '-f', 'mpegts']);
    // One stream, remuxed by ffmpeg, whose SPS changes at frame 30 (as broadcast and HLS streams do).
    core.FS.writeFile('/part1.ts', new Uint8Array(readFileSync(join(dir, 'part1.ts'))));
    core.FS.writeFile('/part2.ts', new Uint8Array(readFileSync(join(dir, 'part2.ts'))));
    const path = makeFixture(core, dir, 'size-change.ts', ['-i', 'concat:/part1.ts|/part2.ts', '-c', 'copy', '-f', 'mpegts']);
    expect(frameSizes(path)).toEqual({ '320x240': 30, '480x360': 30 });

    const run = await runFile(path, { startRung: 'native' });
    expect(run.failure).toBeNull();
    expect(run.info).toMatchObject({ width: 320, height: 240 });
    expect(run.segments.map((s) => probeBytes(core, segmentBytes(s), s.fileName))).toEqual([{ codec: 'h264', width: 320, height: 240, frames: 60 }]);
  });
});

/** Decoded frame sizes of a file, counted. */
function frameSizes(path: string): Record<string, number> {
  core.FS.writeFile('/sizes.bin', new Uint8Array(readFileSync(path)));
  runFfmpeg(core, ['-hide_banner', '-i', '/sizes.bin', '-f', 'null', '-']); // sanity: decodes end to end
  const { json } = core.ffprobeJson(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-print_format', 'json', '/sizes.bin']);
  core.FS.unlink('/sizes.bin');
  const counts: Record<string, number> = {};
  for (const f of (json as { frames: { width: number; height: number }[] }).frames) counts[`${f.width}x${f.height}`] = (counts[`${f.width}x${f.height}`] ?? 0) + 1;
  return counts;
}

/** The first decoded picture of `bytes` as 8-bit gray. */
function firstFrameGray(bytes: Uint8Array, inputArgs: string[], filter: string[] = []): Uint8Array {
  core.FS.writeFile('/gray-in.mp4', bytes);
  runFfmpeg(core, ['-hide_banner', ...inputArgs, '-i', '/gray-in.mp4', ...filter, '-frames:v', '1', '-pix_fmt', 'gray', '-f', 'rawvideo', '/gray.raw']);
  const gray = core.FS.readFile('/gray.raw');
  core.FS.unlink('/gray.raw');
  core.FS.unlink('/gray-in.mp4');
  return gray;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
