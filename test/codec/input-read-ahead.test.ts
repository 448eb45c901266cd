/**
 * Regression (issue 13, the soak's growing renderer): a DOM File input was read with one
 * FileReaderSync call per ffmpeg read (32 KiB). The decode worker does not return to its event
 * loop while it runs, and each call left memory behind until it does (Chromium 156, a worker
 * reading in a loop: 2.3 KB a call), so the renderer grew for as long as the decoder read. Now a
 * File is read in READ_AHEAD_BYTES blocks and ffmpeg's reads are served from the last block.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CodecCore } from '../../src/codec/core.ts';
import { glueTally, resetGlueTally } from '../../src/codec/core.ts';
import { mountInputFile, READ_AHEAD_BYTES } from '../../src/codec/input.ts';
import { loadCore, makeClip, md5, probeStream, run, unmountInputFile } from './helpers.ts';

/** Stands in for a DOM File over `bytes`: a size and slices, each remembering its range. */
class FakeFile {
  constructor(readonly bytes: Uint8Array, readonly start = 0, readonly size = bytes.byteLength) {}
  slice(start: number, end: number): FakeFile {
    const from = Math.min(start, this.size);
    return new FakeFile(this.bytes, this.start + from, Math.min(end, this.size) - from);
  }
}

/** FileReaderSync over FakeFile slices, counting its calls. */
const reads = { calls: 0, bytes: 0 };
class FakeFileReaderSync {
  readAsArrayBuffer(blob: FakeFile): ArrayBuffer {
    reads.calls++;
    reads.bytes += blob.size;
    return blob.bytes.slice(blob.start, blob.start + blob.size).buffer;
  }
}

describe('a DOM File input is read ahead in blocks (issue 13: FileReaderSync per ffmpeg read grew a blocked worker)', () => {
  let core: CodecCore;
  let clip: Uint8Array;
  beforeAll(async () => {
    core = await loadCore();
    // Noise does not compress: a clip of a few MiB, so ffmpeg reads it in many 32 KiB reads.
    makeClip(core, '/clip.mp4', { size: '320x180', frames: 300, source: 'testsrc2=size=320x180:rate=30,noise=alls=100:allf=t+u', extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '30', '-pix_fmt', 'yuv420p'] });
    clip = core.FS.readFile('/clip.mp4');
    (globalThis as { FileReaderSync?: unknown }).FileReaderSync = FakeFileReaderSync;
  }, 120_000);
  afterEach(() => { reads.calls = 0; reads.bytes = 0; });

  it('decodes the same frames with one FileReaderSync call per block, not per ffmpeg read', () => {
    expect(clip.byteLength).toBeGreaterThan(2 * READ_AHEAD_BYTES);
    const path = mountInputFile(core, new FakeFile(clip) as unknown as File, 'clip.mp4');
    try {
      resetGlueTally();
      run(core, ['-hide_banner', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '/viaFile.yuv']);
      run(core, ['-hide_banner', '-i', '/clip.mp4', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '/viaMemfs.yuv']);
      expect(md5(core.FS.readFile('/viaFile.yuv'))).toBe(md5(core.FS.readFile('/viaMemfs.yuv')));
      expect(probeStream(core, path).frames).toBe(300);
      const ffmpegReads = glueTally.inputReads;
      const blocks = Math.ceil(clip.byteLength / READ_AHEAD_BYTES);
      expect(ffmpegReads).toBeGreaterThan(4 * blocks);
      // The decode and the probe each read the file once through, plus a seek to the index.
      expect(reads.calls).toBeLessThanOrEqual(2 * (blocks + 2));
    } finally {
      unmountInputFile(core, path);
      core.FS.unlink('/viaFile.yuv');
      core.FS.unlink('/viaMemfs.yuv');
    }
  });
});
