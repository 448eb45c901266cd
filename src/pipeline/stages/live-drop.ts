import { DROP_COUNTERS } from '../control-block.ts';
import { ladderSizes, type FrameSize } from '../ladder.ts';

/**
 * The *drop* live policy for realtime pacing (issue 13), as a live encoder behaves: a frame that
 * would reach the encoders more than `boundMs` after it was due is dropped by the scaler instead
 * of queued, so lateness cannot grow without bound when the encoders fall behind. *Block* (the
 * default, and always at max pacing) never consults this: every frame is kept.
 *
 * The scaler sees the encoders only through two numbers: the frames it queued for them and the
 * frames they finished (the sink's frame counter). From those it keeps the due times of the
 * frames still queued (a ring, no allocation) and the encoders' recent time per frame. A frame
 * is kept when the encoders are idle (they take it at once); otherwise it is dropped when
 * - the link to the encoders is full (a live source does not wait), or
 * - an encoder is still starting on a new segment's first frame (no queue behind a start), or
 * - the oldest frame queued for encode is already later than the bound (the encoders are behind), or
 * - its predicted lateness at the encoder — late now, plus what is left of the frame in service
 *   and the frames queued behind it, at the encoders' recent time per frame (at least as long as
 *   the frame in service has taken so far) — is over the bound.
 * The prediction is an estimate (a switch's encoder start shows up late in it), so a frame
 * already queued can still come to the encoder past the bound: the encoder makes the last check
 * as it takes each frame (overBoundAtEncoder) and drops such a frame there, counted per rung
 * like the scaler's drops. So every kept frame is taken by its encoder within the bound after
 * its release; and within the bound after it was due, except one that was over it already when
 * the scaler queued it to idle encoders (a source behind realtime: dropping those would starve
 * the output).
 */
/** The bound, in source frame intervals (issue 13: at most 3). */
export const DROP_BOUND_INTERVALS = 3;
/** Live policies for realtime pacing: *block* keeps every frame (back-pressure), *drop* bounds lateness. */
export type LivePolicy = 'block' | 'drop';

const RING = 64; // ≥ any link capacity: at most `capacity` frames are ever queued
/** Weight of the newest sample in the encoders' time per frame. */
const SMOOTHING = 0.25;

export class LiveDropPolicy {
  private readonly dueAt = new Float64Array(RING);
  /** Frames handed to the encoders so far. */
  private queued = 0;
  private seenDone = 0;
  private lastDoneAt = 0;
  /** The encoders had work continuously since lastDoneAt. */
  private busy = false;
  /** Queue position of the latest frame that opens a segment (a new encoder starts on it). */
  private opener = -1;
  /** The encoders' recent time per frame while they had work, ms (0 until measured). */
  perFrameMs = 0;

  constructor(readonly boundMs: number, private readonly capacity: number) {
    if (capacity >= RING) throw new RangeError(`a link of ${capacity} frames is longer than the drop policy tracks (${RING - 1})`);
  }

  /** Should the frame due at `dueAt` be dropped, at `now`, with `done` frames finished by the encoders? */
  shouldDrop(dueAt: number, now: number, done: number): boolean {
    this.observe(done, now);
    const waiting = this.queued - done;
    if (waiting >= this.capacity) return true;
    // Idle encoders take the frame at once: dropping it would cut no queue. (A frame late on
    // arrival, its decoder behind, is kept: dropping every such frame would starve the output.)
    if (waiting === 0) return false;
    // An encoder starting (first frame, or a switch's new size) takes an unknown while: queue nothing behind it.
    if (done <= this.opener) return true;
    if (now - this.dueAt[done % RING]! > this.boundMs) return true;
    // The frame in service has taken `elapsed` so far: at least that long, before any measure.
    const elapsed = now - this.lastDoneAt;
    const perFrame = Math.max(this.perFrameMs, elapsed);
    return now - dueAt + (perFrame - elapsed) + (waiting - 1) * perFrame > this.boundMs;
  }

  /** The frame due at `dueAt` was queued for the encoders; `opens`: it is the first of a new segment. */
  queuedFrame(dueAt: number, now: number, done: number, opens: boolean): void {
    if (opens) this.opener = this.queued;
    if (this.queued === done) {
      // The encoders were idle: their busy period starts now.
      this.lastDoneAt = now;
      this.busy = true;
    }
    this.dueAt[this.queued % RING] = dueAt;
    this.queued++;
  }

  private observe(done: number, now: number): void {
    if (done === this.seenDone) return;
    if (this.busy) {
      const sample = (now - this.lastDoneAt) / (done - this.seenDone);
      this.perFrameMs = this.perFrameMs === 0 ? sample : this.perFrameMs + SMOOTHING * (sample - this.perFrameMs);
    }
    this.seenDone = done;
    this.lastDoneAt = now;
    this.busy = this.queued > done;
  }
}

/**
 * The encoder's last check as it takes, at `takenAt`, a frame due at `dueAt`, released into the
 * pipeline at `releasedAt` (its first stamp) and queued by the scaler at `queuedAt`. Dropped when
 * - its latency (released → taken) is over the bound: it waited in the pipeline too long, or
 * - its lateness (due → taken) is over the bound and it was not already over it when queued (a
 *   frame late from its source is kept while the pipeline adds little: dropping every frame of a
 *   source behind realtime would starve the output).
 * The latency is recorded at the same `takenAt` (recordSinkDone), so no kept frame's latency is
 * over the bound. (An earlier version recorded it after the read into the codec, a second clock
 * reading, and kept any frame late when queued however long it then waited: the bench's drop
 * case kept frames 0.5, 3.3, and under load 33.6 ms over.)
 */
export function overBoundAtEncoder(boundMs: number, dueAt: number, releasedAt: number, queuedAt: number, takenAt: number): boolean {
  return takenAt - releasedAt > boundMs || (takenAt - dueAt > boundMs && queuedAt - dueAt <= boundMs);
}

/** The drop counter of a frame size: its first ladder rung for this source, else the last one ('other'). Allocates: once per size. */
export function dropCounterOf(size: FrameSize, source: FrameSize): number {
  const rung = ladderSizes(source).findIndex((s) => s.width === size.width && s.height === size.height);
  return rung >= 0 ? rung : DROP_COUNTERS - 1;
}
