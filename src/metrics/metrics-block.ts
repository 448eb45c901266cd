/**
 * The shared metrics block: per-stage counters, latency histograms and a ring of recent
 * per-frame latencies, in two SharedArrayBuffers. Recording allocates nothing.
 *
 * ## Layout of `MetricsShared.ints` (Int32Array)
 * ```
 * word                       field            writer                      meaning
 * 0                          magic            create()                    METRICS_MAGIC
 * 1                          stageCount       create()                    STAGE_COUNT
 * 2                          buckets          create()                    HIST_BUCKETS
 * 3                          recentCapacity   create()                    entries in the recent ring
 * 4                          recentCursor     sink stage (publishing)     e2e samples ever written
 * 5..7                       reserved
 * 8 + s·8 + f                stage row s      stage s's thread (Atomics.add)
 *    f=0 frames            frames the stage finished (producer: committed; sink: done; preview: taken)
 *    f=1 allocations       frame buffers allocated (unpooled: one per frame per side;
 *                          pooled: slot carvings only, i.e. the warm-up before frame 0)
 *    f=2 poolHits          frame buffer acquisitions served by a slot that held an earlier frame
 *    f=3 poolMisses        acquisitions that were not (pooled: a slot's first frame;
 *                          unpooled: every frame, as each gets a fresh buffer)
 *    f=4 poolGrows         arena grows (memory.grow) this stage triggered
 *    f=5 waits             times the stage blocked (acquire, push or pop had to wait)
 *    f=6 timeouts          waits that ended in a timeout
 *    f=7 reserved
 * HIST_BASE + h·HIST_STRIDE  histogram h      any thread (Atomics.add)
 *    h=0 end-to-end latency: sink done() time − the frame's earliest stamp
 *    h=1+s stage s time: producer begin()→commit(), sink next()→done(), preview take()→release()
 *    h=1+STAGE_COUNT out: a frame's earliest stamp → its first encoded bytes out of the encoder
 *                        (frames after the lead-in only; recordOut)
 *    +0 .. +HIST_BUCKETS-1   bucket counts (see histogram.ts)
 *    +HIST_BUCKETS           max sample in whole µs (CAS-updated; saturates at 2^31-1)
 * GLUE_BASE + s·4 + g        codec-glue row s  stage s's thread (Atomics.store of its tally)
 *    g=0 inputReads        WORKERFS reads (each slices the File and makes a new ArrayBuffer)
 *    g=1 logLines          lines of ffmpeg output (into the log ring: no string made)
 *    g=2 viewsMade         views the frame devices had to make (a range not in their cache)
 *    g=3 reserved
 * ```
 * GLUE_BASE = HIST_BASE + HIST_COUNT·HIST_STRIDE (after the histograms; earlier words keep
 * their places).
 * LEAD_IN_BASE ..            lead-in copy     the sink that counts frame LEAD_IN_FRAMES, once
 *    the stage rows then the glue rows, as they stood when the sink finished its
 *    LEAD_IN_FRAMES-th frame; word 5 (leadInTaken) is stored 1 after the copy.
 * ## Layout of `MetricsShared.floats` (Float64Array)
 * ```
 * 0 + s·4 + f                stage row s      stage s's thread ONLY (plain stores)
 *    f=0 bytesAllocated    bytes of the allocations above
 *    f=1 bytesCopied       bytes memcpy'd by the strategy (unpooled: in and out of the transport)
 *    f=2 busyMs            time the stage reported as working (addBusy)
 *    f=3 waitMs            time spent blocked in acquire/push/pop
 * RECENT_BASE + i·3          recent ring entry i = cursor % recentCapacity, sink stage only
 *    +0 t (shared clock ms)   +1 latency ms   +2 frame index
 * GLUE_F_BASE + s·2 + g      codec-glue row s, stage s's thread ONLY (plain stores)
 *    g=0 inputReadBytes    bytes WORKERFS read (each read's ArrayBuffer, outside the V8 heap)
 *    g=1 logBytes          bytes of ffmpeg output
 * ```
 * GLUE_F_BASE = RECENT_BASE + recentCapacity·3 (after the ring).
 * GLUE_F_BASE + STAGE_COUNT·3  lead-in copy of the stage rows then the glue rows (see ints).
 * Staleness: readers (the main-thread sampler) use plain loads and may see a value a few
 * updates old. The Float64 fields have one writer each (the thread running that stage), so
 * they never lose updates; the spec allows a racing 64-bit read to tear, which aligned
 * 8-byte moves on 64-bit hosts do not do in practice. A recent-ring entry may be half
 * rewritten when the reader is a whole ring behind the cursor.
 */
