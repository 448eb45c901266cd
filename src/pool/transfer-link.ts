/**
 * A link by postMessage transfer, the way most code moves a frame to a worker that has an
 * event loop: the producer fills a fresh buffer, posts it with its ArrayBuffer in the
 * transfer list (moved, not copied), and the consumer receives it as a message. The one
 * thing shared is a credit counter, so this link holds at most `capacity` frames in flight,
 * as a slot link does: the producer (possibly blocked inside ffmpeg's exec, where it can still
 * send) waits for a credit; the consumer gives one back when done with a frame.
 *
 * ## Layout of `LinkShared.credits` (Int32Array[8])
 * ```
 * word  field      writer                                  reader
 * 0     inFlight   producer: +1 when it takes a credit     producer (acquiring load)
 *                  (CAS; at commit, or at beginAsync);
 *                  consumer: −1 in done(); producer: −1
 *                  when it aborts a frame holding a credit
 * 1     state      close()/fail() from any thread:         both sides, per frame and per
 *                  0 open, 2 closed, 3 failed              wait slice
 * 2     failCode   fail(), before state
 * 3     seq        bumped by every credit returned and by  the producer waits on it
 *                  close/fail (publishing)                 (src/pool/wait.ts)
 * 4     waiters    producer, around its wait               credit returns: notify only if > 0
 * 5..7  reserved
 * ```
 * Messages carry {width, height, frameIndex, ptsUs, stamps, data} or {end: true}; both are
 * allocated per frame by structured clone: this link is for the modes that allocate per frame.
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import { StageCounter, stageHistogram } from '../metrics/metrics-block.ts';
import { clock, readClock, sharedNow, type StageId } from '../metrics/stages.ts';
import { ClosedError, FailedError, PoolError } from './errors.ts';
import { assertFrameSize, i420ByteLength } from './frame-format.ts';
import {
  allocateFrameBuffer, FrameRecord,
  type AttachLinkOptions, type BeginResult, type CommitResult, type LinkReader, type LinkShared, type LinkWriter,
  type NextResult, type PeekResult, type ReadableFrame, type WritableFrame,
} from './frame-record.ts';
import { recordSinkDone } from './slot-link.ts';
import { NOT_YET, lastWaitMs, waitBlocking, waitUntilAsync, type Attempt, type WaitSite } from './wait.ts';

const C_IN_FLIGHT = 0;
const C_STATE = 1;
const C_FAIL_CODE = 2;
const C_SEQ = 3;
const C_WAITERS = 4;
const OPEN = 0;
const CLOSED = 2;
const FAILED = 3;

/** The shared words of a transfer link (controller side). */
export function createCredits(): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * 4);
}

/** A credit goes back (done, or an aborted frame that held one): wakes a producer waiting for it. */
function returnCredit(w: Int32Array): void {
  Atomics.sub(w, C_IN_FLIGHT, 1);
  Atomics.add(w, C_SEQ, 1); // publishing: a credit is back
  if (Atomics.load(w, C_WAITERS) > 0) Atomics.notify(w, C_SEQ);
}

/** Stops a transfer link from any thread: both sides throw ClosedError / FailedError(code). */
export function stopCredits(credits: SharedArrayBuffer, code: number | null): void {
  const w = new Int32Array(credits);
  if (code !== null) w[C_FAIL_CODE] = code;
  Atomics.compareExchange(w, C_STATE, OPEN, code === null ? CLOSED : FAILED); // publishing (failCode first)
  Atomics.add(w, C_SEQ, 1);
  Atomics.notify(w, C_SEQ);
}

function throwIfStopped(w: Int32Array, name: string): void {
  const state = Atomics.load(w, C_STATE);
  if (state === CLOSED) throw new ClosedError(`link ${name} closed`);
  if (state === FAILED) throw new FailedError(w[C_FAIL_CODE]!, `link ${name} failed with code ${w[C_FAIL_CODE]}`);
}

interface FrameMessage {
  width: number;
  height: number;
  frameIndex: number;
  ptsUs: number;
  stamps: Float64Array;
  data: Uint8Array;
}
type LinkMessage = FrameMessage | { end: true };

function portOf(shared: LinkShared, options: AttachLinkOptions): MessagePort {
  if (!options.port) throw new PoolError(`link ${shared.name} moves frames by message: attach it with its port`);
  return options.port;
}

export class TransferWriter implements LinkWriter {
  private readonly w: Int32Array;
  private readonly port: MessagePort;
  private readonly frame = new FrameRecord();
  private readonly producer: StageId;
  private readonly site: WaitSite;
  /** A beginAsync is awaiting a credit: a second begin would race it for the one record. */
  private beginning = false;

  constructor(readonly shared: LinkShared, private readonly metrics: Metrics, options: AttachLinkOptions) {
    this.w = new Int32Array(shared.credits!);
    this.port = portOf(shared, options);
    this.producer = shared.producer;
    this.site = { words: this.w, seq: C_SEQ, waiters: C_WAITERS };
  }

  begin(width: number, height: number): BeginResult {
    return this.open(width, height, 0, null);
  }

  /** The input's own buffer moves on in the message (it must be a buffer of its own, not a slot). */
  beginPass(input: ReadableFrame): WritableFrame {
    return this.open(input.width, input.height, 0, input.data);
  }

  async beginAsync(width: number, height: number, timeoutMs: number): Promise<BeginResult> {
    this.checkNoneOpen();
    this.beginning = true;
    let got: number;
    try {
      assertFrameSize(width, height);
      got = this.tryTakeCredit();
      if (got === NOT_YET) {
        got = await waitUntilAsync(this.site, timeoutMs, TransferWriter.takeCredit, this);
        this.metrics.addWait(this.producer, lastWaitMs(), got === NOT_YET);
      }
    } finally {
      this.beginning = false;
    }
    return got === NOT_YET ? 'timeout' : this.open(width, height, got, null);
  }

