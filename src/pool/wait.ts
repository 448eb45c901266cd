/**
 * The one wait loop of the pool's shared structures (queue, pool, transfer credits), in a
 * blocking form (Atomics.wait: workers, e.g. inside ffmpeg's exec) and an awaitable form
 * (Atomics.waitAsync: a thread that must return to its event loop, such as a WebCodecs worker).
 *
 * A wait site is two Int32 words of a structure: `seq`, bumped (Atomics.add, a publishing
 * store) by every event a waiter may wait for, and `waiters`, how many threads wait there, so
 * that an event calls Atomics.notify only when someone waits. Each turn a waiter registers
 * (waiters + 1), reads seq, then makes its attempt; if the attempt fails it waits while seq
 * still holds the value read. An event after the read changes seq (the wait returns at once);
 * an event before it is seen by the attempt. So no wake-up is lost.
 */
import { clock, readClock, sharedNow } from '../metrics/stages.ts';

/** What an attempt returns when the thing waited for is not there yet. */
export const NOT_YET = 0;

/**
 * One attempt at what the caller waits for: a result (anything but NOT_YET), or NOT_YET. Pass
 * a function made once (module level or static), never a closure made per call: the blocking
 * form is on the pooled hot path's slow side and must not allocate one.
 */
export type Attempt<T> = (target: T, a: number, b: number, c: number) => number;

/** A structure's seq word and its waiter count (see the file comment). */
export interface WaitSite {
  readonly words: Int32Array;
  readonly seq: number;
  readonly waiters: number;
}

/** This thread's last wait: how long it took (ms), and the reading it started from. */
const readings = new Float64Array(2);
const LAST_WAIT = 0;
const STARTED = 1;

/** How long (ms) this thread's last wait took (0 if a blocking queue call found its item at once); read it right after. */
export function lastWaitMs(): number {
  return readings[LAST_WAIT]!;
}

/** A blocking call that did not need to wait (its try succeeded): lastWaitMs() is then 0. */
export function waitedNone(): void {
  readings[LAST_WAIT] = 0;
}

/**
 * Blocks (Atomics.wait) until `attempt(target, a, b, c)` gives a result or `timeoutMs` passes;
 * returns the result, or NOT_YET on timeout. An attempt that throws (a stopped structure)
 * ends the wait with that error. Call it after a failed unregistered attempt (the fast path).
 * `fromReading`: the caller read the clock (readClock) just before its failed fast attempt;
 * that reading starts the wait. Each wake reads the clock (clock[0]), so an attempt that
 * succeeds after it may stamp with clock[0] (only the attempt runs between).
 * allocates: nothing of its own. The clock is read only when the thread blocks: before the
 * first Atomics.wait (unless fromReading) and once after each wake (a reading boxes a double
 * while this code is Maglev-compiled); whole-ms timeouts (rounded up) reach Atomics.wait as
 * small integers, never as a boxed double.
 */
export function waitBlocking<T>(site: WaitSite, timeoutMs: number, attempt: Attempt<T>, target: T, a = 0, b = 0, c = 0, fromReading = false): number {
  // allocates: only when the thread must wait (back-pressure: the pool or queue is full or
  // empty), never on the fast path, which does not call this: the clock readings above.
  const words = site.words;
  const seqAt = site.seq;
  const waiters = site.waiters;
  let started = fromReading;
  if (started) readings[STARTED] = clock[0]!;
  let elapsed = 0;
  for (;;) {
    let r = NOT_YET;
    Atomics.add(words, waiters, 1);
    try {
      const seen = Atomics.load(words, seqAt);
      r = attempt(target, a, b, c);
      if (r === NOT_YET) {
        const remaining = timeoutMs - elapsed;
        if (remaining <= 0) break;
        if (!started) {
          readClock();
          readings[STARTED] = clock[0]!;
          started = true;
        }
        Atomics.wait(words, seqAt, seen, Math.min(Math.ceil(remaining), 0x3fffffff) | 0);
      }
    } finally {
      Atomics.sub(words, waiters, 1);
    }
    if (r !== NOT_YET) {
      // Up to the latest wake: the attempt after it (microseconds) is not counted.
      readings[LAST_WAIT] = elapsed;
      return r;
    }
    readClock();
    elapsed = clock[0]! - readings[STARTED]!;
  }
  readings[LAST_WAIT] = elapsed;
  return NOT_YET;
}

/**
 * Awaitable twin of waitBlocking (Atomics.waitAsync): the thread returns to its event loop
 * while it waits. Allocates (a promise and a keep-alive timer per wait): not for blocking paths.
 */
export async function waitUntilAsync<T>(site: WaitSite, timeoutMs: number, attempt: Attempt<T>, target: T, a = 0, b = 0, c = 0): Promise<number> {
  const { words, seq: seqAt, waiters } = site;
  const t0 = sharedNow();
  let elapsed = 0;
  for (;;) {
    let r = NOT_YET;
    Atomics.add(words, waiters, 1);
    try {
      const seen = Atomics.load(words, seqAt);
      r = attempt(target, a, b, c);
      if (r === NOT_YET) {
        const remaining = timeoutMs - elapsed;
        if (remaining <= 0) break;
        await waitAsync(words, seqAt, seen, Math.min(Math.ceil(remaining), 0x3fffffff));
      }
    } finally {
      Atomics.sub(words, waiters, 1);
    }
    elapsed = sharedNow() - t0;
    if (r !== NOT_YET) {
      readings[LAST_WAIT] = elapsed;
      return r;
    }
  }
  readings[LAST_WAIT] = elapsed;
  return NOT_YET;
}

/**
 * Atomics.waitAsync that also keeps the thread alive: Node does not count a pending
 * waitAsync as work, so a worker whose only task is this wait would exit. A timer for the
 * same timeout holds the event loop open; it is cleared when the wait ends.
 * Resolves 'ok' | 'not-equal' | 'timed-out'. Allocates (promise, timer): not for blocking paths.
 */
export async function waitAsync(words: Int32Array, index: number, value: number, timeoutMs: number): Promise<'ok' | 'not-equal' | 'timed-out'> {
  const r = Atomics.waitAsync(words, index, value, timeoutMs);
  if (!r.async) return r.value;
  const keepAlive = setTimeout(noop, Math.min(timeoutMs + 1, 0x7fffffff));
  try {
    return await r.value;
  } finally {
    clearTimeout(keepAlive);
  }
}

function noop(): void {}