import { HIST_BUCKETS, bucketOf } from './histogram.ts';
import { STAGE_COUNT, type StageId } from './stages.ts';

export const METRICS_MAGIC = 0x4d455431; // "MET1"

const W_MAGIC = 0;
const W_STAGES = 1;
const W_BUCKETS = 2;
const W_RECENT_CAP = 3;
const W_RECENT_CURSOR = 4;
const W_LEAD_IN_TAKEN = 5;

const STAGE_INT_BASE = 8;
const STAGE_INT_STRIDE = 8;
export const StageCounter = {
  frames: 0,
  allocations: 1,
  poolHits: 2,
  poolMisses: 3,
  poolGrows: 4,
  waits: 5,
  timeouts: 6,
} as const;
export type StageCounter = (typeof StageCounter)[keyof typeof StageCounter];

const STAGE_FLOAT_STRIDE = 4;
export const StageGauge = {
  bytesAllocated: 0,
  bytesCopied: 1,
  busyMs: 2,
  waitMs: 3,
} as const;
export type StageGauge = (typeof StageGauge)[keyof typeof StageGauge];

/** Histogram ids: 0 is end-to-end, 1 + stage is that stage's per-frame time, then frame → bytes out. */
export const HIST_E2E = 0;
export const HIST_OUT = 1 + STAGE_COUNT;
export const HIST_COUNT = 2 + STAGE_COUNT;
/** The first frames of every run, left out of the figures that judge a steady run (codec JIT, first encoder start). */
export const LEAD_IN_FRAMES = 30;
export const HIST_STRIDE = HIST_BUCKETS + 2;
const HIST_BASE = STAGE_INT_BASE + STAGE_COUNT * STAGE_INT_STRIDE;

/**
 * What the codec glue does per frame that makes garbage (or would): counted where it happens
 * (src/codec) and published by each stage, so the page can show what the stages do not own.
 */
export const GlueCounter = {
  inputReads: 0,
  logLines: 1,
  viewsMade: 2,
} as const;
export type GlueCounter = (typeof GlueCounter)[keyof typeof GlueCounter];
export const GlueGauge = {
  inputReadBytes: 0,
  logBytes: 1,
  /** Frame bytes the codec glue copied in or out of the codec (not the mode's copies: those are StageGauge.bytesCopied). */
  codecCopyBytes: 2,
} as const;
export type GlueGauge = (typeof GlueGauge)[keyof typeof GlueGauge];
const GLUE_BASE = HIST_BASE + HIST_COUNT * HIST_STRIDE;
const GLUE_STRIDE = 4;
const GLUE_F_STRIDE = 3;
const GLUE_END = GLUE_BASE + STAGE_COUNT * GLUE_STRIDE;
const STAGE_ROWS = STAGE_COUNT * STAGE_INT_STRIDE;
const GLUE_ROWS = STAGE_COUNT * GLUE_STRIDE;
const LEAD_IN_BASE = GLUE_END;
const INT_WORDS = LEAD_IN_BASE + STAGE_ROWS + GLUE_ROWS;

const RECENT_BASE = STAGE_COUNT * STAGE_FLOAT_STRIDE;
const RECENT_STRIDE = 3;
const GLUE_F_ROWS = STAGE_COUNT * GLUE_F_STRIDE;

/** A thread's running glue counts (see `glueTally` in src/codec/core.ts). */
export interface GlueTally {
  readonly inputReads: number;
  readonly inputReadBytes: number;
  readonly logLines: number;
  readonly logBytes: number;
  readonly viewsMade: number;
}

