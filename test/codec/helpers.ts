import { createHash } from 'node:crypto';
import type { CodecCore } from '../../src/codec/core.ts';
import { loadCodecCoreInNode } from '../../src/codec/core-node.ts';
export { seededRandom as rng } from '../../src/seeded-random.ts';

/** One core per test file (the wasm compiles once per worker process). */
export function loadCore(): Promise<CodecCore> {
  return loadCodecCoreInNode();
}

/** Runs ffmpeg and fails with the log tail when it exits non-zero. */
export function run(core: CodecCore, args: readonly string[]): void {
  const ret = core.exec(args);
  if (ret !== 0) throw new Error(`ffmpeg exited ${ret}: ${args.join(' ')}\n${core.logTail().slice(-1500)}`);
}

/** Writes a lavfi test clip into MEMFS. */
export function makeClip(core: CodecCore, path: string, opts: { size?: string; frames?: number; rate?: number; extra?: readonly string[]; source?: string } = {}): void {
  const rate = opts.rate ?? 30;
  const src = opts.source ?? `testsrc2=size=${opts.size ?? '96x64'}:rate=${rate}`;
  run(core, ['-hide_banner', '-f', 'lavfi', '-i', src, '-frames:v', String(opts.frames ?? 30), ...(opts.extra ?? ['-c:v', 'libx264', '-preset', 'ultrafast']), path]);
}

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}


/** Stream facts via ffprobe, counting decoded frames. */
export function probeStream(core: CodecCore, path: string): { codec: string; width: number; height: number; frames: number } {
  const { json } = core.ffprobeJson(['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_streams', '-print_format', 'json', path]);
  const st = (json as { streams?: { codec_name: string; width: number; height: number; nb_read_frames: string }[] } | null)?.streams?.[0];
  if (!st) throw new Error(`ffprobe found no video stream in ${path}`);
  return { codec: st.codec_name, width: st.width, height: st.height, frames: Number(st.nb_read_frames) };
}

/**
 * An H.264 MP4 that players show rotated 90° clockwise. ffmpeg 5.1 has no -display_rotation
 * and ignores `rotate` metadata, so the track header's display matrix is written here.
 */
export function makeRotatedClip(core: CodecCore, path: string, width: number, height: number, frames = 10): void {
  makeClip(core, path, { size: `${width}x${height}`, frames, extra: ['-c:v', 'libx264', '-preset', 'ultrafast'] });
  const bytes = core.FS.readFile(path);
  const at = Buffer.from(bytes).indexOf('tkhd');
  if (at < 0 || bytes[at + 4] !== 0) throw new Error('expected a version-0 tkhd box');
  // tkhd v0: type, version/flags, 5×u32 times/ids, 8 reserved, layer, group, volume, reserved, then the matrix.
  const matrix = new DataView(bytes.buffer, bytes.byteOffset + at + 4 + 40, 36);
  [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000].forEach((v, i) => matrix.setInt32(i * 4, v));
  core.FS.writeFile(path, bytes);
}

/** A segment's file in one buffer (the page keeps its chunks; tests probe the whole). */
export function segmentBytes(segment: { chunks: readonly Uint8Array[] }): Uint8Array {
  const out = new Uint8Array(segment.chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of segment.chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Unmounts what `mountInputFile` mounted (the directory of `path`), so tests can share one core. */
export function unmountInputFile(core: CodecCore, path: string): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  core.FS.unmount(dir);
  core.FS.rmdir(dir);
}
