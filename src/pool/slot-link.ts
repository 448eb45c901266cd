/**
 * A link through shared memory: a FramePool of slots and a FrameQueue of slot handles. The
 * only way into a worker blocked in ffmpeg's exec (it cannot receive messages), and the
 * pooled mode's way everywhere. Two choices make the modes (src/pool/modes/):
 *
 * - copyIn: the producer fills a fresh buffer and commit copies it into a slot (the frame
 *   crosses memory shared before the run); otherwise the producer writes into the slot itself.
 * - copyOut: the consumer copies the slot into a fresh buffer and releases it at once;
 *   otherwise it reads the slot in place and done() releases it.
 *
 * Frame meta (frame index, pts, per-stage stamps) travels in the slot header. Ownership: the
 * producer's slot reference moves to the consumer (transferRef) just before the handle is
 * pushed, so a queued slot is counted against the consumer by the leak detector; a preview
 * tap takes its own extra reference.
 *
 * Passing along (beginPass, the scaler's identity rung): pooled, the frame's slot of the
 * upstream link itself goes on, its handle marked PASSED (link-pools.ts); the consumer reads
 * it in place and releases it there. Such a slot counts against the upstream link's capacity
 * until the consumer (or the preview) lets it go. With copyIn, the frame's own buffer is the
 * one that commit copies into a slot: no buffer of its own here.
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import { StageCounter, stageHistogram } from '../metrics/metrics-block.ts';
import { StageId, clock, readClock } from '../metrics/stages.ts';
import { PoolError } from './errors.ts';
import { assertFrameSize, i420ByteLength } from './frame-format.ts';
import type { FramePool, SlotHandle } from './frame-pool.ts';
import { FrameQueue, QueueResult } from './frame-queue.ts';
import {
  allocateFrameBuffer, earliestStamp, FrameRecord,
  type AttachLinkOptions, type BeginResult, type CommitResult, type LinkReader, type LinkShared, type NextResult, type PeekResult,
  type ReadableFrame, type SlotLinkReader, type SlotLinkWriter, type WritableFrame,
} from './frame-record.ts';
import { LinkPools, PASSED } from './link-pools.ts';
import { lastWaitMs } from './wait.ts';

export class SlotWriter implements SlotLinkWriter {
  readonly pool: FramePool;
  private readonly pools: LinkPools;
  private readonly queue: FrameQueue;
  private readonly frame = new FrameRecord();
  private readonly producer: StageId;
  private readonly consumer: StageId;
  private readonly box: Int32Array | null;
  /** A beginAsync is awaiting room: a second begin would race it for the one record. */
  private beginning = false;

  constructor(
    readonly shared: LinkShared,
    private readonly metrics: Metrics,
    private readonly copyIn: boolean,
    options: AttachLinkOptions,
  ) {
    // Slots used only to carry a copy are plumbing, not frame buffers: no hit/miss counting.
    this.pools = new LinkPools(shared, metrics, { countReuse: !copyIn, ...options });
    this.pool = this.pools.own;
    this.queue = FrameQueue.attach(shared.queue);
    this.producer = shared.producer;
    this.consumer = shared.consumer;
    this.box = shared.preview === null ? null : new Int32Array(shared.preview);
  }

  begin(width: number, height: number, timeoutMs: number): BeginResult {
    this.checkNoneOpen();
    if (this.copyIn) {
      // A fresh buffer per frame (the HEAPU8.slice pattern); the slot is acquired at commit,
      // where back-pressure is felt.
      assertFrameSize(width, height);
      return this.open(width, height, 0, 0, null, false);
    }
    const h = this.pool.acquire(width, height, this.producer, timeoutMs);
    return h === null ? 'timeout' : this.open(width, height, h, 0, null, true);
  }

  async beginAsync(width: number, height: number, timeoutMs: number): Promise<BeginResult> {
    this.checkNoneOpen();
    this.beginning = true;
    let h: SlotHandle | null;
    try {
      // In every mode the slot is taken here, so commit never waits for one.
      h = await this.pool.acquireAsync(width, height, this.producer, timeoutMs);
    } finally {
      this.beginning = false;
    }
    if (h === null) return 'timeout';
    // copyIn: the frame starts once its fresh buffer is made (open reads the clock then).
    return this.copyIn ? this.open(width, height, 0, h, null, false) : this.open(width, height, h, 0, null, true);
  }

  beginPass(input: ReadableFrame, from: LinkReader): WritableFrame {
    this.checkNoneOpen();
    // copyIn: the input's own buffer is the fresh buffer commit copies into a slot.
    if (this.copyIn) return this.open(input.width, input.height, 0, 0, input.data, false);
    const upstream = this.shared.upstream;
    if (upstream === null || from.shared.name !== upstream.name || !(input instanceof FrameRecord) || !input.open
      || input.handle === 0 || (input.handle & PASSED) !== 0) {
      throw new PoolError(`link ${this.shared.name}: only a frame read in place from its upstream link can pass along in its slot`);
    }
    // The producer's reference to the upstream slot becomes this frame's: from.done(input)
    // then only recycles the record.
    const h = input.handle | PASSED;
    input.handle = 0;
    return this.open(input.width, input.height, h, 0, input.data, false);
  }

  private checkNoneOpen(): void {
    if (this.frame.open || this.beginning) throw new PoolError(`link ${this.shared.name}: begin() while a frame is open`);
  }

  /**
   * The record set up for a new frame: in slot `handle`, or a fresh buffer with `room` reserved
   * for its copy; over `data` when a frame passes along. It starts when its slot was acquired
   * (`acquired`: the acquire's reading, no clock read of its own), else once the record is set
   * up (after a fresh buffer's allocation, as the frame's work starts).
   */
  private open(width: number, height: number, handle: SlotHandle, room: SlotHandle, data: Uint8Array | null, acquired: boolean): WritableFrame {
    const f = this.frame;
    f.handle = handle;
    f.room = room;
    f.data = data ?? (handle !== 0 ? this.pool.data(handle) : allocateFrameBuffer(this.metrics, this.producer, i420ByteLength(width, height)));
    f.width = width;
    f.height = height;
    f.byteLength = f.data.byteLength;
    f.frameIndex = -1;
    f.ptsUs = NaN;
    f.stamps.fill(0);
    f.open = true;
    f.handedOver = false;
    if (acquired) {
      f.startedAt = this.pool.acquiredAt;
    } else {
      readClock();
      f.startedAt = clock[0]!;
    }
    return f;
  }

  commit(frame: WritableFrame, timeoutMs: number, ready = false): CommitResult {
    const f = this.own(frame);
    const pool = this.pool;
    let pushTimeoutMs = timeoutMs;
    if (f.handle === 0) {
      // copyIn: the fresh buffer crosses into a slot (a counted copy), taken by beginAsync or here.
      const t0 = performance.now();
      const h = f.room !== 0 ? f.room : pool.acquire(f.width, f.height, this.producer, timeoutMs);
      if (h === null) return 'timeout';
      f.room = 0;
      pool.data(h).set(f.data);
      this.metrics.countCopy(this.producer, f.byteLength);
      f.handle = h;
      pushTimeoutMs = Math.max(0, timeoutMs - (performance.now() - t0));
      ready = false; // the frame leaves after its copy, not when the caller read the clock
    }
    const h = f.handle;
    let now = 0;
    if (!f.handedOver) {
      // One reading (the caller's when `ready`) for the stamp, the new holders' since (addRef and
      // transferRef stamp with clock[0]) and, if the push does not wait, the stage time's end.
      if (!ready) readClock();
      now = clock[0]!;
      f.stamps[this.producer] = now;
      // Plain stores, published to the consumer by the queue's head store.
      this.pools.writeMeta(h, f);
      if (this.box !== null) this.offerPreview(h);
      // Before the push: once pushed, the consumer may release at any moment.
      this.pools.transferRef(h, this.producer, this.consumer);
      f.handedOver = true;
    }
    if (!this.queue.tryPush(h)) {
      const ok = this.queue.push(h, pushTimeoutMs);
      this.metrics.addWait(this.producer, lastWaitMs(), !ok);
      if (!ok) return 'timeout';
      now = 0; // waited: the frame left later than its stamp
    }
    if (now === 0) {
      readClock();
      now = clock[0]!;
    }
    this.metrics.recordLatency(stageHistogram(this.producer), now - f.startedAt);
    this.metrics.count(this.producer, StageCounter.frames);
    f.reset(); // copyIn: the fresh buffer is left for the GC
    return 'ok';
  }

  abort(frame: WritableFrame): void {
    const f = this.own(frame);
    if (f.handle !== 0) this.pools.release(f.handle, f.handedOver ? this.consumer : this.producer);
    if (f.room !== 0) this.pool.release(f.room, this.producer);
    f.reset();
  }

  /** Latest-frame mailbox: add a preview ref (held from clock[0]), swap in, drop the frame it replaced. */
  private offerPreview(h: SlotHandle): void {
    this.pools.addRef(h, StageId.preview);
    const old = Atomics.exchange(this.box!, 0, h); // publishing: the preview may take h now
    if (old !== 0) {
      this.pools.release(old, StageId.preview);
      this.pool.countPreviewSkipped();
    }
  }

  end(): void {
    this.queue.end();
  }

  close(): void {
    this.queue.close();
    this.pool.close();
  }

  fail(code: number): void {
    this.queue.fail(code);
    this.pool.fail(code);
  }

  private own(frame: WritableFrame): FrameRecord {
    if (frame !== this.frame || !this.frame.open) throw new PoolError(`link ${this.shared.name}: frame is not open on this writer`);
    return this.frame;
  }
}

