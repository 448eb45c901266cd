/**
 * FrameArena: one shared WebAssembly.Memory that all slot data is carved from.
 *
 * Why a WebAssembly.Memory and not a growable SharedArrayBuffer: WebGL2 and `new VideoFrame`
 * refuse views of growable SABs but accept views of shared wasm memory. Growing is
 * `memory.grow()`; shared memory never moves, so views made before a grow stay valid over
 * the bytes they cover, and a thread only needs a fresh `memory.buffer` to reach bytes
 * past its old length. Threads learn of a grow from the epoch word below.
 *
 * Blocks are 64-byte aligned. Allocation is bump + a sorted, coalescing free list of
 * returned blocks (so memory of retired size classes is reused), under one shared mutex
 * because several threads may carve slots.
 *
 * ## Layout of `ArenaShared.control` (Int32Array / Uint32Array over the same words)
 * ```
 * word  field         writer (all under the lock unless noted)   reader
 * 0     lock          shared-lock.ts                              -
 * 1     growEpoch     grower, Atomics.add AFTER memory.grow       every thread (acquiring load)
 *                     (publishing store)                          before touching new bytes
 * 2     maxPages      create()                                    -
 * 3     freeCount     alloc/free                                  under lock
 * 4     freeCapacity  create()                                    -
 * 5     grows         grower                                      stats (may be stale)
 * 6     lostBlocks    free() when the free list is full           stats
 * 8     bump (u32)    alloc/free: end of the carved region        under lock
 * 9     reserved (u32) bytes in blocks handed out and not freed   stats (may be stale)
 * 10    lostBytes (u32) bytes dropped because the free list was full
 * 11    peakReserved (u32)
 * 16+2i free block i: offset (u32), length (u32); sorted by offset, never adjacent
 * ```
 */
import { ArenaExhaustedError } from './errors.ts';
import { lock, unlock } from './shared-lock.ts';

export const WASM_PAGE = 65536;
export const ARENA_ALIGN = 64;

const W_LOCK = 0;
const W_EPOCH = 1;
const W_MAX_PAGES = 2;
const W_FREE_COUNT = 3;
const W_FREE_CAP = 4;
const W_GROWS = 5;
const W_LOST_BLOCKS = 6;
const U_BUMP = 8;
const U_RESERVED = 9;
const U_LOST_BYTES = 10;
const U_PEAK = 11;
const FREE_BASE = 16;

/** Structured-cloneable; pass to workers and `FrameArena.attach` there. */
export interface ArenaShared {
  readonly kind: 'framepool-arena';
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
}

export interface ArenaOptions {
  /** Bytes committed up front (rounded up to 64 KiB pages). */
  initialBytes: number;
  /** Upper bound for grows (rounded up to pages; at most 65535 pages). */
  maxBytes: number;
  /** Free-list entries (distinct free blocks kept). Default 256. */
  freeListCapacity?: number;
}

export interface ArenaStats {
  /** memory.buffer.byteLength as seen by this thread. */
  committedBytes: number;
  maxBytes: number;
  /** Bytes in blocks handed out and not yet freed. */
  reservedBytes: number;
  peakReservedBytes: number;
  /** End of the bump region: reserved + free blocks below it. */
  bumpBytes: number;
  freeBlocks: number;
  grows: number;
  lostBytes: number;
}

export class FrameArena {
  readonly shared: ArenaShared;
  readonly memory: WebAssembly.Memory;
  private readonly words: Int32Array;
  private readonly uwords: Uint32Array;
  private seenEpoch = -1;
  private u8: Uint8Array = new Uint8Array(0);
  /** Set by the last alloc(): whether it had to grow the memory (read by the pool for metrics). */
  lastAllocGrew = false;

  private constructor(shared: ArenaShared) {
    this.shared = shared;
    this.memory = shared.memory;
    this.words = new Int32Array(shared.control);
    this.uwords = new Uint32Array(shared.control);
    this.refresh();
  }

  static create(options: ArenaOptions): FrameArena {
    const initial = Math.max(1, Math.ceil(options.initialBytes / WASM_PAGE));
    const maximum = Math.min(65535, Math.max(initial, Math.ceil(options.maxBytes / WASM_PAGE)));
    const freeCap = options.freeListCapacity ?? 256;
    const memory = new WebAssembly.Memory({ initial, maximum, shared: true });
    const control = new SharedArrayBuffer((FREE_BASE + 2 * freeCap) * 4);
    const w = new Int32Array(control);
    w[W_MAX_PAGES] = maximum;
    w[W_FREE_CAP] = freeCap;
    return new FrameArena({ kind: 'framepool-arena', memory, control });
  }

  static attach(shared: ArenaShared): FrameArena {
    return new FrameArena(shared);
  }

  /** Current grow epoch (acquiring load). Changes after every grow by any thread. */
  epoch(): number {
    return Atomics.load(this.words, W_EPOCH);
  }

  /**
   * Re-reads memory.buffer if any thread grew the memory since this thread last looked.
   * Returns true when the view changed. Allocation-free when nothing grew.
   */
  refresh(): boolean {
    const e = Atomics.load(this.words, W_EPOCH); // acquiring load: pairs with the grower's add
    if (e === this.seenEpoch && this.u8.byteLength > 0) return false;
    this.seenEpoch = e;
    this.u8 = new Uint8Array(this.memory.buffer);
    return true;
  }

  /** A view of all committed bytes (refreshed after grows). */
  bytes(): Uint8Array {
    this.refresh();
    return this.u8;
  }