export function stageHistogram(stage: StageId): number {
  return 1 + stage;
}

/** The counter readers, live (`Metrics`) or as they stood at the end of the lead-in (`Metrics.atLeadIn`). */
export interface CounterReader {
  counter(stage: StageId, counter: StageCounter): number;
  gauge(stage: StageId, gauge: StageGauge): number;
  glue(stage: StageId, counter: GlueCounter): number;
  glueGauge(stage: StageId, gauge: GlueGauge): number;
}

/** Structured-cloneable; created once by the controller, attached in every worker. */
export interface MetricsShared {
  readonly kind: 'framepool-metrics';
  readonly ints: SharedArrayBuffer;
  readonly floats: SharedArrayBuffer;
}

export class Metrics implements CounterReader {
  readonly shared: MetricsShared;
  /** Raw views, for samplers and tests; writers use the methods. */
  readonly ints: Int32Array;
  readonly floats: Float64Array;
  readonly recentCapacity: number;
  private readonly glueFloatBase: number;

  private constructor(shared: MetricsShared) {
    this.shared = shared;
    this.ints = new Int32Array(shared.ints);
    this.floats = new Float64Array(shared.floats);
    if (this.ints[W_MAGIC] !== METRICS_MAGIC || this.ints[W_STAGES] !== STAGE_COUNT || this.ints[W_BUCKETS] !== HIST_BUCKETS) {
      throw new Error('metrics block layout mismatch');
    }
    this.recentCapacity = this.ints[W_RECENT_CAP] ?? 0;
    this.glueFloatBase = RECENT_BASE + this.recentCapacity * RECENT_STRIDE;
  }

  /** Allocates the shared block (call once, on the controller's thread). */
  static create(options: { recentCapacity?: number } = {}): Metrics {
    const recentCapacity = options.recentCapacity ?? 2048;
    const ints = new SharedArrayBuffer(INT_WORDS * 4);
    const floats = new SharedArrayBuffer((RECENT_BASE + recentCapacity * RECENT_STRIDE + GLUE_F_ROWS + RECENT_BASE + GLUE_F_ROWS) * 8);
    const i32 = new Int32Array(ints);
    i32[W_MAGIC] = METRICS_MAGIC;
    i32[W_STAGES] = STAGE_COUNT;
    i32[W_BUCKETS] = HIST_BUCKETS;
    i32[W_RECENT_CAP] = recentCapacity;
    return new Metrics({ kind: 'framepool-metrics', ints, floats });
  }

  static attach(shared: MetricsShared): Metrics {
    return new Metrics(shared);
  }

  // ---- writers (allocation-free) ----

  /**
   * THE allocation counter: every frame-buffer allocation in either strategy (fresh
   * buffers, slot carvings) is reported here, by the stage whose thread allocates.
   */
  countAllocation(stage: StageId, bytes: number): void {
    Atomics.add(this.ints, STAGE_INT_BASE + stage * STAGE_INT_STRIDE + StageCounter.allocations, 1);
    this.floats[stage * STAGE_FLOAT_STRIDE + StageGauge.bytesAllocated]! += bytes;
  }

  /** Bytes copied by the strategy on behalf of a stage. */
  countCopy(stage: StageId, bytes: number): void {
    this.floats[stage * STAGE_FLOAT_STRIDE + StageGauge.bytesCopied]! += bytes;
  }

  count(stage: StageId, counter: StageCounter, n = 1): void {
    Atomics.add(this.ints, STAGE_INT_BASE + stage * STAGE_INT_STRIDE + counter, n);
  }

