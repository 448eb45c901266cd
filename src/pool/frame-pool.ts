/**
 * FramePool: reference-counted frame slots carved from a FrameArena, keyed by size class,
 * with bounded capacity per class (an empty pool blocks the producer: back-pressure).
 * Modelled on FFmpeg's AVBufferPool: a free list, a refcount and a release hook, here in
 * shared memory so every worker can acquire, pass and release slots. This file holds the
 * handles, references, waits and stop; the size classes are size-classes.ts, what travels
 * with a frame frame-meta.ts, which stage holds a slot slot-owners.ts, what the pool counts
 * pool-counters.ts, and every wait goes through wait.ts.
 *
 * Handles are small positive integers `generation << SLOT_BITS | slotIndex`. The generation
 * of a slot moves on at its last release, so a handle used after release no longer matches
 * and throws StaleHandleError instead of touching a recycled slot.
 *
 * One active size class per pool. Asking for another size retires the active class: its
 * slots are kept (held ones are never touched; all rejoin its idle list at their last
 * release), so coming back to a size reuses them instead of carving anew. A run's sizes can
 * be carved before it starts (`reserve`), so switching sizes allocates nothing. Only when
 * every class word is taken is a retired class with no held slot drained back to the arena,
 * and only when the arena is full are retired classes' idle slots.
 *
 * Byte layout of the header and totals: pool-layout.ts; of `frames`: frame-meta.ts; of
 * `owners`: slot-owners.ts. Readers of stats()/findLeaks() use plain loads and may see
 * values a few updates old.
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import { STAGE_COUNT, clock, readClock, stageName, type StageId, type StageName } from '../metrics/stages.ts';
import { FrameArena, type ArenaShared } from './arena.ts';
import { ClosedError, FailedError, StaleHandleError } from './errors.ts';
import { assertFrameSize } from './frame-format.ts';
import { FrameMeta } from './frame-meta.ts';
import { PoolCounters } from './pool-counters.ts';
import {
  CLASS_BASE, CLASS_STRIDE, C_BYTES, C_HEIGHT, C_WIDTH, GEN_LIMIT, H_ACTIVE, H_CAPACITY, H_CREATED, H_FAIL_CODE, H_FREE_HEADERS, H_HELD, H_LIVE,
  H_LOCK, H_MAX_CLASSES, H_MAX_SLOTS, H_POISON, H_PREVIEW_SKIPPED, H_RETIRED, H_REUSED, H_SEQ, H_STATE, H_WAITERS, MAX_SLOTS, M_IN_USE,
  M_RESERVED, POOL_CLOSED, POOL_FAILED, POOL_OPEN, SLOT_BITS, SLOT_HELD, SLOT_MASK, SLOT_STRIDE, S_BYTES, S_GEN, S_HEIGHT, S_NEXT, S_OFFSET,
  S_REFS, S_STATE, S_WIDTH,
} from './pool-layout.ts';
import { SizeClasses } from './size-classes.ts';
import { lock, unlock } from './shared-lock.ts';
import { SlotOwners } from './slot-owners.ts';
import { SlotViews } from './slot-views.ts';
import { NOT_YET, lastWaitMs, waitBlocking, waitUntilAsync, type Attempt, type WaitSite } from './wait.ts';

export const POISON_BYTE = 0xdb;

/** A slot handle: `generation << SLOT_BITS | slotIndex`, always > 0. */
export type SlotHandle = number;

/** Structured-cloneable; created by the controller, attached in workers. */
export interface PoolShared {
  readonly kind: 'framepool-pool';
  readonly arena: ArenaShared;
  readonly header: SharedArrayBuffer;
  readonly totals: SharedArrayBuffer;
  readonly frames: SharedArrayBuffer;
  readonly owners: SharedArrayBuffer;
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
  /** Per-slot frame meta (index, pts, stamps); index it with slot(handle). */
  readonly frames: FrameMeta;
  private readonly capacity: number;
  private readonly h: Int32Array;
  private readonly m: Float64Array;
  private readonly owners: SlotOwners;
  private readonly counters: PoolCounters;
  private readonly classes: SizeClasses;
  private readonly maxSlots: number;
  private readonly maxClasses: number;
  private readonly slotBase: number;
  private readonly site: WaitSite;
  private readonly views: SlotViews;
  /** Shared-clock ms this thread's latest acquire took its slot (its hold time; a writer's frame starts then). */
  acquiredAt = NaN; // a double field from the start: each store overwrites it in place (no box)