  /** A new view of [offset, offset+length). Allocates a view object: cache it. */
  view(offset: number, length: number): Uint8Array {
    if (offset + length > this.u8.byteLength) this.refresh();
    return new Uint8Array(this.u8.buffer, offset, length);
  }

  /** Carves a 64-byte aligned block; grows the memory if needed. Throws ArenaExhaustedError. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(1, bytes));
    const w = this.words;
    const u = this.uwords;
    this.lastAllocGrew = false;
    lock(w, W_LOCK);
    try {
      // First fit in the free list (blocks returned by retired size classes).
      const n = w[W_FREE_COUNT]!;
      for (let i = 0; i < n; i++) {
        const at = FREE_BASE + 2 * i;
        const len = u[at + 1]!;
        if (len >= size) {
          const off = u[at]!;
          if (len === size) this.removeFree(i);
          else {
            u[at] = off + size;
            u[at + 1] = len - size;
          }
          this.addReserved(size);
          return off;
        }
      }
      const off = u[U_BUMP]!;
      const end = off + size;
      const committed = this.memory.buffer.byteLength;
      if (end > committed) {
        const maxPages = w[W_MAX_PAGES]!;
        const curPages = committed / WASM_PAGE;
        const needPages = Math.ceil((end - committed) / WASM_PAGE);
        // Grow by at least a quarter so a ramp-up does not grow once per slot.
        const delta = Math.min(maxPages - curPages, Math.max(needPages, Math.ceil(curPages / 4)));
        if (delta < needPages) {
          throw new ArenaExhaustedError(`arena cannot hold ${size} more bytes (max ${maxPages * WASM_PAGE})`);
        }
        this.memory.grow(delta);
        w[W_GROWS]!++;
        Atomics.add(w, W_EPOCH, 1); // publishing store: the new pages exist
        this.lastAllocGrew = true;
        this.refresh();
      }
      u[U_BUMP] = end;
      this.addReserved(size);
      return off;
    } finally {
      unlock(w, W_LOCK);
    }
  }

  /** Returns a block carved by alloc(offset, bytes). */
  free(offset: number, bytes: number): void {
    const size = alignUp(Math.max(1, bytes));
    const w = this.words;
    const u = this.uwords;
    lock(w, W_LOCK);
    try {
      u[U_RESERVED] = u[U_RESERVED]! - size;
      let start = offset;
      let end = offset + size;
      const n = w[W_FREE_COUNT]!;
      // Find insertion point (sorted by offset), merging with neighbours.
      let i = 0;
      while (i < n && u[FREE_BASE + 2 * i]! < start) i++;
      let mergePrev = false;
      if (i > 0) {
        const p = FREE_BASE + 2 * (i - 1);
        if (u[p]! + u[p + 1]! === start) {
          start = u[p]!;
          mergePrev = true;
        }
      }
      if (i < n) {
        const q = FREE_BASE + 2 * i;
        if (u[q]! === end) {
          end = u[q]! + u[q + 1]!;
          this.removeFree(i);
        }
      }
      if (mergePrev) {
        this.removeFree(i - 1);
        i--;
      }
      if (end === u[U_BUMP]!) {
        u[U_BUMP] = start; // the block was the top of the bump region: just lower it
        return;
      }
      const count = w[W_FREE_COUNT]!;
      if (count >= w[W_FREE_CAP]!) {
        w[W_LOST_BLOCKS]!++;
        u[U_LOST_BYTES] = u[U_LOST_BYTES]! + (end - start);
        return;
      }
      for (let j = count; j > i; j--) {
        u[FREE_BASE + 2 * j] = u[FREE_BASE + 2 * (j - 1)]!;
        u[FREE_BASE + 2 * j + 1] = u[FREE_BASE + 2 * (j - 1) + 1]!;
      }
      u[FREE_BASE + 2 * i] = start;
      u[FREE_BASE + 2 * i + 1] = end - start;
      w[W_FREE_COUNT] = count + 1;
    } finally {
      unlock(w, W_LOCK);
    }
  }

  /** Plain-read statistics (may be a few updates stale). */
  stats(): ArenaStats {
    return {
      committedBytes: this.memory.buffer.byteLength,
      maxBytes: (this.words[W_MAX_PAGES] ?? 0) * WASM_PAGE,
      reservedBytes: this.uwords[U_RESERVED] ?? 0,
      peakReservedBytes: this.uwords[U_PEAK] ?? 0,
      bumpBytes: this.uwords[U_BUMP] ?? 0,
      freeBlocks: this.words[W_FREE_COUNT] ?? 0,
      grows: this.words[W_GROWS] ?? 0,
      lostBytes: this.uwords[U_LOST_BYTES] ?? 0,
    };
  }

  private addReserved(size: number): void {
    const u = this.uwords;
    const r = u[U_RESERVED]! + size;
    u[U_RESERVED] = r;
    if (r > u[U_PEAK]!) u[U_PEAK] = r;
  }

  private removeFree(i: number): void {
    const u = this.uwords;
    const n = this.words[W_FREE_COUNT]!;
    for (let j = i; j < n - 1; j++) {
      u[FREE_BASE + 2 * j] = u[FREE_BASE + 2 * (j + 1)]!;
      u[FREE_BASE + 2 * j + 1] = u[FREE_BASE + 2 * (j + 1) + 1]!;
    }
    this.words[W_FREE_COUNT] = n - 1;
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;
}