/** Fills reader-side frame records from slots; shared by SlotReader and the preview tap. */
export class ReadSide {
  readonly pool: FramePool;
  readonly pools: LinkPools;
  private readonly spare: FrameRecord[] = [];

  constructor(
    shared: LinkShared,
    private readonly metrics: Metrics,
    private readonly stage: StageId,
    private readonly copyOut: boolean,
    options: AttachLinkOptions,
  ) {
    this.pools = new LinkPools(shared, metrics, { countReuse: false, ...options });
    this.pool = this.pools.own;
  }

  /** Takes ownership of link handle `h` (one ref of this.stage) and returns a frame for it. */
  receive(h: SlotHandle): FrameRecord {
    const pools = this.pools;
    const f = this.spare.pop() ?? new FrameRecord(); // allocates only while warming up
    f.width = pools.width(h);
    f.height = pools.height(h);
    f.byteLength = pools.byteLength(h);
    pools.readMeta(h, f);
    if (this.copyOut) {
      const buf = allocateFrameBuffer(this.metrics, this.stage, f.byteLength);
      buf.set(pools.data(h));
      this.metrics.countCopy(this.stage, f.byteLength);
      pools.release(h, this.stage);
      f.handle = 0;
      f.data = buf;
    } else {
      f.handle = h;
      f.data = pools.data(h);
    }
    f.open = true;
    readClock();
    f.startedAt = clock[0]!;
    return f;
  }

