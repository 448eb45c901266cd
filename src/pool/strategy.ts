/**
 * Links and the two allocation strategies behind one interface.
 *
 * A link joins a producer stage to a consumer stage: it owns a FramePool, a FrameQueue of
 * slot handles, and optionally a preview tap. Stage code uses LinkWriter / LinkReader and
 * never branches on the mode:
 *
 * - pooled: `begin` acquires a slot and `frame.data` IS the slot memory (zero allocations
 *   and zero extra copies per frame after warm-up); `commit` pushes the handle; the reader
 *   gets the same slot view and `done` releases it.
 * - unpooled (the `HEAPU8.slice` pattern): `begin` returns a freshly allocated buffer;
 *   `commit` copies it into a transport slot of the link (a worker blocked in exec can only
 *   receive through memory shared before the run); the reader copies the transport slot
 *   out into another fresh buffer and releases the slot at once. Each side allocates and
 *   copies once per frame, and the garbage collector reclaims the buffers.
 *
 * Every frame-buffer allocation of either mode is counted by Metrics.countAllocation (fresh
 * buffers here via allocateFrameBuffer, slot carvings in FramePool). Frame meta (frame
 * index, pts, per-stage stamps) travels in the slot header in both modes.
 *
 * Ownership: the producer's slot reference moves to the consumer (transferRef) just before
 * the handle is pushed, so a slot waiting in the queue is counted against the consumer by
 * the leak detector; a preview tap takes its own extra reference.
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import { StageCounter, stageHistogram } from '../metrics/metrics-block.ts';
import { STAGE_COUNT, StageId, sharedNow } from '../metrics/stages.ts';
import { FrameArena } from './arena.ts';
import { PoolError } from './errors.ts';
import { assertFrameSize, i420ByteLength } from './frame-format.ts';
import { FramePool, type PoolShared, type SlotHandle } from './frame-pool.ts';
import { FrameQueue, QueueResult, type QueueShared } from './frame-queue.ts';

export type AllocationMode = 'pooled' | 'unpooled';

export interface LinkOptions {
  name: string;
  mode: AllocationMode;
  /** Frames in flight on the link (pool capacity per size class and queue capacity). */
  capacity: number;
  producer: StageId;
  consumer: StageId;
  /** The consumer is the last stage: its done() records frames, stage time and end-to-end latency. */
  sink?: boolean;
  /** Add a latest-frame preview mailbox (read with PreviewReader). */
  preview?: boolean;
  /** Poison released slots (tests/debug). */
  poison?: boolean;
}

/** Structured-cloneable description of a link; pass it to both stage workers. */
export interface LinkShared {
  readonly kind: 'framepool-link';
  readonly name: string;
  readonly mode: AllocationMode;
  readonly producer: StageId;
  readonly consumer: StageId;
  readonly sink: boolean;
  readonly pool: PoolShared;
  readonly queue: QueueShared;
  /** Int32[1]: the preview mailbox (0 = empty, else a handle holding one preview ref). */
  readonly preview: SharedArrayBuffer | null;
}

/** Builds a link's shared state (controller thread). */
export function createLink(arena: FrameArena, options: LinkOptions): LinkShared {
  if (options.producer === options.consumer) throw new RangeError('a link joins two different stages');
  // A preview ref can hold one extra slot beyond the frames in flight.
  const extra = options.preview === true ? 1 : 0;
  const pool = FramePool.create(arena, { capacity: options.capacity + extra, poison: options.poison ?? false });
  const queue = FrameQueue.create(options.capacity + extra);
  return {
    kind: 'framepool-link',
    name: options.name,
    mode: options.mode,
    producer: options.producer,
    consumer: options.consumer,
    sink: options.sink ?? false,
    pool: pool.shared,
    queue: queue.shared,
    preview: options.preview === true ? new SharedArrayBuffer(4) : null,
  };
}

/** Stop the link from any thread: wakes every waiter on both sides with ClosedError. */
export function closeLink(shared: LinkShared): void {
  FrameQueue.attach(shared.queue).close();
  FramePool.attach(shared.pool).close();
}

/** Fail the link from any thread: wakes every waiter on both sides with FailedError(code). */
export function failLink(shared: LinkShared, code: number): void {
  FrameQueue.attach(shared.queue).fail(code);
  FramePool.attach(shared.pool).fail(code);
}

/**
 * The one place the unpooled strategy allocates a frame buffer. Causes GC: never on the
 * pooled path. Counts the allocation (and a pool miss: a buffer request not served by reuse).
 */
export function allocateFrameBuffer(metrics: Metrics, stage: StageId, bytes: number): Uint8Array {
  metrics.countAllocation(stage, bytes);
  metrics.count(stage, StageCounter.poolMisses);
  return new Uint8Array(bytes);
}

