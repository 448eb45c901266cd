/**
 * FrameQueue: a single-producer single-consumer ring of slot handles (Int32) in a
 * SharedArrayBuffer, with end-of-stream, close (stop) and fail (error) states. Blocking
 * push/pop use Atomics.wait with a timeout (for workers inside ffmpeg's exec); popAsync uses
 * Atomics.waitAsync (event-driven threads). Closing or failing wakes both sides.
 *
 * Outcomes are distinct: pop returns a handle (> 0), QueueResult.end (end-of-stream, after
 * the last item), QueueResult.timeout, or QueueResult.empty (tryPop only); a closed or
 * failed queue throws ClosedError / FailedError(code). All of them allocation-free.
 *
 * ## Layout of `QueueShared.words` (Int32Array)
 * ```
 * word  field             writer                                   reader
 * 0     head              producer: items pushed; Atomics.store    consumer (acquiring load)
 *                         AFTER writing the item (publishing)
 * 1     tail              consumer: items popped; Atomics.store    producer (acquiring load)
 *                         AFTER reading the item (publishing)
 * 2     state             0 open, 1 ended (producer), 2 closed,    both sides
 *                         3 failed (anyone); Atomics.compareExchange
 * 3     failCode          fail(), before state
 * 4     dataSeq           bumped after every push/end/close/fail   consumer waits on it
 * 5     spaceSeq          bumped after every pop/close/fail        producer waits on it
 * 6     consumerWaiting   consumer, around its wait                producer: notify only if > 0
 * 7     producerWaiting   producer, around its wait                consumer: notify only if > 0
 * 8     capacity          create()
 * 9     mask              create(): ring size − 1 (ring size = next power of two ≥ capacity)
 * 16+i  item i            producer (plain store, published by head)
 * ```
 * head and tail wrap at 2^32 with Int32 arithmetic; `(head − tail) | 0` stays correct.
 * Waits go through src/pool/wait.ts: the consumer on (dataSeq, consumerWaiting), the producer
 * on (spaceSeq, producerWaiting).
 */
import { ClosedError, FailedError, QueueStateError } from './errors.ts';
import { NOT_YET, waitBlocking, waitedNone, waitUntilAsync, type Attempt, type WaitSite } from './wait.ts';

const Q_HEAD = 0;
const Q_TAIL = 1;
const Q_STATE = 2;
const Q_FAIL_CODE = 3;
const Q_DATA_SEQ = 4;
const Q_SPACE_SEQ = 5;
const Q_CONSUMER_WAITING = 6;
const Q_PRODUCER_WAITING = 7;
const Q_CAPACITY = 8;
const Q_MASK = 9;
const Q_ITEMS = 16;

const OPEN = 0;
const ENDED = 1;
const CLOSED = 2;
const FAILED = 3;

/** Non-item outcomes of pop (items are positive handles). */
export const QueueResult = {
  end: -1,
  timeout: -2,
  empty: -3,
} as const;
export type QueueResult = (typeof QueueResult)[keyof typeof QueueResult];

export interface QueueShared {
  readonly kind: 'framepool-queue';
  readonly words: SharedArrayBuffer;
}

export class FrameQueue {
  readonly shared: QueueShared;
  readonly capacity: number;
  private readonly w: Int32Array;
  private readonly mask: number;
  private readonly dataSite: WaitSite;
  private readonly spaceSite: WaitSite;

  private constructor(shared: QueueShared) {
    this.shared = shared;
    this.w = new Int32Array(shared.words);
    this.capacity = this.w[Q_CAPACITY]!;
    this.mask = this.w[Q_MASK]!;
    this.dataSite = { words: this.w, seq: Q_DATA_SEQ, waiters: Q_CONSUMER_WAITING };
    this.spaceSite = { words: this.w, seq: Q_SPACE_SEQ, waiters: Q_PRODUCER_WAITING };
  }

