/**
 * FramePool: reference-counted frame slots carved from a FrameArena, keyed by size class,
 * with bounded capacity per class (an empty pool blocks the producer: back-pressure).
 * Modelled on FFmpeg's AVBufferPool: a free list, a refcount and a release hook, here in
 * shared memory so every worker can acquire, pass and release slots.
 *
 * Handles are small positive integers `generation << SLOT_BITS | slotIndex`. The generation
 * of a slot moves on at its last release, so a handle used after release no longer matches
 * and throws StaleHandleError instead of touching a recycled slot.
 *
 * One active size class per pool. Asking for another size retires the active class: its
 * slots are kept (held ones are never touched; all rejoin its idle list at their last
 * release), so coming back to a size reuses them instead of carving anew. A run's sizes can
 * be carved before it starts (`reserve`), so switching sizes allocates nothing. Only when
 * every class word is taken is a retired class with no held slot drained back to the arena.
 *
 * ## Layout of `PoolShared.header` (Int32Array)
 * ```
 * word  field            writer                                  reader
 * 0     lock             shared-lock.ts                          -
 * 1     state            close()/fail(), Atomics.store           acquirers (under lock)
 *                        (0 open, 1 closed, 2 failed)
 * 2     failCode         fail(), before state                     acquirers
 * 3     releaseSeq       bumped (Atomics.add, publishing) under   blocked acquirers wait on it
 *                        lock by every slot return, close, fail  (src/pool/wait.ts)
 * 4     acquireWaiters   acquirers, around their wait            releasers: notify only if > 0
 * 5     activeClass      acquirers under lock (-1 = none)        under lock
 * 6     maxSlots         create()
 * 7     maxClasses       create()
 * 8     capacity         create(): max live slots per class
 * 9     poison           create(): 1 = fill released slots with POISON_BYTE
 * 10    freeHeaderHead   under lock: first unused slot header (-1 = none)
 * 11    slotsCreated     under lock (stats, may be stale)
 * 12    slotsReused      under lock: acquires served by a slot that held an earlier frame
 * 13    slotsRetired     under lock: slots whose storage went back to the arena
 * 14    liveSlots        under lock: idle + held slots
 * 15    heldSlots        under lock
 * 16    previewSkipped   preview taps: frames replaced before the preview took them
 * 32 + c·8              size class c, all under lock:
 *       +0 state (0 unused, 1 active, 2 retired) +1 format +2 width +3 height
 *       +4 byteLength +5 idle-list head (-1 = empty) +6 live slots +7 held slots
 * slotBase + i·SLOT_STRIDE   slot header i:
 *       +0 state (0 unused, 1 idle, 2 held)       under lock
 *       +1 refcount                               Atomics add/sub by holders
 *       +2 generation (1 .. 2^21-1)               under lock at last release; the
 *                                                 Atomics.store is the publishing store that
 *                                                 invalidates old handles
 *       +3 class index  +4 next idle (-1 = end)   under lock
 *       +5 width +6 height +7 byteLength +8 data offset (u32)   set when carved, under lock
 *       +9 frameIndex                             holder (producer), plain store; published
 *                                                 to the consumer by the queue's head store
 *       +10 holder stage (last stage given a ref) diagnostics
 *       +11 used: 1 once the slot has held a frame (a later acquire is a reuse)   under lock
 *       +12+s refs held by stage s                Atomics add/sub by stage s's thread
 * ```
 * ## Layout of `PoolShared.meta` (Float64Array)
 * ```
 * 0 reservedBytes (under lock)   1 inUseBytes (under lock)   2..7 reserved
 * 8 + i·SLOT_F_STRIDE   slot i:
 *       +0 ptsUs                  +1 acquiredAt (shared clock ms, at acquire)
 *       +2+s stamp of stage s     (shared clock ms; 0 = not stamped) — set by the producer
 *                                 before push (published by the queue), copied by readers
 *       +2+S+s heldSince, stage s (shared clock ms when stage s took its first current ref)
 * ```
 * Readers of stats()/findLeaks() use plain loads and may see values a few updates old.
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import { StageCounter } from '../metrics/metrics-block.ts';
import { STAGE_COUNT, sharedNow, stageName, type StageId, type StageName } from '../metrics/stages.ts';
import { FrameArena, type ArenaShared } from './arena.ts';
import { ArenaExhaustedError, ClosedError, FailedError, PoolError, StaleHandleError } from './errors.ts';
import { PixelFormat, assertFrameSize, i420ByteLength } from './frame-format.ts';
import { lock, unlock } from './shared-lock.ts';
import { NOT_YET, lastWaitMs, waitBlocking, waitUntilAsync, type Attempt, type WaitSite } from './wait.ts';

export const SLOT_BITS = 10;
export const MAX_SLOTS = 1 << SLOT_BITS;
const SLOT_MASK = MAX_SLOTS - 1;
const GEN_LIMIT = 1 << (31 - SLOT_BITS); // generations 1 .. GEN_LIMIT-1 keep handles positive
export const POISON_BYTE = 0xdb;

/** A slot handle: `generation << SLOT_BITS | slotIndex`, always > 0. */
export type SlotHandle = number;

