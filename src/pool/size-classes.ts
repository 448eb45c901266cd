/**
 * The allocator half of a FramePool: size classes and the slots carved for them, in the
 * pool's header (layout: pool-layout.ts). Every method runs under the pool's lock; the pool
 * (frame-pool.ts) owns the lock, handles, references and waits.
 *
 * One active class; asking for another size retires it, and its slots stay carved so a return
 * to that size reuses them. A class is drained back to the arena only when every class word is
 * taken (drainIdleClass), and retired classes' idle slots when the arena is full (drainRetiredIdle).
 */
import type { FrameArena } from './arena.ts';
import { ArenaExhaustedError, PoolError } from './errors.ts';
import { PixelFormat, i420ByteLength } from './frame-format.ts';
import {
  CLASS_ACTIVE, CLASS_BASE, CLASS_RETIRED, CLASS_STRIDE, CLASS_UNUSED, C_BYTES, C_FORMAT, C_FREE, C_HEIGHT, C_HELD, C_LIVE, C_STATE, C_WIDTH,
  H_ACTIVE, H_CREATED, H_FREE_HEADERS, H_HELD, H_LIVE, H_RETIRED, H_REUSED, M_IN_USE, M_RESERVED,
  SLOT_HELD, SLOT_IDLE, SLOT_STRIDE, SLOT_UNUSED, S_BYTES, S_CLASS, S_HEIGHT, S_NEXT, S_OFFSET, S_STATE, S_USED, S_WIDTH,
} from './pool-layout.ts';

export class SizeClasses {
  /** After take(): the slot had held an earlier frame (a reuse). */
  hit = false;
  /** After take(): bytes carved for a new slot, or −1 when none was carved. */
  carvedBytes = -1;
  /** After take(): carving grew the arena. */
  grew = false;

  constructor(
    private readonly h: Int32Array,
    private readonly m: Float64Array,
    private readonly arena: FrameArena,
    private readonly slotBase: number,
    private readonly maxClasses: number,
    private readonly capacity: number,
  ) {}

  /**
   * Under lock: a slot of width×height (the active class, activated if need be) marked held,
   * or -1 when the class is at capacity or the arena is full. Sets hit / carvedBytes / grew.
   */
  take(width: number, height: number): number {
    const h = this.h;
    this.hit = false;
    this.carvedBytes = -1;
    this.grew = false;
    const c = this.activateClass(width, height);
    const cb = CLASS_BASE + c * CLASS_STRIDE;
    let slot = h[cb + C_FREE]!;
    if (slot >= 0) {
      const s = this.slotBase + slot * SLOT_STRIDE;
      h[cb + C_FREE] = h[s + S_NEXT]!;
      this.hit = h[s + S_USED] === 1; // a pre-carved slot's first frame is not a reuse
      if (this.hit) h[H_REUSED]!++;
    } else if (h[cb + C_LIVE]! < this.capacity) {
      slot = h[H_FREE_HEADERS]! >= 0 ? this.carveSlot(c) : -1;
      // Arena or headers full: give retired classes' idle slots back, then try once more.
      if (slot < 0 && this.drainRetiredIdle() > 0 && h[H_FREE_HEADERS]! >= 0) slot = this.carveSlot(c);
      if (slot >= 0) {
        this.carvedBytes = h[cb + C_BYTES]!;
        this.grew = this.arena.lastAllocGrew;
      }
    }
    if (slot < 0) return -1;
    const s = this.slotBase + slot * SLOT_STRIDE;
    h[s + S_STATE] = SLOT_HELD;
    h[s + S_USED] = 1;
    h[s + S_NEXT] = -1;
    h[cb + C_HELD]!++;
    h[H_HELD]!++;
    this.m[M_IN_USE]! += h[s + S_BYTES]!;
    return slot;
  }

