/**
 * A futex-style mutex in one Int32 word (Drepper, "Futexes are tricky", mutex 2):
 * 0 = free, 1 = held, 2 = held with possible waiters. Threads that may not block
 * (a browser's main thread) spin instead. Every wait has a deadline: a thread that died
 * inside the critical section surfaces as LockTimeoutError, never as a hang.
 */
import { LockTimeoutError } from './errors.ts';

/** How long a worker may await a lock before we assume its holder died. */
export const LOCK_DEADLINE_MS = 5000;
/**
 * The same on a thread that cannot block (a browser's main thread spins): a critical section
 * lasts microseconds, so 100 ms of spinning means a dead holder, and the page must not freeze.
 */
export const SPIN_LOCK_DEADLINE_MS = 100;

let blockingChecked = false;
let blocking = false;

/** True when this thread may call Atomics.wait (workers, Node's main thread). */
export function canBlock(): boolean {
  if (!blockingChecked) {
    blockingChecked = true;
    try {
      // AgentCanSuspend is checked before the value: a browser main thread throws here.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

export function lock(words: Int32Array, index: number): void {
  let c = Atomics.compareExchange(words, index, 0, 1);
  if (c === 0) return; // uncontended fast path
  lockSlow(words, index, c);
}

function lockSlow(words: Int32Array, index: number, c: number): void {
  const mayBlock = canBlock();
  const limitMs = mayBlock ? LOCK_DEADLINE_MS : SPIN_LOCK_DEADLINE_MS;
  // The deadline is set by the first retry that fails: a lock freed during the first wait (the
  // usual case, a critical section lasts microseconds) costs no clock reading, which boxes a
  // double in Maglev code. The limit then counts from up to one wait (50 ms) later.
  let deadline = NaN;
  for (;;) {
    if (mayBlock) {
      if (c === 2 || Atomics.compareExchange(words, index, 1, 2) !== 0) {
        Atomics.wait(words, index, 2, 50);
      }
    }
    c = Atomics.compareExchange(words, index, 0, 2);
    if (c === 0) return;
    const now = performance.now();
    if (deadline !== deadline) deadline = now + limitMs;
    else if (now > deadline) {
      throw new LockTimeoutError(`shared lock at word ${index} not released within ${limitMs} ms`);
    }
  }
}

export function unlock(words: Int32Array, index: number): void {
  if (Atomics.sub(words, index, 1) !== 1) {
    Atomics.store(words, index, 0);
    Atomics.notify(words, index, 1);
  }
}
