/**
 * What travels with a frame in its slot: frame index, pts and the per-stage clock stamps. The
 * producer writes them before it hands the slot on (plain stores, published to the consumer by
 * the queue's head store); readers copy them out. Allocation-free.
 *
 * ## Layout of `PoolShared.frames` (Float64Array), slot i at i·FRAME_STRIDE
 * ```
 * +0     frameIndex (−1 until the producer sets it)
 * +1     ptsUs (NaN until set)
 * +2+s   stamp of stage s (shared clock ms; 0 = not stamped)
 * ```
 * Writer: the slot's current holder (the producer before its push). Reader: the consumer
 * after its pop (acquiring load of the queue's head), the leak detector (plain loads, may be stale).
 */
import { STAGE_COUNT } from '../metrics/stages.ts';

const F_INDEX = 0;
const F_PTS = 1;
const F_STAMPS = 2;
const FRAME_STRIDE = 2 + STAGE_COUNT;

/** The meta a frame record carries (WritableFrame / ReadableFrame have these fields). */
export interface FrameMetaFields {
  frameIndex: number;
  ptsUs: number;
  readonly stamps: Float64Array;
}

export class FrameMeta {
  private readonly m: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.m = new Float64Array(buffer);
  }

  /** Bytes of the shared buffer for `maxSlots` slots. */
  static bytes(maxSlots: number): number {
    return maxSlots * FRAME_STRIDE * 8;
  }

  /** A slot handed out for a new frame: no index, no pts, no stamps. */
  clear(slot: number): void {
    const f = slot * FRAME_STRIDE;
    this.m[f + F_INDEX] = -1;
    this.m[f + F_PTS] = NaN;
    this.m.fill(0, f + F_STAMPS, f + FRAME_STRIDE);
  }

  /** Producer: the frame's meta into its slot. */
  write(slot: number, from: FrameMetaFields): void {
    const m = this.m;
    const f = slot * FRAME_STRIDE;
    m[f + F_INDEX] = from.frameIndex;
    m[f + F_PTS] = from.ptsUs;
    for (let k = 0; k < STAGE_COUNT; k++) m[f + F_STAMPS + k] = from.stamps[k] ?? 0;
  }

  /** Reader: the slot's meta into a frame record. */
  read(slot: number, into: FrameMetaFields): void {
    const m = this.m;
    const f = slot * FRAME_STRIDE;
    into.frameIndex = m[f + F_INDEX]!;
    into.ptsUs = m[f + F_PTS]!;
    for (let k = 0; k < STAGE_COUNT; k++) into.stamps[k] = m[f + F_STAMPS + k]!;
  }

  frameIndex(slot: number): number {
    return this.m[slot * FRAME_STRIDE + F_INDEX]!;
  }
}
