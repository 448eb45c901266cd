/**
 * This thread's views of slot bytes, one cached per slot: remade only when the slot was
 * re-carved (another offset or size) or the arena grew (a new epoch: after memory.grow()
 * every thread must re-read memory.buffer). Allocation-free when cached.
 */
import type { FrameArena } from './arena.ts';

export class SlotViews {
  private readonly views: (Uint8Array | undefined)[];
  private readonly offsets: Float64Array;
  private readonly epochs: Int32Array;

  constructor(private readonly arena: FrameArena, maxSlots: number) {
    this.views = new Array<Uint8Array | undefined>(maxSlots).fill(undefined);
    this.offsets = new Float64Array(maxSlots).fill(-1);
    this.epochs = new Int32Array(maxSlots).fill(-1);
  }

  /** A view of `bytes` bytes at arena `offset`, for slot `slot`. */
  get(slot: number, offset: number, bytes: number): Uint8Array {
    const epoch = this.arena.epoch();
    const v = this.views[slot];
    if (v !== undefined && this.offsets[slot] === offset && v.byteLength === bytes && this.epochs[slot] === epoch) return v;
    this.arena.refresh();
    const nv = this.arena.view(offset, bytes); // allocates: first use of a slot, or after a grow
    this.views[slot] = nv;
    this.offsets[slot] = offset;
    this.epochs[slot] = epoch;
    return nv;
  }
}