const H_LOCK = 0;
const H_STATE = 1;
const H_FAIL_CODE = 2;
const H_SEQ = 3;
const H_WAITERS = 4;
const H_ACTIVE = 5;
const H_MAX_SLOTS = 6;
const H_MAX_CLASSES = 7;
const H_CAPACITY = 8;
const H_POISON = 9;
const H_FREE_HEADERS = 10;
const H_CREATED = 11;
const H_REUSED = 12;
const H_RETIRED = 13;
const H_LIVE = 14;
const H_HELD = 15;
const H_PREVIEW_SKIPPED = 16;

const CLASS_BASE = 32;
const CLASS_STRIDE = 8;
const C_STATE = 0;
const C_FORMAT = 1;
const C_WIDTH = 2;
const C_HEIGHT = 3;
const C_BYTES = 4;
const C_FREE = 5;
const C_LIVE = 6;
const C_HELD = 7;

const SLOT_STRIDE = 16;
const S_STATE = 0;
const S_REFS = 1;
const S_GEN = 2;
const S_CLASS = 3;
const S_NEXT = 4;
const S_WIDTH = 5;
const S_HEIGHT = 6;
const S_BYTES = 7;
const S_OFFSET = 8;
const S_FRAME = 9;
const S_HOLDER = 10;
const S_USED = 11;
const S_STAGE_REFS = 12;

const M_RESERVED = 0;
const M_IN_USE = 1;
const SLOT_F_BASE = 8;
const SLOT_F_STRIDE = 2 + 2 * STAGE_COUNT;
const F_PTS = 0;
const F_ACQUIRED = 1;
const F_STAMPS = 2;
const F_HELD_SINCE = 2 + STAGE_COUNT;

const POOL_OPEN = 0;
const POOL_CLOSED = 1;
const POOL_FAILED = 2;

const SLOT_UNUSED = 0;
const SLOT_IDLE = 1;
const SLOT_HELD = 2;
const CLASS_UNUSED = 0;
const CLASS_ACTIVE = 1;
const CLASS_RETIRED = 2;

if (S_STAGE_REFS + STAGE_COUNT > SLOT_STRIDE) throw new Error('slot header too small for STAGE_COUNT');

/** Structured-cloneable; created by the controller, attached in workers. */
export interface PoolShared {
  readonly kind: 'framepool-pool';
  readonly arena: ArenaShared;
  readonly header: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer;
}

export interface PoolOptions {
  /** Max live slots per size class: the back-pressure bound. */
  capacity: number;
  /** Slot headers (all classes together). Default 4·capacity, at most 1024. */
  maxSlots?: number;
  /** Size classes that may coexist (one active + retired ones still draining). Default 8. */
  maxClasses?: number;
  /** Fill released slots with POISON_BYTE (tests/debug). */
  poison?: boolean;
}