/** A frame being produced. Fill `data`, set the meta, then commit (or abort). */
export interface WritableFrame {
  /** Exactly byteLength bytes: the slot (pooled) or a fresh buffer (unpooled). */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly byteLength: number;
  frameIndex: number;
  ptsUs: number;
  /** Per-stage shared-clock stamps (ms, 0 = none), indexed by StageId. commit stamps the producer. */
  readonly stamps: Float64Array;
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
}

const EMPTY = new Uint8Array(0);

/** One reusable frame object; stage code sees it as WritableFrame / ReadableFrame. */
class FrameRecord implements WritableFrame, ReadableFrame {
  data: Uint8Array = EMPTY;
  width = 0;
  height = 0;
  byteLength = 0;
  frameIndex = -1;
  ptsUs = NaN;
  readonly stamps = new Float64Array(STAGE_COUNT);
  /** Slot handle while this side holds one; 0 when none (unpooled fresh buffer). */
  handle: SlotHandle = 0;
  open = false;
  /** commit progress, so a commit that timed out can be retried without redoing steps. */
  handedOver = false;
  startedAt = 0;

  reset(): void {
    this.data = EMPTY;
    this.handle = 0;
    this.open = false;
    this.handedOver = false;
  }
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

/** Producer side of a link. Blocking (for workers inside ffmpeg's exec). */
export interface LinkWriter {
  readonly shared: LinkShared;
  readonly pool: FramePool;
  /** A frame of width×height to fill, or 'timeout' (back-pressure lasted timeoutMs). */
  begin(width: number, height: number, timeoutMs: number): BeginResult;
  /** Hands the frame to the consumer (and the preview). 'timeout' leaves it open: retry or abort. */
  commit(frame: WritableFrame, timeoutMs: number): CommitResult;
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
  readonly pool: FramePool;
  /** Blocking: the next frame, 'end' after the last, or 'timeout'. */
  next(timeoutMs: number): NextResult;
  /** Awaitable twin of next (Atomics.waitAsync). */
  nextAsync(timeoutMs: number): Promise<NextResult>;
  /**
   * Blocking: the next frame's size and index, leaving the frame queued for next() (e.g. an
   * encoder ending its segment before a frame of a new size, without taking that frame).
   * The returned record is reused by the next peek.
   */
  peek(timeoutMs: number): PeekResult;
  /** Finished with a frame from next(): releases it. */
  done(frame: ReadableFrame): void;
  close(): void;
  fail(code: number): void;
}

interface AttachLinkOptions {
  /** Reuse this thread's arena object for the link's pool. */
  arena?: FrameArena;
}

class Writer implements LinkWriter {
  readonly pool: FramePool;
  private readonly queue: FrameQueue;
  private readonly frame = new FrameRecord();
  private readonly pooled: boolean;
  private readonly producer: StageId;
  private readonly consumer: StageId;
  private readonly box: Int32Array | null;

  constructor(
    readonly shared: LinkShared,
    private readonly metrics: Metrics,
    options: AttachLinkOptions,
  ) {
    this.pooled = shared.mode === 'pooled';
    // Unpooled transport slots are plumbing, not frame buffers: no hit/miss counting.
    this.pool = FramePool.attach(shared.pool, metrics, { countReuse: this.pooled, ...options });
    this.queue = FrameQueue.attach(shared.queue);
    this.producer = shared.producer;
    this.consumer = shared.consumer;
    this.box = shared.preview === null ? null : new Int32Array(shared.preview);
  }

  begin(width: number, height: number, timeoutMs: number): BeginResult {
    const f = this.frame;
    if (f.open) throw new PoolError(`link ${this.shared.name}: begin() while a frame is open`);
    if (this.pooled) {
      const h = this.pool.acquire(width, height, this.producer, timeoutMs);
      if (h === null) return 'timeout';
      f.handle = h;
      f.data = this.pool.data(h);
    } else {
      // Fresh buffer per frame, as most code does (HEAPU8.slice). The transport slot is
      // acquired at commit; back-pressure is felt there.
      f.handle = 0;
      assertFrameSize(width, height);
      f.data = allocateFrameBuffer(this.metrics, this.producer, i420ByteLength(width, height));
    }
    f.width = width;
    f.height = height;
    f.byteLength = f.data.byteLength;
    f.frameIndex = -1;
    f.ptsUs = NaN;
    f.stamps.fill(0);
    f.open = true;
    f.handedOver = false;
    f.startedAt = sharedNow();
    return f;
  }