  /**
   * Counts one frame finished by a sink stage. The call that finishes frame LEAD_IN_FRAMES
   * copies every stage's counters, once, so "after the lead-in" figures subtract a reading
   * taken at that frame, not at whichever sample first saw it (a short fast run can end
   * between two samples). Allocation-free: a loop of loads and stores, once a run.
   */
  countSinkFrame(stage: StageId): void {
    const before = Atomics.add(this.ints, STAGE_INT_BASE + stage * STAGE_INT_STRIDE + StageCounter.frames, 1);
    if (before + 1 !== LEAD_IN_FRAMES) return;
    const ints = this.ints;
    for (let i = 0; i < STAGE_ROWS; i++) ints[LEAD_IN_BASE + i] = Atomics.load(ints, STAGE_INT_BASE + i);
    for (let i = 0; i < GLUE_ROWS; i++) ints[LEAD_IN_BASE + STAGE_ROWS + i] = Atomics.load(ints, GLUE_BASE + i);
    const floats = this.floats;
    const fBase = this.glueFloatBase + GLUE_F_ROWS;
    for (let i = 0; i < RECENT_BASE; i++) floats[fBase + i] = floats[i]!;
    for (let i = 0; i < GLUE_F_ROWS; i++) floats[fBase + RECENT_BASE + i] = floats[this.glueFloatBase + i]!;
    Atomics.store(ints, W_LEAD_IN_TAKEN, 1); // publishing store: the copy above is visible to whoever loads 1
  }

  /** The counters as they stood when a sink finished frame LEAD_IN_FRAMES; null before that. */
  atLeadIn(): CounterReader | null {
    if (Atomics.load(this.ints, W_LEAD_IN_TAKEN) !== 1) return null;
    const ints = this.ints;
    const floats = this.floats;
    const fBase = this.glueFloatBase + GLUE_F_ROWS;
    return {
      counter: (stage, c) => ints[LEAD_IN_BASE + stage * STAGE_INT_STRIDE + c]!,
      gauge: (stage, g) => floats[fBase + stage * STAGE_FLOAT_STRIDE + g]!,
      glue: (stage, c) => ints[LEAD_IN_BASE + STAGE_ROWS + stage * GLUE_STRIDE + c]!,
      glueGauge: (stage, g) => floats[fBase + RECENT_BASE + stage * GLUE_F_STRIDE + g]!,
    };
  }

  addBusy(stage: StageId, ms: number): void {
    this.floats[stage * STAGE_FLOAT_STRIDE + StageGauge.busyMs]! += ms;
  }

  /** Records one blocking wait of `ms` (and whether it timed out). */
  addWait(stage: StageId, ms: number, timedOut: boolean): void {
    this.floats[stage * STAGE_FLOAT_STRIDE + StageGauge.waitMs]! += ms;
    const row = STAGE_INT_BASE + stage * STAGE_INT_STRIDE;
    Atomics.add(this.ints, row + StageCounter.waits, 1);
    if (timedOut) Atomics.add(this.ints, row + StageCounter.timeouts, 1);
  }

  /** Adds one sample (ms) to histogram `h` (HIST_E2E or stageHistogram(stage)). */
  recordLatency(h: number, ms: number): void {
    const base = HIST_BASE + h * HIST_STRIDE;
    Atomics.add(this.ints, base + bucketOf(ms), 1);
    const us = ms >= 2147483.647 ? 0x7fffffff : Math.max(0, Math.round(ms * 1000));
    const maxIdx = base + HIST_BUCKETS;
    // CAS loop so concurrent writers never lose a larger maximum.
    for (;;) {
      const cur = Atomics.load(this.ints, maxIdx);
      if (us <= cur) break;
      if (Atomics.compareExchange(this.ints, maxIdx, cur, us) === cur) break;
    }
  }

  /**
   * Records one end-to-end sample: histogram plus the recent ring for scatter charts.
   * Single writer (the sink stage): the entry is written first, then the cursor is
   * published with Atomics.store so a reader that loads the cursor sees the entry.
   */
  recordEndToEnd(ms: number, frameIndex: number, atMs: number): void {
    this.recordLatency(HIST_E2E, ms);
    const cap = this.recentCapacity;
    if (cap === 0) return;
    const cursor = Atomics.load(this.ints, W_RECENT_CURSOR);
    const at = RECENT_BASE + (cursor % cap) * RECENT_STRIDE;
    this.floats[at] = atMs;
    this.floats[at + 1] = ms;
    this.floats[at + 2] = frameIndex;
    Atomics.store(this.ints, W_RECENT_CURSOR, cursor + 1); // publishing store
  }