export interface AttachOptions {
  /** Count acquires as pool hits/misses for the acquiring stage. Default true. */
  countReuse?: boolean;
}

export interface PoolStats {
  capacity: number;
  /** Bytes of arena blocks held by this pool's live slots. */
  reservedBytes: number;
  /** Bytes of slots currently held. */
  inUseBytes: number;
  liveSlots: number;
  heldSlots: number;
  slotsCreated: number;
  slotsReused: number;
  slotsRetired: number;
  previewSkipped: number;
  /** Arena grows (all pools of the arena). */
  grows: number;
  activeClass: { width: number; height: number; byteLength: number } | null;
}

export interface SlotLeak {
  stage: StageId;
  stageName: StageName;
  frameIndex: number;
  heldForMs: number;
  handle: SlotHandle;
  width: number;
  height: number;
}

export class FramePool {
  readonly shared: PoolShared;
  readonly arena: FrameArena;
  readonly capacity: number;
  private readonly h: Int32Array;
  private readonly m: Float64Array;
  private readonly maxSlots: number;
  private readonly maxClasses: number;
  private readonly slotBase: number;
  private readonly metrics: Metrics | null;
  private readonly countReuse: boolean;
  // Per-slot view cache (this thread): rebuilt when the slot's block or the arena epoch changes.
  private readonly views: (Uint8Array | undefined)[];
  private readonly viewOffset: Float64Array;
  private readonly viewEpoch: Int32Array;
  private readonly site: WaitSite;

  private constructor(shared: PoolShared, arena: FrameArena, metrics: Metrics | null, options: AttachOptions) {
    this.shared = shared;
    this.arena = arena;
    this.h = new Int32Array(shared.header);
    this.m = new Float64Array(shared.meta);
    this.maxSlots = this.h[H_MAX_SLOTS]!;
    this.maxClasses = this.h[H_MAX_CLASSES]!;
    this.capacity = this.h[H_CAPACITY]!;
    this.slotBase = CLASS_BASE + this.maxClasses * CLASS_STRIDE;
    this.metrics = metrics;
    this.countReuse = options.countReuse ?? true;
    this.views = new Array<Uint8Array | undefined>(this.maxSlots).fill(undefined);
    this.viewOffset = new Float64Array(this.maxSlots).fill(-1);
    this.viewEpoch = new Int32Array(this.maxSlots).fill(-1);
    this.site = { words: this.h, seq: H_SEQ, waiters: H_WAITERS };
  }