  /** Under lock: a released slot back on its class's idle list, active or retired (it stays carved for its size). */
  put(slot: number): void {
    const h = this.h;
    const s = this.slotBase + slot * SLOT_STRIDE;
    const cb = CLASS_BASE + h[s + S_CLASS]! * CLASS_STRIDE;
    h[cb + C_HELD]!--;
    h[H_HELD]!--;
    this.m[M_IN_USE]! -= h[s + S_BYTES]!;
    h[s + S_STATE] = SLOT_IDLE;
    h[s + S_NEXT] = h[cb + C_FREE]!;
    h[cb + C_FREE] = slot;
  }

  /** Under lock: the active class for width×height, retiring the previous one if needed. */
  private activateClass(width: number, height: number): number {
    const h = this.h;
    const active = h[H_ACTIVE]!;
    if (active >= 0) {
      const cb = CLASS_BASE + active * CLASS_STRIDE;
      if (h[cb + C_WIDTH] === width && h[cb + C_HEIGHT] === height) return active;
      this.retireClass(active);
    }
    let unused = -1;
    for (let c = 0; c < this.maxClasses; c++) {
      const cb = CLASS_BASE + c * CLASS_STRIDE;
      const st = h[cb + C_STATE]!;
      if (st === CLASS_RETIRED && h[cb + C_WIDTH] === width && h[cb + C_HEIGHT] === height) {
        h[cb + C_STATE] = CLASS_ACTIVE; // revive: its held slots rejoin the idle list on release
        h[H_ACTIVE] = c;
        return c;
      }
      if (st === CLASS_UNUSED && unused < 0) unused = c;
    }
    if (unused < 0) unused = this.drainIdleClass();
    this.initClass(unused, width, height, CLASS_ACTIVE);
    h[H_ACTIVE] = unused;
    return unused;
  }

  /** Under lock: a retired class with no held slot, its slots given back to the arena (throws if none). */
  private drainIdleClass(): number {
    const h = this.h;
    for (let c = 0; c < this.maxClasses; c++) {
      const cb = CLASS_BASE + c * CLASS_STRIDE;
      if (h[cb + C_STATE] !== CLASS_RETIRED || h[cb + C_HELD] !== 0) continue;
      this.freeIdleSlots(c);
      h[cb + C_STATE] = CLASS_UNUSED;
      return c;
    }
    throw new PoolError(`all ${this.maxClasses} size classes still hold slots; release old-size frames`);
  }

  /** Under lock: frees every idle slot of every retired class; returns how many. */
  private drainRetiredIdle(): number {
    const h = this.h;
    let freed = 0;
    for (let c = 0; c < this.maxClasses; c++) {
      const cb = CLASS_BASE + c * CLASS_STRIDE;
      if (h[cb + C_STATE] !== CLASS_RETIRED) continue;
      freed += this.freeIdleSlots(c);
      if (h[cb + C_LIVE] === 0) h[cb + C_STATE] = CLASS_UNUSED;
    }
    return freed;
  }

  /** Under lock: class c's idle slots go back to the arena; returns how many. */
  private freeIdleSlots(c: number): number {
    const h = this.h;
    const cb = CLASS_BASE + c * CLASS_STRIDE;
    let freed = 0;
    let slot = h[cb + C_FREE]!;
    h[cb + C_FREE] = -1;
    while (slot >= 0) {
      const next = h[this.slotBase + slot * SLOT_STRIDE + S_NEXT]!;
      this.freeSlotStorage(slot, c);
      slot = next;
      freed++;
    }
    return freed;
  }

  /** Under lock: class word c set up, empty, for width×height. */
  private initClass(c: number, width: number, height: number, state: number): void {
    const h = this.h;
    const cb = CLASS_BASE + c * CLASS_STRIDE;
    h[cb + C_STATE] = state;
    h[cb + C_FORMAT] = PixelFormat.i420;
    h[cb + C_WIDTH] = width;
    h[cb + C_HEIGHT] = height;
    h[cb + C_BYTES] = i420ByteLength(width, height);
    h[cb + C_FREE] = -1;
    h[cb + C_LIVE] = 0;
    h[cb + C_HELD] = 0;
  }