  /**
   * Records one frame's time from its earliest stamp (released by the source) to its first
   * encoded bytes out of the encoder; frames of the lead-in are left out. Encode stage only.
   */
  recordOut(ms: number, frameIndex: number): void {
    if (frameIndex >= LEAD_IN_FRAMES) this.recordLatency(HIST_OUT, ms);
  }

  /**
   * Publishes this thread's glue tally as stage `stage`'s glue row (the tally only grows; the
   * stage calls this per frame). Allocation-free: plain reads of the tally, shared stores.
   */
  publishGlue(stage: StageId, tally: GlueTally): void {
    const row = GLUE_BASE + stage * GLUE_STRIDE;
    Atomics.store(this.ints, row + GlueCounter.inputReads, tally.inputReads);
    Atomics.store(this.ints, row + GlueCounter.logLines, tally.logLines);
    Atomics.store(this.ints, row + GlueCounter.viewsMade, tally.viewsMade);
    const f = this.glueFloatBase + stage * GLUE_F_STRIDE;
    this.floats[f + GlueGauge.inputReadBytes] = tally.inputReadBytes;
    this.floats[f + GlueGauge.logBytes] = tally.logBytes;
  }

  /** Adds frame bytes the codec glue copied (one writer per stage). Allocation-free. */
  addCodecCopy(stage: StageId, bytes: number): void {
    const at = this.glueFloatBase + stage * GLUE_F_STRIDE + GlueGauge.codecCopyBytes;
    this.floats[at] = this.floats[at]! + bytes;
  }

  // ---- readers ----

  /** Stage `stage`'s glue counter (what its codec glue did, as of its last publish). */
  glue(stage: StageId, counter: GlueCounter): number {
    return Atomics.load(this.ints, GLUE_BASE + stage * GLUE_STRIDE + counter);
  }

  glueGauge(stage: StageId, gauge: GlueGauge): number {
    return this.floats[this.glueFloatBase + stage * GLUE_F_STRIDE + gauge] ?? 0;
  }

  counter(stage: StageId, counter: StageCounter): number {
    return Atomics.load(this.ints, STAGE_INT_BASE + stage * STAGE_INT_STRIDE + counter);
  }

  gauge(stage: StageId, gauge: StageGauge): number {
    return this.floats[stage * STAGE_FLOAT_STRIDE + gauge] ?? 0;
  }

  /** Word offset of histogram h's bucket 0 inside `ints`. */
  histogramOffset(h: number): number {
    return HIST_BASE + h * HIST_STRIDE;
  }

  /** Largest sample ever recorded in histogram h, in ms (µs resolution). */
  histogramMaxMs(h: number): number {
    return Atomics.load(this.ints, HIST_BASE + h * HIST_STRIDE + HIST_BUCKETS) / 1000;
  }

  /** Number of end-to-end samples ever written to the recent ring (acquiring load). */
  recentCursor(): number {
    return Atomics.load(this.ints, W_RECENT_CURSOR);
  }

  /**
   * Copies recent-ring entries [from, cursor) into the outputs (oldest first, at most the
   * ring capacity and the outputs' length) and returns the cursor to pass next time.
   */
  readRecent(from: number, outT: Float64Array, outMs: Float64Array, outFrame: Float64Array): { next: number; count: number } {
    const cursor = this.recentCursor(); // acquiring load: entries below it are written
    const cap = this.recentCapacity;
    const limit = Math.min(cap, outT.length, outMs.length, outFrame.length);
    const start = Math.max(from, cursor - limit);
    let n = 0;
    for (let i = start; i < cursor; i++, n++) {
      const at = RECENT_BASE + (i % cap) * RECENT_STRIDE;
      outT[n] = this.floats[at] ?? NaN;
      outMs[n] = this.floats[at + 1] ?? NaN;
      outFrame[n] = this.floats[at + 2] ?? NaN;
    }
    return { next: cursor, count: n };
  }
}
