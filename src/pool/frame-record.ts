/**
 * What stages see of a link: the frame records they fill and read, and the writer / reader
 * interfaces every allocation mode implements (src/pool/modes/). Types and the one reusable
 * record; no mechanism.
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import { StageCounter } from '../metrics/metrics-block.ts';
import { STAGE_COUNT, type StageId } from '../metrics/stages.ts';
import type { FrameArena } from './arena.ts';
import type { FramePool, PoolShared, SlotHandle } from './frame-pool.ts';
import type { QueueShared } from './frame-queue.ts';

/** How frames cross a link: through shared slots and a handle queue, or by postMessage transfer. */
export type LinkTransport = 'slots' | 'transfer';

/** Structured-cloneable description of a link; pass it to both stage workers. */
export interface LinkShared {
  readonly kind: 'framepool-link';
  readonly name: string;
  /** The allocation mode's name (src/pool/modes/). */
  readonly mode: string;
  readonly transport: LinkTransport;
  readonly producer: StageId;
  readonly consumer: StageId;
  readonly sink: boolean;
  /** Frames in flight on the link (slots per size class, or transfer credits). */
  readonly capacity: number;
  readonly pool: PoolShared;
  readonly queue: QueueShared;
  /** Int32[1]: the preview mailbox (0 = empty, else a handle holding one preview ref). */
  readonly preview: SharedArrayBuffer | null;
  /** Transfer links: Int32[4] credits and state (see transfer-link.ts); null for slot links. */
  readonly credits: SharedArrayBuffer | null;
  /**
   * The link feeding this link's producer, when it is a slot link in the same arena: a frame
   * it passes along unchanged (LinkWriter.beginPass) may then travel on as that link's slot,
   * its handle marked PASSED (slot-link.ts). Null otherwise.
   */
  readonly upstream: { readonly name: string; readonly pool: PoolShared } | null;
}

export interface AttachLinkOptions {
  /** Reuse this thread's arena object for the link's pool. */
  arena?: FrameArena;
  /** Transfer links: this side's end of the link's MessageChannel. */
  port?: MessagePort;
}

/** A frame being produced. Fill `data`, set the meta, then commit (or abort). */
export interface WritableFrame {
  /** Exactly byteLength bytes: a slot (pooled) or a fresh buffer (unpooled). */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly byteLength: number;
  frameIndex: number;
  ptsUs: number;
  /** Per-stage shared-clock stamps (ms, 0 = none), indexed by StageId. commit stamps the producer. */
  readonly stamps: Float64Array;
  /** Shared-clock ms this stage began the frame: it got the frame's slot (or buffer). */
  readonly startedAt: number;
}

/** A frame received from a link. Valid until done(). */
export interface ReadableFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly byteLength: number;
  readonly frameIndex: number;
  readonly ptsUs: number;
  readonly stamps: Float64Array;
  /** Shared-clock ms this stage took the frame from the link. */
  readonly startedAt: number;
}

/** What `LinkReader.peek` shows of the next frame without taking it. */
export interface PeekedFrame {
  readonly width: number;
  readonly height: number;
  readonly frameIndex: number;
}

export type BeginResult = WritableFrame | 'timeout';
export type CommitResult = 'ok' | 'timeout';
export type NextResult = ReadableFrame | 'end' | 'timeout';
export type PeekResult = PeekedFrame | 'end' | 'timeout';