  // Attempts for the wait loop (made once: no closure per wait). QueueResult.empty is NOT_YET there.
  private static readonly pushAttempt: Attempt<FrameQueue> = (q, item) => (q.tryPush(item) ? 1 : NOT_YET);
  private static readonly popAttempt: Attempt<FrameQueue> = (q) => orNotYet(q.tryPop());
  private static readonly peekAttempt: Attempt<FrameQueue> = (q) => orNotYet(q.tryPeek());

  static create(capacity: number): FrameQueue {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) throw new RangeError(`bad capacity ${capacity}`);
    let ring = 1;
    while (ring < capacity) ring <<= 1;
    const words = new SharedArrayBuffer((Q_ITEMS + ring) * 4);
    const w = new Int32Array(words);
    w[Q_CAPACITY] = capacity;
    w[Q_MASK] = ring - 1;
    return new FrameQueue({ kind: 'framepool-queue', words });
  }

  static attach(shared: QueueShared): FrameQueue {
    return new FrameQueue(shared);
  }

  /** Items currently queued (a snapshot). */
  size(): number {
    return (Atomics.load(this.w, Q_HEAD) - Atomics.load(this.w, Q_TAIL)) | 0;
  }

  // ---------------------------------------------------------------- producer side

  /** Non-blocking push. False when full. Throws when ended/closed/failed. */
  tryPush(item: number): boolean {
    const w = this.w;
    this.throwIfNotOpenForPush();
    const head = w[Q_HEAD]!; // own word: plain read
    const tail = Atomics.load(w, Q_TAIL); // acquiring load: the consumer is done with old items
    if (((head - tail) | 0) >= this.capacity) return false;
    w[Q_ITEMS + (head & this.mask)] = item;
    Atomics.store(w, Q_HEAD, (head + 1) | 0); // publishing store: the item is readable
    Atomics.add(w, Q_DATA_SEQ, 1);
    if (Atomics.load(w, Q_CONSUMER_WAITING) > 0) Atomics.notify(w, Q_DATA_SEQ);
    return true;
  }

  /** Blocking push (Atomics.wait). True when pushed, false on timeout. Then lastWaitMs() (wait.ts) says how long it waited. */
  push(item: number, timeoutMs: number): boolean {
    if (this.tryPush(item)) {
      waitedNone();
      return true;
    }
    return waitBlocking(this.spaceSite, timeoutMs, FrameQueue.pushAttempt, this, item) !== NOT_YET;
  }

  /** End-of-stream after the items already pushed. Idempotent; no-op once closed/failed. */
  end(): void {
    const w = this.w;
    if (Atomics.compareExchange(w, Q_STATE, OPEN, ENDED) === OPEN) {
      Atomics.add(w, Q_DATA_SEQ, 1); // publishing: state changed
      Atomics.notify(w, Q_DATA_SEQ);
    }
  }

  private throwIfNotOpenForPush(): void {
    const st = Atomics.load(this.w, Q_STATE);
    if (st === OPEN) return;
    if (st === ENDED) throw new QueueStateError('push after end-of-stream');
    this.throwStopped(st);
  }

  // ---------------------------------------------------------------- consumer side

  /** Non-blocking pop: an item, QueueResult.end, or QueueResult.empty. Throws when closed/failed. */
  tryPop(): number {
    const w = this.w;
    const st = Atomics.load(w, Q_STATE); // read before head: an `ended` seen here covers all items
    if (st >= CLOSED) this.throwStopped(st);
    const tail = w[Q_TAIL]!; // own word
    const head = Atomics.load(w, Q_HEAD); // acquiring load: items below head are written
    if (head === tail) return st === ENDED ? QueueResult.end : QueueResult.empty;
    const item = w[Q_ITEMS + (tail & this.mask)]!;
    Atomics.store(w, Q_TAIL, (tail + 1) | 0); // publishing store: the cell may be reused
    Atomics.add(w, Q_SPACE_SEQ, 1);
    if (Atomics.load(w, Q_PRODUCER_WAITING) > 0) Atomics.notify(w, Q_SPACE_SEQ);
    return item;
  }

  /**
   * Non-blocking look at the next item without taking it: the item, QueueResult.end or
   * QueueResult.empty. Throws when closed/failed. Consumer only (the item stays the
   * consumer's to pop: only the consumer moves the tail, so a peeked item cannot vanish).
   */
  tryPeek(): number {
    const w = this.w;
    const st = Atomics.load(w, Q_STATE); // read before head, as in tryPop
    if (st >= CLOSED) this.throwStopped(st);
    const tail = w[Q_TAIL]!; // own word
    const head = Atomics.load(w, Q_HEAD); // acquiring load: items below head are written
    if (head === tail) return st === ENDED ? QueueResult.end : QueueResult.empty;
    return w[Q_ITEMS + (tail & this.mask)]!;
  }

  /** Blocking peek (Atomics.wait): the next item (left in the queue), QueueResult.end or QueueResult.timeout; then lastWaitMs() as push. */
  peek(timeoutMs: number): number {
    const first = this.tryPeek();
    if (first !== QueueResult.empty) {
      waitedNone();
      return first;
    }
    return orTimeout(waitBlocking(this.dataSite, timeoutMs, FrameQueue.peekAttempt, this));
  }

  /** Blocking pop (Atomics.wait): an item, QueueResult.end or QueueResult.timeout; then lastWaitMs() as push. */
  pop(timeoutMs: number): number {
    const first = this.tryPop();
    if (first !== QueueResult.empty) {
      waitedNone();
      return first;
    }
    return orTimeout(waitBlocking(this.dataSite, timeoutMs, FrameQueue.popAttempt, this));
  }

  /** Awaitable pop (Atomics.waitAsync): an item, QueueResult.end or QueueResult.timeout. */
  async popAsync(timeoutMs: number): Promise<number> {
    const first = this.tryPop();
    if (first !== QueueResult.empty) return first;
    return orTimeout(await waitUntilAsync(this.dataSite, timeoutMs, FrameQueue.popAttempt, this));
  }

  // ---------------------------------------------------------------- either side

  /** Stop: wakes both sides; every later push/pop throws ClosedError. */
  close(): void {
    this.stop(CLOSED, 0);
  }

  /** Error: wakes both sides; every later push/pop throws FailedError(code). */
  fail(code: number): void {
    this.stop(FAILED, code);
  }

  /** 'open' | 'ended' | 'closed' | 'failed' (a snapshot). */
  state(): 'open' | 'ended' | 'closed' | 'failed' {
    const st = Atomics.load(this.w, Q_STATE);
    return st === OPEN ? 'open' : st === ENDED ? 'ended' : st === CLOSED ? 'closed' : 'failed';
  }

  /**
   * Takes every queued item out (for reclaiming after a failure/stop, by the controller once
   * both sides are gone). Calls `each` per item.
   */
  drain(each: (item: number) => void): void {
    const w = this.w;
    let tail = Atomics.load(w, Q_TAIL);
    const head = Atomics.load(w, Q_HEAD);
    while (tail !== head) {
      each(w[Q_ITEMS + (tail & this.mask)]!);
      tail = (tail + 1) | 0;
    }
    Atomics.store(w, Q_TAIL, tail);
  }

  private stop(state: number, code: number): void {
    const w = this.w;
    for (;;) {
      const st = Atomics.load(w, Q_STATE);
      if (st >= CLOSED) return; // first stop wins
      if (state === FAILED) Atomics.store(w, Q_FAIL_CODE, code);
      if (Atomics.compareExchange(w, Q_STATE, st, state) === st) break;
    }
    Atomics.add(w, Q_DATA_SEQ, 1); // publishing: both sides must re-check state
    Atomics.add(w, Q_SPACE_SEQ, 1);
    Atomics.notify(w, Q_DATA_SEQ);
    Atomics.notify(w, Q_SPACE_SEQ);
  }

  private throwStopped(st: number): never {
    if (st === FAILED) {
      const code = Atomics.load(this.w, Q_FAIL_CODE);
      throw new FailedError(code, `queue failed with code ${code}`);
    }
    throw new ClosedError('queue closed');
  }
}

function orNotYet(r: number): number {
  return r === QueueResult.empty ? NOT_YET : r;
}

function orTimeout(r: number): number {
  return r === NOT_YET ? QueueResult.timeout : r;
}