  private constructor(shared: PoolShared, arena: FrameArena, metrics: Metrics | null, options: AttachOptions) {
    this.shared = shared;
    this.arena = arena;
    this.h = new Int32Array(shared.header);
    this.m = new Float64Array(shared.totals);
    this.maxSlots = this.h[H_MAX_SLOTS]!;
    this.maxClasses = this.h[H_MAX_CLASSES]!;
    this.capacity = this.h[H_CAPACITY]!;
    this.slotBase = CLASS_BASE + this.maxClasses * CLASS_STRIDE;
    this.frames = new FrameMeta(shared.frames);
    this.owners = new SlotOwners(shared.owners, this.maxSlots);
    this.counters = new PoolCounters(metrics, options.countReuse ?? true);
    this.classes = new SizeClasses(this.h, this.m, arena, this.slotBase, this.maxClasses, this.capacity);
    this.site = { words: this.h, seq: H_SEQ, waiters: H_WAITERS };
    this.views = new SlotViews(arena, this.maxSlots);
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
    const shared: PoolShared = {
      kind: 'framepool-pool',
      arena: arena.shared,
      header,
      totals: new SharedArrayBuffer(2 * 8),
      frames: new SharedArrayBuffer(FrameMeta.bytes(maxSlots)),
      owners: new SharedArrayBuffer(SlotOwners.bytes(maxSlots)),
    };
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
   * Allocation-free when a slot is idle but for its one clock reading (see readClock).
   */
  acquire(width: number, height: number, stage: StageId, timeoutMs: number): SlotHandle | null {
    // One clock reading: the hold time when a slot is idle, else the start of the wait (whose
    // latest wake reading then stamps the slot it gets).
    readClock();
    const handle = this.acquireOnce(width, height, stage);
    if (handle > 0) return handle;
    // allocates: only here, when the pool is empty and the thread must wait (back-pressure: at
    // max pacing a stage upstream of the slowest one waits about once a frame): a clock reading
    // per wake and the wait's ms handed to the metrics (boxed doubles in Maglev code), and now
    // and then a few 48–384 B objects V8 makes on this path (e2e/gc-allocations.spec.ts's
    // sampling profiler: under 1 B/frame; not pinned down). The fast path never waits.
    const got = waitBlocking(this.site, timeoutMs, FramePool.acquireAttempt, this, width, height, stage, true);
    this.counters.waited(stage, lastWaitMs(), got === NOT_YET);
    return got === NOT_YET ? null : got;
  }

  /** Awaitable acquire (Atomics.waitAsync; for threads that must not block). Null on timeout. */
  async acquireAsync(width: number, height: number, stage: StageId, timeoutMs: number): Promise<SlotHandle | null> {
    readClock();
    const handle = this.acquireOnce(width, height, stage);
    if (handle > 0) return handle;
    const got = await waitUntilAsync(this.site, timeoutMs, FramePool.acquireAsyncAttempt, this, width, height, stage);
    this.counters.waited(stage, lastWaitMs(), got === NOT_YET);
    return got === NOT_YET ? null : got;
  }

  /** The blocking wait's attempt (made once: no closure per wait); a slot it gets is held from the wait's latest wake reading. */
  private static readonly acquireAttempt: Attempt<FramePool> = (pool, width, height, stage) => pool.acquireOnce(width, height, stage as StageId);

  /** The awaitable wait's attempt: other tasks of this thread run between its turns, so it reads the clock. */
  private static readonly acquireAsyncAttempt: Attempt<FramePool> = (pool, width, height, stage) => {
    readClock();
    return pool.acquireOnce(width, height, stage as StageId);
  };

  /** One attempt under the lock: a handle (> 0) held by `stage` from clock[0] (the caller's reading), or 0 at capacity. */
  private acquireOnce(width: number, height: number, stage: StageId): SlotHandle {
    assertFrameSize(width, height);
    const h = this.h;
    const classes = this.classes;
    let slot: number;
    lock(h, H_LOCK);
    try {
      this.throwIfStopped();
      slot = classes.take(width, height);
    } finally {
      unlock(h, H_LOCK);
    }
    if (slot < 0) return 0;
    this.owners.hold(slot, stage);
    this.acquiredAt = clock[0]!;
    this.frames.clear(slot);
    this.counters.acquired(stage, classes.hit, classes.carvedBytes, classes.grew);
    const s = this.slotBase + slot * SLOT_STRIDE;
    Atomics.store(h, s + S_REFS, 1); // publishing: owner and meta words are set before the handle exists
    return (h[s + S_GEN]! << SLOT_BITS) | slot;
  }

  /**
   * Carves up to `count` idle slots of width×height now (at most the capacity), so that
   * frames of that size, later in the run, are served without carving: the warm-up of a
   * run's ladder. Allocates arena memory (not per frame). Returns the bytes carved.
   */
  reserve(width: number, height: number, count: number): number {
    assertFrameSize(width, height);
    lock(this.h, H_LOCK);
    try {
      this.throwIfStopped();
      return this.classes.reserve(width, height, count);
    } finally {
      unlock(this.h, H_LOCK);
    }
  }

  // ---------------------------------------------------------------- refs

  /** Slot index of a live handle (to index `frames`); throws StaleHandleError for a released or bogus one. */
  slot(handle: SlotHandle): number {
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

  /**
   * Adds a reference held by `stage` (caller must already hold one, as with any refcount), from
   * this thread's latest clock reading (clock[0]: read the clock just before).
   */
  addRef(handle: SlotHandle, stage: StageId): void {
    const slot = this.slot(handle);
    Atomics.add(this.h, this.slotBase + slot * SLOT_STRIDE + S_REFS, 1);
    this.owners.add(slot, stage);
  }

  /** Moves one reference from stage `from` to stage `to` (a handoff between stages, at clock[0] as addRef). */
  transferRef(handle: SlotHandle, from: StageId, to: StageId): void {
    if (from === to) return;
    const slot = this.slot(handle);
    this.owners.add(slot, to);
    this.owners.take(slot, from, handle);
  }

  /** Drops one reference of `stage`; the last release returns the slot and wakes an acquirer. */
  release(handle: SlotHandle, stage: StageId): void {
    const slot = this.slot(handle);
    this.owners.take(slot, stage, handle);
    if (Atomics.sub(this.h, this.slotBase + slot * SLOT_STRIDE + S_REFS, 1) === 1) this.returnSlot(slot);
  }

  /** Last reference gone: new generation, poison, back to its class's idle list. */
  private returnSlot(slot: number): void {
    const h = this.h;
    const s = this.slotBase + slot * SLOT_STRIDE;
    lock(h, H_LOCK);
    try {
      const gen = h[s + S_GEN]! + 1;
      Atomics.store(h, s + S_GEN, gen >= GEN_LIMIT ? 1 : gen); // publishing store: old handles are now stale
      if (h[H_POISON] === 1) this.slotView(slot).fill(POISON_BYTE);
      this.classes.put(slot);
      Atomics.add(h, H_SEQ, 1); // publishing store: a slot is available
      if (Atomics.load(h, H_WAITERS) > 0) Atomics.notify(h, H_SEQ);
    } finally {
      unlock(h, H_LOCK);
    }
  }

  // ---------------------------------------------------------------- data and size

  /** The slot's bytes: a view of exactly byteLength bytes of arena memory (slot-views.ts: cached, allocation-free). */
  data(handle: SlotHandle): Uint8Array {
    return this.slotView(this.slot(handle));
  }

  private slotView(slot: number): Uint8Array {
    const s = this.slotBase + slot * SLOT_STRIDE;
    return this.views.get(slot, this.h[s + S_OFFSET]! >>> 0, this.h[s + S_BYTES]!);
  }

  width(handle: SlotHandle): number {
    return this.h[this.slotBase + this.slot(handle) * SLOT_STRIDE + S_WIDTH]!;
  }

  height(handle: SlotHandle): number {
    return this.h[this.slotBase + this.slot(handle) * SLOT_STRIDE + S_HEIGHT]!;
  }

  byteLength(handle: SlotHandle): number {
    return this.h[this.slotBase + this.slot(handle) * SLOT_STRIDE + S_BYTES]!;
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
      for (let k = 0; k < STAGE_COUNT; k++) {
        const stage = k as StageId;
        const heldForMs = this.owners.heldFor(slot, stage, nowMs);
        if (!(heldForMs > deadlineMs)) continue; // NaN: the stage holds no reference
        out.push({
          stage,
          stageName: stageName(stage),
          frameIndex: this.frames.frameIndex(slot),
          heldForMs,
          handle: (Atomics.load(h, s + S_GEN) << SLOT_BITS) | slot,
          width: h[s + S_WIDTH]!,
          height: h[s + S_HEIGHT]!,
        });
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
      const n = this.owners.takeAll(slot, stage);
      if (n === 0) continue;
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
