import type { PipelineHost } from '../../src/pipeline/controller.ts';
import { nodeHostWithEntry } from '../support/node-pipeline-host.ts';

/**
 * What ffmpeg read from the encoders' source device, frame by frame, in the order the frames
 * were completed across every encode worker of a run (the encoders take turns on link B, so
 * one lane has read all of its frames before the next lane reads its first). Written by
 * workers/tapped-stage-worker.ts; nothing in src/ knows about it.
 *
 * Layout (Int32): [0] records written (claimed with Atomics.add), then RECORD_INTS per record:
 * width, height, then the frame's MD5 as four words.
 */
export const TAP_CAPACITY = 4096;
export const RECORD_INTS = 6;
const HEADER_INTS = 4;

export interface TappedFrame {
  width: number;
  height: number;
  md5: string;
}

export function createTapBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER_INTS + TAP_CAPACITY * RECORD_INTS) * 4);
}

/** Worker side: appends one frame's record. */
export function writeTapRecord(tap: SharedArrayBuffer, width: number, height: number, digest: Uint8Array): void {
  const words = new Int32Array(tap);
  const index = Atomics.add(words, 0, 1);
  if (index >= TAP_CAPACITY) throw new Error(`the encoder-input tap holds ${TAP_CAPACITY} frames; use a shorter clip`);
  const at = HEADER_INTS + index * RECORD_INTS;
  words[at] = width;
  words[at + 1] = height;
  words.set(new Int32Array(digest.buffer, digest.byteOffset, 4), at + 2);
}

/** Test side: every record, in order. */
export function readTap(tap: SharedArrayBuffer): TappedFrame[] {
  const words = new Int32Array(tap);
  const count = Math.min(Atomics.load(words, 0), TAP_CAPACITY);
  const frames: TappedFrame[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_INTS + i * RECORD_INTS;
    const md5 = Buffer.from(words.buffer, (at + 2) * 4, 16).toString('hex');
    frames.push({ width: words[at]!, height: words[at + 1]!, md5 });
  }
  return frames;
}

/**
 * The Node pipeline host (real stages in worker_threads, the real codec) with each encode
 * worker's source device tapped into `tap`.
 */
export function tappedPipelineHost(tap: SharedArrayBuffer): PipelineHost {
  return nodeHostWithEntry(new URL('./workers/tapped-stage-worker.ts', import.meta.url), { tap });
}