  /** Under lock: the class stops being active; its slots stay carved for a return to its size. */
  private retireClass(c: number): void {
    const h = this.h;
    const cb = CLASS_BASE + c * CLASS_STRIDE;
    h[cb + C_STATE] = h[cb + C_LIVE] === 0 ? CLASS_UNUSED : CLASS_RETIRED;
    h[H_ACTIVE] = -1;
  }

  /**
   * Under lock: carves up to `count` idle slots of width×height (at most the capacity), so
   * that frames of that size are later served without carving. Returns the bytes carved.
   */
  reserve(width: number, height: number, count: number): number {
    const h = this.h;
    let carved = 0;
    let c = this.findClass(width, height);
    if (c < 0) {
      c = this.findClass(0, 0);
      if (c < 0) c = this.drainIdleClass();
      this.initClass(c, width, height, CLASS_RETIRED);
    }
    const cb = CLASS_BASE + c * CLASS_STRIDE;
    while (h[cb + C_LIVE]! < Math.min(count, this.capacity) && h[H_FREE_HEADERS]! >= 0) {
      const slot = this.carveSlot(c);
      if (slot < 0) break;
      const s = this.slotBase + slot * SLOT_STRIDE;
      h[s + S_STATE] = SLOT_IDLE;
      h[s + S_NEXT] = h[cb + C_FREE]!;
      h[cb + C_FREE] = slot;
      carved += h[cb + C_BYTES]!;
    }
    return carved;
  }

  /** Under lock: the class word in use for width×height (0×0: the first unused word), or -1. */
  private findClass(width: number, height: number): number {
    const h = this.h;
    for (let c = 0; c < this.maxClasses; c++) {
      const cb = CLASS_BASE + c * CLASS_STRIDE;
      const st = h[cb + C_STATE]!;
      if (width === 0 ? st === CLASS_UNUSED : st !== CLASS_UNUSED && h[cb + C_WIDTH] === width && h[cb + C_HEIGHT] === height) return c;
    }
    return -1;
  }

  /** Under lock: a new slot of class c, or -1 if the arena is full (caller waits). */
  private carveSlot(c: number): number {
    const h = this.h;
    const cb = CLASS_BASE + c * CLASS_STRIDE;
    const bytes = h[cb + C_BYTES]!;
    let offset: number;
    try {
      offset = this.arena.alloc(bytes);
    } catch (e) {
      if (e instanceof ArenaExhaustedError) return -1; // retired slots may free memory: wait
      throw e;
    }
    const slot = h[H_FREE_HEADERS]!;
    const s = this.slotBase + slot * SLOT_STRIDE;
    h[H_FREE_HEADERS] = h[s + S_NEXT]!;
    h[s + S_CLASS] = c;
    h[s + S_WIDTH] = h[cb + C_WIDTH]!;
    h[s + S_HEIGHT] = h[cb + C_HEIGHT]!;
    h[s + S_BYTES] = bytes;
    h[s + S_OFFSET] = offset | 0;
    h[s + S_USED] = 0;
    h[cb + C_LIVE]!++;
    h[H_LIVE]!++;
    h[H_CREATED]!++;
    this.m[M_RESERVED]! += bytes;
    return slot;
  }

  /** Under lock: gives a slot's block back to the arena and its header to the unused list. */
  private freeSlotStorage(slot: number, c: number): void {
    const h = this.h;
    const s = this.slotBase + slot * SLOT_STRIDE;
    const bytes = h[s + S_BYTES]!;
    this.arena.free(h[s + S_OFFSET]! >>> 0, bytes);
    h[s + S_STATE] = SLOT_UNUSED;
    h[s + S_NEXT] = h[H_FREE_HEADERS]!;
    h[H_FREE_HEADERS] = slot;
    h[CLASS_BASE + c * CLASS_STRIDE + C_LIVE]!--;
    h[H_LIVE]!--;
    h[H_RETIRED]!++;
    this.m[M_RESERVED]! -= bytes;
  }
}
