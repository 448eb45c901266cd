/**
 * The byte layout of a FramePool's shared words, shared by frame-pool.ts (handles, refs,
 * waits) and size-classes.ts (the size classes and their slots, under the pool's lock).
 *
 * ## Layout of `PoolShared.header` (Int32Array)
 * ```
 * word  field            writer                                  reader
 * 0     lock             shared-lock.ts                          -
 * 1     state            close()/fail(), Atomics.store           acquirers (under lock)
 *                        (0 open, 1 closed, 2 failed)
 * 2     failCode         fail(), before state                     acquirers
 * 3     releaseSeq       bumped (Atomics.add, publishing) under   blocked acquirers wait on it
 *                        lock by every slot return, close, fail  (wait.ts)
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
 *       +2 generation (1 .. 2^20-1)               under lock at last release; the
 *                                                 Atomics.store is the publishing store that
 *                                                 invalidates old handles
 *       +3 class index  +4 next idle (-1 = end)   under lock
 *       +5 width +6 height +7 byteLength +8 data offset (u32)   set when carved, under lock
 *       +9 used: 1 once the slot has held a frame (a later acquire is a reuse)   under lock
 * ```
 * `PoolShared.totals` (Float64Array): 0 reservedBytes, 1 inUseBytes, both under lock.
 */
export const SLOT_BITS = 10;
export const MAX_SLOTS = 1 << SLOT_BITS;
export const SLOT_MASK = MAX_SLOTS - 1;
// Generations 1 .. GEN_LIMIT-1 keep handles positive and below bit 30, which a link uses to
// mark a slot of its upstream link's pool passed along in place (slot-link.ts, PASSED).
export const GEN_LIMIT = 1 << (30 - SLOT_BITS);
export const H_LOCK = 0;
export const H_STATE = 1;
export const H_FAIL_CODE = 2;
export const H_SEQ = 3;
export const H_WAITERS = 4;
export const H_ACTIVE = 5;
export const H_MAX_SLOTS = 6;
export const H_MAX_CLASSES = 7;
export const H_CAPACITY = 8;
export const H_POISON = 9;
export const H_FREE_HEADERS = 10;
export const H_CREATED = 11;
export const H_REUSED = 12;
export const H_RETIRED = 13;
export const H_LIVE = 14;
export const H_HELD = 15;
export const H_PREVIEW_SKIPPED = 16;

export const CLASS_BASE = 32;
export const CLASS_STRIDE = 8;
export const C_STATE = 0;
export const C_FORMAT = 1;
export const C_WIDTH = 2;
export const C_HEIGHT = 3;
export const C_BYTES = 4;
export const C_FREE = 5;
export const C_LIVE = 6;
export const C_HELD = 7;

export const SLOT_STRIDE = 10;
export const S_STATE = 0;
export const S_REFS = 1;
export const S_GEN = 2;
export const S_CLASS = 3;
export const S_NEXT = 4;
export const S_WIDTH = 5;
export const S_HEIGHT = 6;
export const S_BYTES = 7;
export const S_OFFSET = 8;
export const S_USED = 9;

export const M_RESERVED = 0;
export const M_IN_USE = 1;

export const POOL_OPEN = 0;
export const POOL_CLOSED = 1;
export const POOL_FAILED = 2;

export const SLOT_UNUSED = 0;
export const SLOT_IDLE = 1;
export const SLOT_HELD = 2;
export const CLASS_UNUSED = 0;
export const CLASS_ACTIVE = 1;
export const CLASS_RETIRED = 2;