/** Producer side of a link. Blocking (for workers inside ffmpeg's exec), with an awaitable begin. */
export interface LinkWriter {
  readonly shared: LinkShared;
  /** A frame of width×height to fill, or 'timeout' (back-pressure lasted timeoutMs). */
  begin(width: number, height: number, timeoutMs: number): BeginResult;
  /**
   * Awaitable twin of begin for a producer that must not block (it returns to its event loop
   * while the link is full). It takes the link's room for the frame (a slot or a credit) before
   * it resolves, so commit never waits for room; a slot link's commit may still wait briefly on
   * its handle queue after a size change. Allocates a promise per call.
   */
  beginAsync(width: number, height: number, timeoutMs: number): Promise<BeginResult>;
  /**
   * A frame just taken from `from` (the link feeding this stage) goes on unchanged, the way the
   * mode would do it: its bytes are neither copied nor put in a new buffer here. Returns this
   * link's open frame over the same memory (set its meta, then commit or abort as usual);
   * never waits (room is taken at commit). Pooled, the frame's slot itself moves on and
   * `from.done(frame)` no longer releases it; otherwise `frame.data` is borrowed until commit
   * has returned, so call `from.done(frame)` after it.
   */
  beginPass(frame: ReadableFrame, from: LinkReader): WritableFrame;
  /**
   * Hands the frame to the consumer (and the preview). 'timeout' leaves it open: retry or abort.
   * `ready`: the caller has just read the clock (readClock) as the frame was ready; that reading
   * (clock[0]) is the producer's stamp, saving a clock read. Otherwise commit reads the clock.
   */
  commit(frame: WritableFrame, timeoutMs: number, ready?: boolean): CommitResult;
  /** Drops an open frame without sending it. */
  abort(frame: WritableFrame): void;
  /** End-of-stream after the last committed frame. */
  end(): void;
  close(): void;
  fail(code: number): void;
}

/** Consumer side of a link. */
export interface LinkReader {
  readonly shared: LinkShared;
  /**
   * True when next() and peek() may block this thread (a slot link); false when frames arrive
   * as messages, so the consumer must return to its event loop between frames (nextAsync).
   */
  readonly blocking: boolean;
  /** Blocking: the next frame, 'end' after the last, or 'timeout'. Slot links only. */
  next(timeoutMs: number): NextResult;
  /** Awaitable twin of next (allocates a promise per call: not for the pooled hot path). */
  nextAsync(timeoutMs: number): Promise<NextResult>;
  /**
   * Blocking: the next frame's size and index, leaving the frame queued for next() (e.g. an
   * encoder ending its segment before a frame of a new size, without taking that frame).
   * The returned record is reused by the next peek. Slot links only.
   */
  peek(timeoutMs: number): PeekResult;
  /** Finished with a frame from next(): releases it. */
  done(frame: ReadableFrame): void;
  close(): void;
  fail(code: number): void;
}

/** Slot links also expose their pool (diagnostics and tests). */
export interface SlotLinkWriter extends LinkWriter { readonly pool: FramePool }
export interface SlotLinkReader extends LinkReader { readonly pool: FramePool }

const EMPTY = new Uint8Array(0);

/** One reusable frame object; stage code sees it as WritableFrame / ReadableFrame. */
export class FrameRecord implements WritableFrame, ReadableFrame {
  data: Uint8Array = EMPTY;
  width = 0;
  height = 0;
  byteLength = 0;
  frameIndex = -1;
  ptsUs = NaN;
  readonly stamps = new Float64Array(STAGE_COUNT);
  /** Slot handle while this side holds one; 0 when none (a fresh buffer). */
  handle: SlotHandle = 0;
  /** Room taken by beginAsync for a fresh-buffer frame: a slot handle (copy-in) or 1 (a transfer credit); 0 = none. */
  room = 0;
  open = false;
  /** commit progress, so a commit that timed out can be retried without redoing steps. */
  handedOver = false;
  startedAt = 0;

  reset(): void {
    this.data = EMPTY;
    this.handle = 0;
    this.room = 0;
    this.open = false;
    this.handedOver = false;
  }
}

/**
 * The one place a mode allocates a frame buffer outside the pool. Causes GC: never on the
 * pooled path. Counts the allocation and a pool miss (a buffer request not served by reuse).
 */
export function allocateFrameBuffer(metrics: Metrics, stage: StageId, bytes: number): Uint8Array {
  metrics.countAllocation(stage, bytes);
  metrics.count(stage, StageCounter.poolMisses);
  return new Uint8Array(bytes);
}

/** The earliest stage stamp of a frame (its start in the pipeline), or `fallback`. */
export function earliestStamp(stamps: Float64Array, fallback: number): number {
  let min = fallback;
  for (let k = 0; k < stamps.length; k++) {
    const s = stamps[k]!;
    if (s > 0 && s < min) min = s;
  }
  return min;
}