  private checkNoneOpen(): void {
    if (this.frame.open || this.beginning) throw new PoolError(`link ${this.shared.name}: begin() while a frame is open`);
  }

  /** A fresh buffer (or `data`, passed along) for a new frame; `credit` 1 when beginAsync already took its credit. */
  private open(width: number, height: number, credit: number, data: Uint8Array | null): WritableFrame {
    const f = this.frame;
    this.checkNoneOpen();
    throwIfStopped(this.w, this.shared.name);
    assertFrameSize(width, height);
    f.data = data ?? allocateFrameBuffer(this.metrics, this.producer, i420ByteLength(width, height));
    f.room = credit;
    f.width = width;
    f.height = height;
    f.byteLength = f.data.byteLength;
    f.frameIndex = -1;
    f.ptsUs = NaN;
    f.stamps.fill(0);
    f.open = true;
    f.startedAt = sharedNow();
    return f;
  }

  commit(frame: WritableFrame, timeoutMs: number, ready = false): CommitResult {
    const f = this.frame;
    if (frame !== f || !f.open) throw new PoolError(`link ${this.shared.name}: frame is not open on this writer`);
    let stampNow = !ready;
    if (f.room === 0) {
      if (this.tryTakeCredit() === NOT_YET) {
        const got = waitBlocking(this.site, timeoutMs, TransferWriter.takeCredit, this);
        this.metrics.addWait(this.producer, lastWaitMs(), got === NOT_YET);
        if (got === NOT_YET) return 'timeout';
        stampNow = true; // waited: the caller's reading is stale
      }
      f.room = 1;
    }
    throwIfStopped(this.w, this.shared.name);
    if (stampNow) readClock();
    f.stamps[this.producer] = clock[0]!;
    const message: FrameMessage = {
      width: f.width, height: f.height, frameIndex: f.frameIndex, ptsUs: f.ptsUs, stamps: f.stamps.slice(), data: f.data,
    };
    this.port.postMessage(message, [f.data.buffer]); // moved: this side's view is now detached
    this.metrics.recordLatency(stageHistogram(this.producer), sharedNow() - f.startedAt);
    this.metrics.count(this.producer, StageCounter.frames);
    f.reset();
    return 'ok';
  }

  /** One attempt at a credit (for the wait loop): 1 when taken, NOT_YET while `capacity` frames are in flight. */
  private tryTakeCredit(): number {
    const w = this.w;
    const capacity = this.shared.capacity;
    throwIfStopped(w, this.shared.name);
    for (;;) {
      const inFlight = Atomics.load(w, C_IN_FLIGHT);
      if (inFlight >= capacity) return NOT_YET;
      if (Atomics.compareExchange(w, C_IN_FLIGHT, inFlight, inFlight + 1) === inFlight) return 1;
    }
  }

  private static readonly takeCredit: Attempt<TransferWriter> = (writer) => writer.tryTakeCredit();

  abort(frame: WritableFrame): void {
    const f = this.frame;
    if (frame !== f || !f.open) throw new PoolError(`link ${this.shared.name}: frame is not open on this writer`);
    if (f.room !== 0) returnCredit(this.w);
    f.reset();
  }

  end(): void {
    const message: LinkMessage = { end: true };
    this.port.postMessage(message);
  }

  close(): void {
    stopCredits(this.shared.credits!, null);
  }

  fail(code: number): void {
    stopCredits(this.shared.credits!, code);
  }
}

export class TransferReader implements LinkReader {
  readonly blocking = false;
  private readonly w: Int32Array;
  private readonly inbox: FrameMessage[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  private readonly consumer: StageId;

  constructor(readonly shared: LinkShared, private readonly metrics: Metrics, options: AttachLinkOptions) {
    this.w = new Int32Array(shared.credits!);
    this.consumer = shared.consumer;
    const port = portOf(shared, options);
    port.onmessage = (event: MessageEvent<LinkMessage>) => {
      const message = event.data;
      if ('end' in message) this.ended = true;
      else this.inbox.push(message);
      this.wake?.();
    };
  }

  next(): NextResult {
    throw new PoolError(`link ${this.shared.name} moves frames by message: use nextAsync`);
  }

  peek(): PeekResult {
    throw new PoolError(`link ${this.shared.name} moves frames by message: it cannot peek`);
  }

  async nextAsync(timeoutMs: number): Promise<NextResult> {
    throwIfStopped(this.w, this.shared.name);
    if (this.inbox.length === 0 && !this.ended) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = null;
      throwIfStopped(this.w, this.shared.name);
      this.metrics.addWait(this.consumer, performance.now() - t0, this.inbox.length === 0 && !this.ended);
    }
    const m = this.inbox.shift();
    if (m === undefined) return this.ended ? 'end' : 'timeout';
    const f = new FrameRecord(); // per frame, like the message itself
    f.data = m.data;
    f.width = m.width;
    f.height = m.height;
    f.byteLength = m.data.byteLength;
    f.frameIndex = m.frameIndex;
    f.ptsUs = m.ptsUs;
    f.stamps.set(m.stamps);
    f.open = true;
    f.startedAt = sharedNow();
    return f;
  }

  done(frame: ReadableFrame): void {
    if (!(frame instanceof FrameRecord) || !frame.open) throw new PoolError('frame already done or not from this reader');
    if (this.shared.sink) recordSinkDone(this.metrics, this.consumer, frame);
    frame.reset(); // the buffer is left for the GC
    returnCredit(this.w);
  }

  close(): void {
    stopCredits(this.shared.credits!, null);
  }

  fail(code: number): void {
    stopCredits(this.shared.credits!, code);
  }
}