  finish(frame: ReadableFrame): FrameRecord {
    if (!(frame instanceof FrameRecord) || !frame.open) throw new PoolError('frame already done or not from this reader');
    if (frame.handle !== 0) this.pools.release(frame.handle, this.stage);
    frame.reset();
    this.spare.push(frame);
    return frame;
  }

  /** Drops this stage's reference to link handle `h` without receiving it (teardown). */
  release(h: SlotHandle): void {
    this.pools.release(h, this.stage);
  }
}

/**
 * Records a frame leaving the pipeline at the sink: stage latency (taken → now), count, and end
 * to end (its first stamp → `takenAt`, when the sink took it). End to end stops at the take, not
 * after the sink's own work on the frame, so an encoder's drop check and the latency it keeps
 * read the same clock reading (live-drop.ts).
 */
export function recordSinkDone(metrics: Metrics, stage: StageId, frame: ReadableFrame, takenAt = frame.startedAt): void {
  readClock();
  metrics.recordLatency(stageHistogram(stage), clock[0]! - frame.startedAt);
  metrics.countSinkFrame(stage); // the lead-in's last frame also snapshots every counter (Metrics.atLeadIn)
  metrics.recordEndToEnd(takenAt - earliestStamp(frame.stamps, takenAt), frame.frameIndex, takenAt);
}

export class SlotReader implements SlotLinkReader {
  readonly blocking = true;
  readonly pool: FramePool;
  private readonly queue: FrameQueue;
  private readonly side: ReadSide;
  private readonly consumer: StageId;
  private readonly peeked = { width: 0, height: 0, frameIndex: -1 };

  constructor(
    readonly shared: LinkShared,
    private readonly metrics: Metrics,
    copyOut: boolean,
    options: AttachLinkOptions,
  ) {
    this.consumer = shared.consumer;
    this.side = new ReadSide(shared, metrics, shared.consumer, copyOut, options);
    this.pool = this.side.pool;
    this.queue = FrameQueue.attach(shared.queue);
  }

  next(timeoutMs: number): NextResult {
    let r = this.queue.tryPop();
    if (r === QueueResult.empty) {
      r = this.queue.pop(timeoutMs);
      this.metrics.addWait(this.consumer, lastWaitMs(), r === QueueResult.timeout); // the wait's own readings
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
      r = this.queue.peek(timeoutMs);
      this.metrics.addWait(this.consumer, lastWaitMs(), r === QueueResult.timeout);
    }
    if (r === QueueResult.end) return 'end';
    if (r === QueueResult.timeout) return 'timeout';
    // The queued handle carries the consumer's ref (transferred before the push): reading its
    // header is safe, and nobody but this consumer can release it.
    const p = this.peeked;
    const pools = this.side.pools;
    p.width = pools.width(r);
    p.height = pools.height(r);
    p.frameIndex = pools.frameIndex(r);
    return p;
  }

  private result(r: number): NextResult {
    if (r === QueueResult.end) return 'end';
    if (r === QueueResult.timeout) return 'timeout';
    return this.side.receive(r);
  }

  done(frame: ReadableFrame): void {
    if (this.shared.sink) recordSinkDone(this.metrics, this.consumer, frame);
    this.side.finish(frame);
  }

  close(): void {
    this.queue.close();
    this.pool.close();
  }

  fail(code: number): void {
    this.queue.fail(code);
    this.pool.fail(code);
  }
}