  commit(frame: WritableFrame, timeoutMs: number): CommitResult {
    const f = this.own(frame);
    const pool = this.pool;
    const deadline = performance.now() + timeoutMs;
    if (f.handle === 0) {
      // Unpooled: copy the fresh buffer into a transport slot (counted copy).
      const h = pool.acquire(f.width, f.height, this.producer, timeoutMs);
      if (h === null) return 'timeout';
      pool.data(h).set(f.data);
      this.metrics.countCopy(this.producer, f.byteLength);
      f.handle = h;
    }
    const h = f.handle;
    if (!f.handedOver) {
      const now = sharedNow();
      f.stamps[this.producer] = now;
      // Plain stores, published to the consumer by the queue's head store.
      pool.setFrameIndex(h, f.frameIndex);
      pool.setPtsUs(h, f.ptsUs);
      pool.writeStamps(h, f.stamps);
      if (this.box !== null) this.offerPreview(h);
      // Before the push: once pushed, the consumer may release at any moment.
      pool.transferRef(h, this.producer, this.consumer);
      f.handedOver = true;
    }
    if (!this.queue.tryPush(h)) {
      const t0 = performance.now();
      const ok = this.queue.push(h, Math.max(0, deadline - t0));
      this.metrics.addWait(this.producer, performance.now() - t0, !ok);
      if (!ok) return 'timeout';
    }
    this.metrics.recordLatency(stageHistogram(this.producer), sharedNow() - f.startedAt);
    this.metrics.count(this.producer, StageCounter.frames);
    f.reset(); // unpooled: the fresh buffer is left for the GC
    return 'ok';
  }

  abort(frame: WritableFrame): void {
    const f = this.own(frame);
    if (f.handle !== 0) this.pool.release(f.handle, f.handedOver ? this.consumer : this.producer);
    f.reset();
  }

  /** Latest-frame mailbox: add a preview ref, swap in, drop the frame it replaced. */
  private offerPreview(h: SlotHandle): void {
    this.pool.addRef(h, StageId.preview);
    const old = Atomics.exchange(this.box!, 0, h); // publishing: the preview may take h now
    if (old !== 0) {
      this.pool.release(old, StageId.preview);
      this.pool.countPreviewSkipped();
    }
  }

  end(): void {
    this.queue.end();
  }

  close(): void {
    closeLink(this.shared);
  }

  fail(code: number): void {
    failLink(this.shared, code);
  }

  private own(frame: WritableFrame): FrameRecord {
    if (frame !== this.frame || !this.frame.open) throw new PoolError(`link ${this.shared.name}: frame is not open on this writer`);
    return this.frame;
  }
}

/** Fills reader-side frame records in either mode; shared by LinkReader and PreviewReader. */
class ReadSide {
  readonly pool: FramePool;
  private readonly spare: FrameRecord[] = [];
  /** Hands out slot views (pooled mode, or a view-only reader). */
  private readonly pooled: boolean;
  /** Counts reuse (pool hits) only where the mode really recycles frames. */
  private readonly countsHits: boolean;

  /** `viewOnly`: hand out the slot view even in unpooled mode (the preview tap, see below). */
  constructor(
    shared: LinkShared,
    private readonly metrics: Metrics,
    private readonly stage: StageId,
    options: AttachLinkOptions,
    viewOnly = false,
  ) {
    this.pooled = shared.mode === 'pooled' || viewOnly;
    this.countsHits = shared.mode === 'pooled';
    this.pool = FramePool.attach(shared.pool, metrics, { countReuse: this.countsHits, ...options });
  }

  /** Takes ownership of `h` (one ref of this.stage) and returns a frame for it. */
  receive(h: SlotHandle): FrameRecord {
    const pool = this.pool;
    const f = this.spare.pop() ?? new FrameRecord(); // allocates only while warming up
    f.width = pool.width(h);
    f.height = pool.height(h);
    f.byteLength = pool.byteLength(h);
    f.frameIndex = pool.frameIndex(h);
    f.ptsUs = pool.ptsUs(h);
    pool.readStamps(h, f.stamps);
    if (this.pooled) {
      f.handle = h;
      f.data = pool.data(h);
      if (this.countsHits) this.metrics.count(this.stage, StageCounter.poolHits); // served by a reused slot
    } else {
      const buf = allocateFrameBuffer(this.metrics, this.stage, f.byteLength);
      buf.set(pool.data(h));
      this.metrics.countCopy(this.stage, f.byteLength);
      pool.release(h, this.stage);
      f.handle = 0;
      f.data = buf;
    }
    f.open = true;
    f.startedAt = sharedNow();
    return f;
  }

  finish(frame: ReadableFrame): FrameRecord {
    if (!(frame instanceof FrameRecord) || !frame.open) throw new PoolError('frame already done or not from this reader');
    if (frame.handle !== 0) this.pool.release(frame.handle, this.stage);
    frame.reset();
    this.spare.push(frame);
    return frame;
  }
}

class Reader implements LinkReader {
  readonly pool: FramePool;
  private readonly queue: FrameQueue;
  private readonly side: ReadSide;
  private readonly consumer: StageId;
  private readonly peeked = { width: 0, height: 0, frameIndex: -1 };

