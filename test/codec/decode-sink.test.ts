import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glueTally, resetGlueTally, type CodecCore } from '../../src/codec/core.ts';
import { decodeArgs, decodeSize } from '../../src/codec/ffmpeg-args.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import { FrameCutter, mountFrameSink } from '../../src/codec/frame-devices.ts';
import { openNodeInput } from '../../src/codec/input-node.ts';
import { mountInputFile } from '../../src/codec/input.ts';
import { probeMedia } from '../../src/codec/probe.ts';
import { loadCore, makeClip, makeRotatedClip, md5, run, unmountInputFile } from './helpers.ts';

let core: CodecCore;
beforeAll(async () => {
  core = await loadCore();
});

/** Decodes `input` through the sink device, one slot reused for every frame; returns frame MD5s. */
function decodeThroughSink(input: string): { md5s: string[]; frameBytes: number } {
  const info = probeMedia(core, input);
  const { width, height } = decodeSize(info);
  const frameBytes = i420ByteLength(width, height);
  const slot = new Uint8Array(frameBytes);
  const md5s: string[] = [];
  const cutter = new FrameCutter(frameBytes, { begin: () => slot, end: (dest) => md5s.push(md5(dest)) });
  const sink = mountFrameSink(core, '/dev/test-sink', cutter);
  try {
    run(core, decodeArgs(input, info, sink.path));
    sink.rethrowIfFailed();
  } finally {
    sink.unmount();
  }
  expect(cutter.pendingBytes).toBe(0);
  return { md5s, frameBytes };
}

/** ffmpeg's own per-frame MD5s for the same decode (`-f framemd5`). */
function framemd5(input: string): string[] {
  const info = probeMedia(core, input);
  run(core, decodeArgs(input, info, '/oracle.md5', 'framemd5'));
  const text = new TextDecoder().decode(core.FS.readFile('/oracle.md5'));
  core.FS.unlink('/oracle.md5');
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
}

function ffprobeFrameCount(path: string): number {
  const { json } = core.ffprobeJson(['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_streams', '-print_format', 'json', path]);
  return Number((json as { streams: { nb_read_frames: string }[] }).streams[0]!.nb_read_frames);
}

describe('decode through the frame sink device', () => {
  const cases: { name: string; make: (p: string) => void }[] = [
    { name: 'H.264 96x64', make: (p) => makeClip(core, p, { size: '96x64', frames: 45 }) },
    { name: 'H.264 odd size 45x33', make: (p) => makeClip(core, p, { size: '45x33', frames: 20, extra: ['-c:v', 'libx264', '-pix_fmt', 'yuv444p'] }) },
    // (libvpx-vp9 encoding traps in this build — see encode-source.test.ts — so VP8 makes the WebM.)
    { name: 'VP8 in WebM', make: (p) => makeClip(core, p, { size: '64x48', frames: 20, extra: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-f', 'webm'] }) },
    { name: 'MJPEG yuvj422p in Matroska', make: (p) => makeClip(core, p, { size: '48x32', frames: 12, extra: ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj422p', '-f', 'matroska'] }) },
    { name: 'rotated 90° (display matrix)', make: (p) => makeRotatedClip(core, p, 64, 32) },
  ];
  for (const c of cases) {
    it(`${c.name}: frame count = ffprobe's, every frame MD5 = framemd5`, () => {
      const path = `/clip-${c.name.replace(/\W+/g, '_')}.mp4`; // formats not implied by .mp4 are forced with -f
      c.make(path);
      const { md5s, frameBytes } = decodeThroughSink(path);
      expect(md5s.length).toBe(ffprobeFrameCount(path));
      expect(md5s).toEqual(framemd5(path));
      if (c.name.startsWith('rotated')) {
        expect(decodeSize(probeMedia(core, path))).toEqual({ width: 32, height: 64 });
        expect(frameBytes).toBe(i420ByteLength(32, 64));
      }
      core.FS.unlink(path);
    });
  }

  it('decodeArgs flushes per packet: frames reach the sink whole, no view per piece (the stage-alone harness decoded without the flag: 2 views a frame at 720p)', () => {
    // 320×180 I420 is 86 400 bytes, more than one 32 KiB avio buffer: without -flush_packets a
    // write holds the end of one frame and the start of the next (issue 11: ~1.3 views a frame).
    makeClip(core, '/flush.mp4', { size: '320x180', frames: 30 });
    resetGlueTally();
    const { md5s } = decodeThroughSink('/flush.mp4');
    expect(md5s.length).toBe(30);
    expect(glueTally.viewsMade / md5s.length).toBeLessThan(0.1); // one stray view a run at most (measured: 1 in 30)
    core.FS.unlink('/flush.mp4');
  });

  it('keeps a constant frame size across a mid-stream resolution change', () => {
    // Two sizes concatenated in one MPEG-TS stream: the decoder sees the change mid-stream.
    makeClip(core, '/a.ts', { size: '64x48', frames: 10, extra: ['-c:v', 'libx264', '-f', 'mpegts'] });
    makeClip(core, '/b.ts', { size: '32x24', frames: 10, extra: ['-c:v', 'libx264', '-f', 'mpegts', '-output_ts_offset', '0.34'] });
    const a = core.FS.readFile('/a.ts');
    const b = core.FS.readFile('/b.ts');
    const joined = new Uint8Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    core.FS.writeFile('/joined.ts', joined);
    const { md5s, frameBytes } = decodeThroughSink('/joined.ts');
    expect(frameBytes).toBe(i420ByteLength(64, 48));
    expect(md5s.length).toBe(20);
    expect(md5s).toEqual(framemd5('/joined.ts'));
  });
});

describe('input mounted lazily (WORKERFS over a Node file descriptor)', () => {
  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes an MP4 whose index is at the end (needs seeking) without reading it whole up front', () => {
    // Default mp4 muxing puts moov after mdat: the demuxer must seek to the end first.
    makeClip(core, '/tail-moov.mp4', { size: '96x64', frames: 30 });
    dir = mkdtempSync(join(tmpdir(), 'codec-input-'));
    const host = join(dir, 'tail moov:clip.mp4');
    writeFileSync(host, core.FS.readFile('/tail-moov.mp4'));
    const input = openNodeInput(host);
    try {
      const path = mountInputFile(core, input);
      expect(path.endsWith('/tail_moov_clip.mp4')).toBe(true);
      const viaFd = decodeThroughSink(path);
      const viaMemfs = decodeThroughSink('/tail-moov.mp4');
      expect(viaFd.md5s.length).toBe(30);
      expect(viaFd.md5s).toEqual(viaMemfs.md5s);
      expect(input.bytesRead).toBeGreaterThan(0);
      unmountInputFile(core, path);
      expect(core.FS.analyzePath(path).exists).toBe(false);
    } finally {
      input.close();
    }
  });
});