  /** Builds a pool's shared state on `arena` (controller thread). */
  static create(arena: FrameArena, options: PoolOptions, metrics: Metrics | null = null, attach: AttachOptions = {}): FramePool {
    const capacity = options.capacity;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bad capacity ${capacity}`);
    const maxSlots = Math.min(MAX_SLOTS, options.maxSlots ?? Math.max(capacity * 4, capacity + 8));
    if (maxSlots < capacity) throw new RangeError('maxSlots < capacity');
    const maxClasses = options.maxClasses ?? 8;
    const slotBase = CLASS_BASE + maxClasses * CLASS_STRIDE;
    const header = new SharedArrayBuffer((slotBase + maxSlots * SLOT_STRIDE) * 4);
    const meta = new SharedArrayBuffer((SLOT_F_BASE + maxSlots * SLOT_F_STRIDE) * 8);
    const h = new Int32Array(header);
    h[H_ACTIVE] = -1;
    h[H_MAX_SLOTS] = maxSlots;
    h[H_MAX_CLASSES] = maxClasses;
    h[H_CAPACITY] = capacity;
    h[H_POISON] = options.poison === true ? 1 : 0;
    // All headers start on the unused list, generation 1.
    for (let i = 0; i < maxSlots; i++) {
      const s = slotBase + i * SLOT_STRIDE;
      h[s + S_GEN] = 1;
      h[s + S_NEXT] = i + 1 < maxSlots ? i + 1 : -1;
    }
    h[H_FREE_HEADERS] = 0;
    const shared: PoolShared = { kind: 'framepool-pool', arena: arena.shared, header, meta };
    return new FramePool(shared, arena, metrics, attach);
  }

  /** Attaches to a pool created elsewhere (pass the arena if this thread already has one). */
  static attach(shared: PoolShared, metrics: Metrics | null = null, options: AttachOptions & { arena?: FrameArena } = {}): FramePool {
    const arena = options.arena?.memory === shared.arena.memory ? options.arena : FrameArena.attach(shared.arena);
    return new FramePool(shared, arena, metrics, options);
  }

  // ---------------------------------------------------------------- acquire

  /**
   * Blocking acquire (Atomics.wait; for workers, e.g. inside ffmpeg's exec). Returns a
   * handle held once by `stage`, or null on timeout. Throws ClosedError / FailedError.
   * Allocation-free when a slot is idle.
   */
  acquire(width: number, height: number, stage: StageId, timeoutMs: number): SlotHandle | null {
    const handle = this.acquireOnce(width, height, stage);
    if (handle > 0) return handle;
    // allocates: only here, when the pool is empty and the thread must wait (back-pressure, about
    // 1% of the decoder's frames at max pacing): V8 makes a few 72–108 B objects on this path
    // (seen by e2e/gc-allocations.spec.ts's sampling profiler at ~0.5 B/frame; not yet pinned
    // down). The fast path (acquireOnce, above) never waits and makes none.
    const got = waitBlocking(this.site, timeoutMs, FramePool.acquireAttempt, this, width, height, stage);
    this.metrics?.addWait(stage, lastWaitMs(), got === NOT_YET);
    return got === NOT_YET ? null : got;
  }

  /** Awaitable acquire (Atomics.waitAsync; for threads that must not block). Null on timeout. */
  async acquireAsync(width: number, height: number, stage: StageId, timeoutMs: number): Promise<SlotHandle | null> {
    const handle = this.acquireOnce(width, height, stage);
    if (handle > 0) return handle;
    const got = await waitUntilAsync(this.site, timeoutMs, FramePool.acquireAttempt, this, width, height, stage);
    this.metrics?.addWait(stage, lastWaitMs(), got === NOT_YET);
    return got === NOT_YET ? null : got;
  }

  /** The wait loop's attempt (made once: no closure per wait). */
  private static readonly acquireAttempt: Attempt<FramePool> = (pool, width, height, stage) => pool.acquireOnce(width, height, stage as StageId);

  /** One attempt under the lock: a handle (> 0), or 0 when the class is at capacity. */
  private acquireOnce(width: number, height: number, stage: StageId): SlotHandle {
    assertFrameSize(width, height);
    const h = this.h;
    let carvedBytes = -1;
    let grew = false;
    let hit = false;
    let handle = 0;
    lock(h, H_LOCK);
    try {
      this.throwIfStopped();
      const c = this.activateClass(width, height);
      const cb = CLASS_BASE + c * CLASS_STRIDE;
      let slot = h[cb + C_FREE]!;
      if (slot >= 0) {
        const s = this.slotBase + slot * SLOT_STRIDE;
        h[cb + C_FREE] = h[s + S_NEXT]!;
        hit = h[s + S_USED] === 1; // a pre-carved slot's first frame is not a reuse
        if (hit) h[H_REUSED]!++;
      } else if (h[cb + C_LIVE]! < this.capacity) {
        slot = h[H_FREE_HEADERS]! >= 0 ? this.carveSlot(c) : -1;
        // Arena or headers full: give retired classes' idle slots back, then try once more.
        if (slot < 0 && this.drainRetiredIdle() > 0 && h[H_FREE_HEADERS]! >= 0) slot = this.carveSlot(c);
        if (slot >= 0) {
          carvedBytes = h[cb + C_BYTES]!;
          grew = this.arena.lastAllocGrew;
        }
      }
      if (slot < 0) return 0;
      handle = this.holdSlot(slot, c, stage);
    } finally {
      unlock(h, H_LOCK);
    }
    const metrics = this.metrics;
    if (metrics !== null) {
      // Outside the lock: counting never lengthens the critical section.
      if (carvedBytes >= 0) metrics.countAllocation(stage, carvedBytes);
      if (grew) metrics.count(stage, StageCounter.poolGrows);
      if (this.countReuse) metrics.count(stage, hit ? StageCounter.poolHits : StageCounter.poolMisses);
    }
    return handle;
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
   * Carves up to `count` idle slots of width×height now (at most the capacity), so that
   * frames of that size, later in the run, are served without carving: the warm-up of a
   * run's ladder. Allocates arena memory (not per frame). Returns the bytes carved.
   */
  reserve(width: number, height: number, count: number): number {
    assertFrameSize(width, height);
    const h = this.h;
    let carved = 0;
    lock(h, H_LOCK);
    try {
      this.throwIfStopped();
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
    } finally {
      unlock(h, H_LOCK);
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

  /** Under lock: marks an idle/new slot held once by `stage`; returns its handle. */
  private holdSlot(slot: number, c: number, stage: StageId): SlotHandle {
    const h = this.h;
    const m = this.m;
    const s = this.slotBase + slot * SLOT_STRIDE;
    const f = SLOT_F_BASE + slot * SLOT_F_STRIDE;
    const now = sharedNow();
    h[s + S_STATE] = SLOT_HELD;
    h[s + S_USED] = 1;
    h[s + S_NEXT] = -1;
    h[s + S_FRAME] = -1;
    h[s + S_HOLDER] = stage;
    for (let k = 0; k < STAGE_COUNT; k++) {
      Atomics.store(h, s + S_STAGE_REFS + k, k === stage ? 1 : 0);
      m[f + F_STAMPS + k] = 0;
      m[f + F_HELD_SINCE + k] = k === stage ? now : 0;
    }
    m[f + F_PTS] = NaN;
    m[f + F_ACQUIRED] = now;
    Atomics.store(h, s + S_REFS, 1);
    const cb = CLASS_BASE + c * CLASS_STRIDE;
    h[cb + C_HELD]!++;
    h[H_HELD]!++;
    m[M_IN_USE]! += h[s + S_BYTES]!;
    return (h[s + S_GEN]! << SLOT_BITS) | slot;
  }

  // ---------------------------------------------------------------- refs

  /** Slot index of a live handle; throws StaleHandleError for a released or bogus one. */
  private slotOf(handle: SlotHandle): number {
    const slot = handle & SLOT_MASK;
    if (!(handle > 0) || slot >= this.maxSlots) throw new StaleHandleError(`not a slot handle: ${handle}`);
    const s = this.slotBase + slot * SLOT_STRIDE;
    // Acquiring load: a generation that moved on means the slot was released.
    const gen = Atomics.load(this.h, s + S_GEN);
    if (gen !== handle >>> SLOT_BITS || Atomics.load(this.h, s + S_STATE) !== SLOT_HELD) {
      throw new StaleHandleError(`stale handle ${handle} (slot ${slot} is at generation ${gen})`);
    }
    return slot;
  }

  /** Adds a reference held by `stage` (caller must already hold one, as with any refcount). */
  addRef(handle: SlotHandle, stage: StageId): void {
    const slot = this.slotOf(handle);
    const s = this.slotBase + slot * SLOT_STRIDE;
    Atomics.add(this.h, s + S_REFS, 1);
    if (Atomics.add(this.h, s + S_STAGE_REFS + stage, 1) === 0) {
      this.m[SLOT_F_BASE + slot * SLOT_F_STRIDE + F_HELD_SINCE + stage] = sharedNow();
    }
    this.h[s + S_HOLDER] = stage;
  }

  /** Moves one reference from stage `from` to stage `to` (a handoff between stages). */
  transferRef(handle: SlotHandle, from: StageId, to: StageId): void {
    if (from === to) return;
    const slot = this.slotOf(handle);
    const s = this.slotBase + slot * SLOT_STRIDE;
    if (Atomics.add(this.h, s + S_STAGE_REFS + to, 1) === 0) {
      this.m[SLOT_F_BASE + slot * SLOT_F_STRIDE + F_HELD_SINCE + to] = sharedNow();
    }
    this.takeStageRef(slot, from, handle);
    this.h[s + S_HOLDER] = to;
  }

  /** Drops one reference of `stage`; the last release returns the slot and wakes an acquirer. */
  release(handle: SlotHandle, stage: StageId): void {
    const slot = this.slotOf(handle);
    this.takeStageRef(slot, stage, handle);
    const prev = Atomics.sub(this.h, this.slotBase + slot * SLOT_STRIDE + S_REFS, 1);
    if (prev === 1) this.returnSlot(slot);
  }

  private takeStageRef(slot: number, stage: StageId, handle: SlotHandle): void {
    const at = this.slotBase + slot * SLOT_STRIDE + S_STAGE_REFS + stage;
    for (;;) {
      const r = Atomics.load(this.h, at);
      if (r <= 0) throw new StaleHandleError(`stage ${stageName(stage)} holds no reference to handle ${handle}`);
      if (Atomics.compareExchange(this.h, at, r, r - 1) === r) return;
    }
  }

  /** Last reference gone: new generation, poison, back to its class's idle list. */
  private returnSlot(slot: number): void {
    const h = this.h;
    const s = this.slotBase + slot * SLOT_STRIDE;
    lock(h, H_LOCK);
    try {
      const gen = h[s + S_GEN]! + 1;
      Atomics.store(h, s + S_GEN, gen >= GEN_LIMIT ? 1 : gen); // publishing store: old handles are now stale
      const bytes = h[s + S_BYTES]!;
      if (h[H_POISON] === 1) this.slotView(slot).fill(POISON_BYTE);
      const c = h[s + S_CLASS]!;
      const cb = CLASS_BASE + c * CLASS_STRIDE;
      h[cb + C_HELD]!--;
      h[H_HELD]!--;
      this.m[M_IN_USE]! -= bytes;
      // Active or retired, the slot stays carved for its size (see reserve / drainIdleClass).
      h[s + S_STATE] = SLOT_IDLE;
      h[s + S_NEXT] = h[cb + C_FREE]!;
      h[cb + C_FREE] = slot;
      Atomics.add(h, H_SEQ, 1); // publishing store: a slot is available
      if (Atomics.load(h, H_WAITERS) > 0) Atomics.notify(h, H_SEQ);
    } finally {
      unlock(h, H_LOCK);
    }
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

  // ---------------------------------------------------------------- data and header

  /**
   * The slot's bytes: a view of exactly byteLength bytes of arena memory. Cached per slot;
   * remade only when the slot was re-carved or the arena grew. Allocation-free when cached.
   */
  data(handle: SlotHandle): Uint8Array {
    return this.slotView(this.slotOf(handle));
  }

  private slotView(slot: number): Uint8Array {
    const s = this.slotBase + slot * SLOT_STRIDE;
    const offset = this.h[s + S_OFFSET]! >>> 0;
    const bytes = this.h[s + S_BYTES]!;
    const epoch = this.arena.epoch();
    const v = this.views[slot];
    if (v !== undefined && this.viewOffset[slot] === offset && v.byteLength === bytes && this.viewEpoch[slot] === epoch) return v;
    this.arena.refresh();
    const nv = this.arena.view(offset, bytes); // allocates: first use of a slot, or after a grow
    this.views[slot] = nv;
    this.viewOffset[slot] = offset;
    this.viewEpoch[slot] = epoch;
    return nv;
  }

  width(handle: SlotHandle): number {
    return this.h[this.slotBase + this.slotOf(handle) * SLOT_STRIDE + S_WIDTH]!;
  }

  height(handle: SlotHandle): number {
    return this.h[this.slotBase + this.slotOf(handle) * SLOT_STRIDE + S_HEIGHT]!;
  }

  byteLength(handle: SlotHandle): number {
    return this.h[this.slotBase + this.slotOf(handle) * SLOT_STRIDE + S_BYTES]!;
  }

  frameIndex(handle: SlotHandle): number {
    return this.h[this.slotBase + this.slotOf(handle) * SLOT_STRIDE + S_FRAME]!;
  }

  setFrameIndex(handle: SlotHandle, frameIndex: number): void {
    this.h[this.slotBase + this.slotOf(handle) * SLOT_STRIDE + S_FRAME] = frameIndex;
  }

  ptsUs(handle: SlotHandle): number {
    return this.m[SLOT_F_BASE + this.slotOf(handle) * SLOT_F_STRIDE + F_PTS]!;
  }

  setPtsUs(handle: SlotHandle, ptsUs: number): void {
    this.m[SLOT_F_BASE + this.slotOf(handle) * SLOT_F_STRIDE + F_PTS] = ptsUs;
  }

  /** Shared-clock time stage `stage` stamped on the frame (0 = not stamped). */
  stamp(handle: SlotHandle, stage: StageId): number {
    return this.m[SLOT_F_BASE + this.slotOf(handle) * SLOT_F_STRIDE + F_STAMPS + stage]!;
  }

  setStamp(handle: SlotHandle, stage: StageId, atMs: number): void {
    this.m[SLOT_F_BASE + this.slotOf(handle) * SLOT_F_STRIDE + F_STAMPS + stage] = atMs;
  }

  /** Copies all stage stamps into `out` (length ≥ STAGE_COUNT). Allocation-free. */
  readStamps(handle: SlotHandle, out: Float64Array): void {
    const f = SLOT_F_BASE + this.slotOf(handle) * SLOT_F_STRIDE + F_STAMPS;
    for (let k = 0; k < STAGE_COUNT; k++) out[k] = this.m[f + k]!;
  }

  /** Writes all stage stamps from `src`. Allocation-free. */
  writeStamps(handle: SlotHandle, src: Float64Array): void {
    const f = SLOT_F_BASE + this.slotOf(handle) * SLOT_F_STRIDE + F_STAMPS;
    for (let k = 0; k < STAGE_COUNT; k++) this.m[f + k] = src[k] ?? 0;
  }

  /** Stage that most recently took a reference. */
  holder(handle: SlotHandle): StageId {
    return this.h[this.slotBase + this.slotOf(handle) * SLOT_STRIDE + S_HOLDER]! as StageId;
  }

  acquiredAt(handle: SlotHandle): number {
    return this.m[SLOT_F_BASE + this.slotOf(handle) * SLOT_F_STRIDE + F_ACQUIRED]!;
  }

  refCount(handle: SlotHandle): number {
    return Atomics.load(this.h, this.slotBase + this.slotOf(handle) * SLOT_STRIDE + S_REFS);
  }

  /** True while `handle` names a held slot (a released handle returns false). */
  isLive(handle: SlotHandle): boolean {
    try {
      this.slotOf(handle);
      return true;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- diagnostics

  stats(): PoolStats {
    const h = this.h;
    const active = h[H_ACTIVE]!;
    let activeClass: PoolStats['activeClass'] = null;
    if (active >= 0) {
      const cb = CLASS_BASE + active * CLASS_STRIDE;
      activeClass = { width: h[cb + C_WIDTH]!, height: h[cb + C_HEIGHT]!, byteLength: h[cb + C_BYTES]! };
    }
    return {
      capacity: this.capacity,
      reservedBytes: this.m[M_RESERVED]!,
      inUseBytes: this.m[M_IN_USE]!,
      liveSlots: h[H_LIVE]!,
      heldSlots: h[H_HELD]!,
      slotsCreated: h[H_CREATED]!,
      slotsReused: h[H_REUSED]!,
      slotsRetired: h[H_RETIRED]!,
      previewSkipped: Atomics.load(h, H_PREVIEW_SKIPPED),
      grows: this.arena.stats().grows,
      activeClass,
    };
  }

  /** Counts a preview frame replaced before it was taken (called by preview taps). */
  countPreviewSkipped(): void {
    Atomics.add(this.h, H_PREVIEW_SKIPPED, 1);
  }

  /** Slots some stage has held longer than `deadlineMs` at shared-clock time `nowMs`. */
  findLeaks(nowMs: number, deadlineMs: number): SlotLeak[] {
    const out: SlotLeak[] = [];
    const h = this.h;
    for (let slot = 0; slot < this.maxSlots; slot++) {
      const s = this.slotBase + slot * SLOT_STRIDE;
      if (Atomics.load(h, s + S_STATE) !== SLOT_HELD) continue;
      const f = SLOT_F_BASE + slot * SLOT_F_STRIDE;
      for (let k = 0; k < STAGE_COUNT; k++) {
        if (Atomics.load(h, s + S_STAGE_REFS + k) <= 0) continue;
        const heldForMs = nowMs - this.m[f + F_HELD_SINCE + k]!;
        if (heldForMs > deadlineMs) {
          const stage = k as StageId;
          out.push({
            stage,
            stageName: stageName(stage),
            frameIndex: h[s + S_FRAME]!,
            heldForMs,
            handle: (Atomics.load(h, s + S_GEN) << SLOT_BITS) | slot,
            width: h[s + S_WIDTH]!,
            height: h[s + S_HEIGHT]!,
          });
        }
      }
    }
    return out;
  }

  /**
   * Drops every reference held by `stage` (its worker died). Returns how many references
   * were dropped. Handles of that stage still sitting in queues become stale: reset those.
   */
  reclaimHeldBy(stage: StageId): number {
    const h = this.h;
    let dropped = 0;
    for (let slot = 0; slot < this.maxSlots; slot++) {
      const s = this.slotBase + slot * SLOT_STRIDE;
      if (Atomics.load(h, s + S_STATE) !== SLOT_HELD) continue;
      const n = Atomics.exchange(h, s + S_STAGE_REFS + stage, 0);
      if (n <= 0) continue;
      dropped += n;
      if (Atomics.sub(h, s + S_REFS, n) === n) this.returnSlot(slot);
    }
    return dropped;
  }

  // ---------------------------------------------------------------- stop

  /** Stop: every blocked and future acquire throws ClosedError. Held slots stay valid. */
  close(): void {
    this.stop(POOL_CLOSED, 0);
  }

  /** Error elsewhere: every blocked and future acquire throws FailedError(code). */
  fail(code: number): void {
    this.stop(POOL_FAILED, code);
  }

  isOpen(): boolean {
    return Atomics.load(this.h, H_STATE) === POOL_OPEN;
  }

  private stop(state: number, code: number): void {
    const h = this.h;
    lock(h, H_LOCK);
    try {
      if (h[H_STATE] !== POOL_OPEN) return;
      h[H_FAIL_CODE] = code;
      Atomics.store(h, H_STATE, state); // publishing store (failCode first)
      Atomics.add(h, H_SEQ, 1);
    } finally {
      unlock(h, H_LOCK);
    }
    Atomics.notify(h, H_SEQ);
  }

  private throwIfStopped(): void {
    const st = Atomics.load(this.h, H_STATE);
    if (st === POOL_CLOSED) throw new ClosedError('frame pool closed');
    if (st === POOL_FAILED) throw new FailedError(this.h[H_FAIL_CODE]!, `frame pool failed with code ${this.h[H_FAIL_CODE]}`);
  }
}