  constructor(
    readonly shared: LinkShared,
    private readonly metrics: Metrics,
    options: AttachLinkOptions,
  ) {
    this.consumer = shared.consumer;
    this.side = new ReadSide(shared, metrics, shared.consumer, options);
    this.pool = this.side.pool;
    this.queue = FrameQueue.attach(shared.queue);
  }

  next(timeoutMs: number): NextResult {
    let r = this.queue.tryPop();
    if (r === QueueResult.empty) {
      const t0 = performance.now();
      r = this.queue.pop(timeoutMs);
      this.metrics.addWait(this.consumer, performance.now() - t0, r === QueueResult.timeout);
    }
    return this.result(r);
  }

  async nextAsync(timeoutMs: number): Promise<NextResult> {
    let r = this.queue.tryPop();
    if (r === QueueResult.empty) {
      const t0 = performance.now();
      r = await this.queue.popAsync(timeoutMs);
      this.metrics.addWait(this.consumer, performance.now() - t0, r === QueueResult.timeout);
    }
    return this.result(r);
  }

  peek(timeoutMs: number): PeekResult {
    let r = this.queue.tryPeek();
    if (r === QueueResult.empty) {
      const t0 = performance.now();
      r = this.queue.peek(timeoutMs);
      this.metrics.addWait(this.consumer, performance.now() - t0, r === QueueResult.timeout);
    }
    if (r === QueueResult.end) return 'end';
    if (r === QueueResult.timeout) return 'timeout';
    // The queued handle carries the consumer's ref (transferred before the push): reading its
    // header is safe, and nobody but this consumer can release it.
    const p = this.peeked;
    p.width = this.pool.width(r);
    p.height = this.pool.height(r);
    p.frameIndex = this.pool.frameIndex(r);
    return p;
  }

  private result(r: number): NextResult {
    if (r === QueueResult.end) return 'end';
    if (r === QueueResult.timeout) return 'timeout';
    return this.side.receive(r);
  }

  done(frame: ReadableFrame): void {
    if (this.shared.sink) {
      // Read the record before finish() resets it.
      const t = sharedNow();
      const m = this.metrics;
      const startedAt = frame instanceof FrameRecord ? frame.startedAt : t;
      m.recordLatency(stageHistogram(this.consumer), t - startedAt);
      m.count(this.consumer, StageCounter.frames);
      m.recordEndToEnd(t - earliestStamp(frame.stamps, t), frame.frameIndex, t);
    }
    this.side.finish(frame);
  }

  close(): void {
    closeLink(this.shared);
  }

  fail(code: number): void {
    failLink(this.shared, code);
  }
}

/** Main-thread side of a link's preview tap: take the newest frame, draw it, release it. */
export class PreviewReader {
  private readonly side: ReadSide;
  private readonly box: Int32Array;

  private constructor(
    readonly shared: LinkShared,
    private readonly metrics: Metrics,
    options: AttachLinkOptions,
  ) {
    if (shared.preview === null) throw new PoolError(`link ${shared.name} has no preview tap`);
    this.box = new Int32Array(shared.preview);
    // The preview is the dashboard looking at the pipeline, not a stage being compared: it
    // reads the slot in place in both modes. (Copying each unpooled frame out on the main
    // thread, up to 3 MB at 1080p, made 50–70 ms tasks there.)
    this.side = new ReadSide(shared, metrics, StageId.preview, options, true);
  }

  static attach(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions = {}): PreviewReader {
    return new PreviewReader(shared, metrics, options);
  }

  /** The newest frame not yet taken, or null. Release it with release(). */
  take(): ReadableFrame | null {
    const h = Atomics.exchange(this.box, 0, 0); // acquiring: the handle and its preview ref are ours
    if (h === 0) return null;
    return this.side.receive(h);
  }

  release(frame: ReadableFrame): void {
    const t = sharedNow();
    const startedAt = frame instanceof FrameRecord ? frame.startedAt : t;
    this.metrics.recordLatency(stageHistogram(StageId.preview), t - startedAt);
    this.metrics.count(StageId.preview, StageCounter.frames);
    this.side.finish(frame);
  }

  /** Drops a frame left in the mailbox (teardown). */
  clear(): void {
    const h = Atomics.exchange(this.box, 0, 0);
    if (h !== 0) this.side.pool.release(h, StageId.preview);
  }
}

export const LinkWriter = {
  attach(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions = {}): LinkWriter {
    return new Writer(shared, metrics, options);
  },
};

export const LinkReader = {
  attach(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions = {}): LinkReader {
    return new Reader(shared, metrics, options);
  },
};

function earliestStamp(stamps: Float64Array, fallback: number): number {
  let min = fallback;
  for (let k = 0; k < stamps.length; k++) {
    const s = stamps[k]!;
    if (s > 0 && s < min) min = s;
  }
  return min;
}
