/**
 * Valid video files with long stretches that hold no video, made without writing gigabytes of
 * media: a small clip made by the core, then re-laid out on disk around a gap.
 *
 * - `writeTsWithNullGap`: MPEG-TS whose clip is cut in two by `gapBytes` of null packets
 *   (PID 0x1FFF, which every demuxer reads and drops). Each packet needs its sync byte and
 *   header, so the gap is written for real (not sparse): use it for gaps a demuxer must read.
 * - `writeMp4PastOffset`: MP4 whose frames all sit past `offset` (e.g. 4 GiB) inside one mdat
 *   with a 64-bit size, its index (moov, chunk offsets rewritten as 64-bit co64) at the end,
 *   as cameras write. The gap before the frames is a hole in a sparse file: it costs no disk
 *   on ext4 or tmpfs, and a demuxer seeks over it (never reads it).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CodecCore } from '../../src/codec/core.ts';
import { run } from '../codec/helpers.ts';

export const GiB = 1024 ** 3;
const TS_PACKET = 188;

/** An H.264 clip of `frames` frames in `format` ('mpegts', 'mp4'), made in MEMFS by the core. */
function clip(core: CodecCore, size: string, frames: number, format: string): Uint8Array {
  run(core, ['-hide_banner', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-frames:v', String(frames),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-f', format, '/gap-clip']);
  const bytes = core.FS.readFile('/gap-clip');
  core.FS.unlink('/gap-clip');
  return bytes;
}

/** 1 MiB-ish of MPEG-TS null packets (a whole number of packets). */
function nullPackets(): Uint8Array {
  const out = new Uint8Array(TS_PACKET * 5577).fill(0xff);
  for (let at = 0; at < out.length; at += TS_PACKET) out.set([0x47, 0x1f, 0xff, 0x10], at);
  return out;
}

/** Writes an MPEG-TS of `frames` frames, cut halfway by about `gapBytes` of null packets; returns the file's size. */
export function writeTsWithNullGap(core: CodecCore, path: string, opts: { size: string; frames: number; gapBytes: number }): number {
  const ts = clip(core, opts.size, opts.frames, 'mpegts');
  const half = Math.floor(ts.length / TS_PACKET / 2) * TS_PACKET;
  const nulls = nullPackets();
  const fd = openSync(path, 'w');
  let size = 0;
  try {
    size += writeSync(fd, ts, 0, half);
    for (let left = opts.gapBytes; left > 0; left -= nulls.length) size += writeSync(fd, nulls);
    size += writeSync(fd, ts, half);
  } finally {
    closeSync(fd);
  }
  return size;
}

interface Box { type: string; start: number; headerBytes: number; end: number }

/** The boxes directly inside `bytes[from, to)` (32-bit and 64-bit sizes). */
function boxes(bytes: Uint8Array, from: number, to: number): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Box[] = [];
  for (let at = from; at + 8 <= to;) {
    let size = view.getUint32(at);
    let headerBytes = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(at + 8));
      headerBytes = 16;
    } else if (size === 0) {
      size = to - at;
    }
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    out.push({ type, start: at, headerBytes, end: at + size });
    at += size;
  }
  return out;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

function boxHeader(type: string, size: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, size);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `box` rewritten: containers rebuilt around their children, every stco turned into co64 with offsets moved by `shift`. */
function rewriteIndex(bytes: Uint8Array, box: Box, shift: number): Uint8Array {
  if (CONTAINERS.has(box.type)) {
    const children = boxes(bytes, box.start + box.headerBytes, box.end).map((child) => rewriteIndex(bytes, child, shift));
    const body = concat(children);
    return concat([boxHeader(box.type, 8 + body.length), body]);
  }
  if (box.type !== 'stco') return bytes.slice(box.start, box.end);
  const view = new DataView(bytes.buffer, bytes.byteOffset + box.start);
  const count = view.getUint32(12);
  const out = new Uint8Array(16 + count * 8);
  const outView = new DataView(out.buffer);
  out.set(boxHeader('co64', out.length));
  outView.setUint32(12, count); // version and flags (bytes 8..11) stay 0
  for (let i = 0; i < count; i++) outView.setBigUint64(16 + i * 8, BigInt(view.getUint32(16 + i * 4) + shift));
  return out;
}

/**
 * Writes an MP4 of `frames` frames whose first frame byte sits at or past `offset`; returns
 * the file's size and where the frames begin. Layout: ftyp, mdat (64-bit size: a hole up to
 * the frames, then the clip's samples), moov (co64 chunk offsets) at the end.
 */
export function writeMp4PastOffset(core: CodecCore, path: string, opts: { size: string; frames: number; offset: number }): { size: number; framesAt: number } {
  const mp4 = clip(core, opts.size, opts.frames, 'mp4');
  const top = boxes(mp4, 0, mp4.length);
  const ftyp = top.find((b) => b.type === 'ftyp');
  const mdat = top.find((b) => b.type === 'mdat');
  const moov = top.find((b) => b.type === 'moov');
  if (!ftyp || !mdat || !moov) throw new Error(`expected ftyp, mdat and moov, found ${top.map((b) => b.type).join(', ')}`);
  const samples = mp4.subarray(mdat.start + mdat.headerBytes, mdat.end);
  const ftypBytes = mp4.subarray(ftyp.start, ftyp.end);
  const framesAt = opts.offset;
  const mdatStart = ftypBytes.length;
  const mdatEnd = framesAt + samples.length;
  const mdatHeader = new Uint8Array(16);
  const headerView = new DataView(mdatHeader.buffer);
  headerView.setUint32(0, 1); // 64-bit size follows
  mdatHeader.set([0x6d, 0x64, 0x61, 0x74], 4); // 'mdat'
  headerView.setBigUint64(8, BigInt(mdatEnd - mdatStart));
  const index = rewriteIndex(mp4, moov, framesAt - (mdat.start + mdat.headerBytes));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, ftypBytes, 0, ftypBytes.length, 0);
    writeSync(fd, mdatHeader, 0, mdatHeader.length, mdatStart);
    // Nothing is written between the mdat header and the frames: the file has a hole there.
    writeSync(fd, samples, 0, samples.length, framesAt);
    writeSync(fd, index, 0, index.length, mdatEnd);
  } finally {
    closeSync(fd);
  }
  return { size: mdatEnd + index.length, framesAt };
}
