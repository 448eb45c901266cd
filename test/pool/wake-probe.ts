/**
 * Wake-up tests that can fail: the test (the waker) proves that a waiter thread was blocked
 * at the very word a release notifies, releases it, and proves that it returned because of
 * that release. Protocol and probe layout: ./workers/blocking-call.protocol.ts.
 *
 * `blocked()` passes only when, for every step, all of these hold:
 * 1. the waiter published "about to call" (armed word) — a flag, no sleep;
 * 2. the structure's own waiter count at the site equals the number of waiters;
 * 3. Atomics.notify on the site's word wakes exactly that many threads: they were parked in
 *    Atomics.wait / waitAsync on it. That wake is spurious (nothing changed), so
 * 4. during a margin in which this thread itself waits on the same word and gets
 *    'timed-out' (nothing notified or changed it), no waiter returns, and afterwards every
 *    waiter is registered again: each re-checked and went back to wait.
 * `release()` stamps a tick of the probe's shared counter before running the release;
 * `woke()` requires the waiter's return within a bound and its return tick after that stamp.
 */
import { expect } from 'vitest';
import type { PoolShared } from '../../src/pool/frame-pool.ts';
import type { LinkShared } from '../../src/pool/frame-record.ts';
import type { QueueShared } from '../../src/pool/frame-queue.ts';
import { waitAsync } from '../../src/pool/wait.ts';
import { ScenarioWorker, sleep } from './helpers.ts';
import {
  PROBE_HEARTBEAT,
  PROBE_TICK,
  probeArmed,
  probeBytes,
  probeReleaseTick,
  probeReturned,
  probeReturnTick,
  type BlockingCall,
  type BlockingCallsData,
  type BlockingCallsResult,
} from './workers/blocking-call.protocol.ts';

/** The blocking call's own timeout: far beyond every bound here, so only a release ends it. */
export const WAITER_TIMEOUT_MS = 30_000;
/** A released waiter must have returned within this (generous: a loaded 2-core machine). */
export const WAKE_BOUND_MS = 3000;
/** How long a proven-blocked waiter must stay blocked with nothing happening. */
const MARGIN_MS = 100;
/** Ceiling for a waiter's start-up (thread start to its first call); a flag ends it early. */
const START_MS = 20_000;
/** Ceiling for a started waiter to register and park (flags and probes end it early). */
const PARK_MS = 5000;

/** A word blocked callers wait on, with the structure's own count of waiters there. */
export interface WaitSite {
  readonly name: string;
  readonly words: Int32Array;
  readonly seq: number;
  readonly waiting: number;
}

// Word indices from the layouts documented at the top of frame-queue.ts and frame-pool.ts.
/** Consumers (pop, popAsync, peek) wait on dataSeq (4), counted in consumerWaiting (6). */
export function queueDataSite(q: QueueShared): WaitSite {
  return { name: 'queue dataSeq', words: new Int32Array(q.words), seq: 4, waiting: 6 };
}

/** The producer (push) waits on spaceSeq (5), counted in producerWaiting (7). */
export function queueSpaceSite(q: QueueShared): WaitSite {
  return { name: 'queue spaceSeq', words: new Int32Array(q.words), seq: 5, waiting: 7 };
}

/** Acquirers wait on releaseSeq (3), counted in acquireWaiters (4). */
export function poolSite(p: PoolShared): WaitSite {
  return { name: 'pool releaseSeq', words: new Int32Array(p.header), seq: 3, waiting: 4 };
}

/** A transfer link's producer waits for a credit on seq (3), counted in waiters (4). */
export function creditSite(link: LinkShared): WaitSite {
  if (link.credits === null) throw new Error(`link ${link.name} has no credits (not a transfer link)`);
  return { name: 'credits seq', words: new Int32Array(link.credits), seq: 3, waiting: 4 };
}

type WaiterOptions = Omit<BlockingCallsData, 'probe' | 'calls' | 'firstStep'> & { firstStep?: number };

export class WakeProbe {
  readonly shared: SharedArrayBuffer;
  private readonly w: Int32Array;
  private readonly releasedAt = new Map<number, number>();
  /** Every waiter started, in order. */
  readonly waiters: ScenarioWorker[] = [];

  constructor(steps: number) {
    this.shared = new SharedArrayBuffer(probeBytes(steps));
    this.w = new Int32Array(this.shared);
  }

  /** Starts a thread making `calls`; its probed calls are steps firstStep, firstStep + 1, … */
  waiter(calls: BlockingCall[], options: WaiterOptions = {}): ScenarioWorker {
    const data: BlockingCallsData = { ...options, probe: this.shared, firstStep: options.firstStep ?? 0, calls };
    const worker = new ScenarioWorker('blocking-calls', data, data.port === undefined ? [] : [data.port]);
    this.waiters.push(worker);
    return worker;
  }

  /** Proves that `steps` (all waiting at `site`) are blocked there; see the file comment. */
  async blocked(steps: number | readonly number[], site: WaitSite): Promise<void> {
    const list = typeof steps === 'number' ? [steps] : steps;
    const n = list.length;
    const { words, seq, waiting } = site;
    for (const s of list) await this.untilSet(probeArmed(s), `step ${s} never started its call`);
    await until(() => Atomics.load(words, waiting) === n, () => `${site.name}: waiter count is ${Atomics.load(words, waiting)}, never ${n}`);
    const seq0 = Atomics.load(words, seq);
    let woken = 0;
    await until(
      () => (woken = Atomics.notify(words, seq, n)) === n,
      () => `${site.name}: at most ${woken} of ${n} waiters ever parked on word ${seq}`,
    );
    expect(Atomics.wait(words, seq, seq0, MARGIN_MS), `${site.name}: word ${seq} changed or was notified during the margin`).toBe('timed-out');
    for (const s of list) expect(Atomics.load(this.w, probeReturned(s)), `step ${s} returned though nothing released it`).toBe(0);
    await until(() => Atomics.load(words, waiting) === n, () => `${site.name}: waiters did not go back to wait after a spurious wake`);
    for (const s of list) expect(Atomics.load(this.w, probeReturned(s)), `step ${s} returned though nothing released it`).toBe(0);
  }

  /**
   * Proves the waiter's event loop runs while `step` is pending (a waiter started with
   * `heartbeat: true`): its interval ticks at least 3 more times before the step returns.
   * A call that blocks its thread (Atomics.wait) stops the ticks and fails this.
   */
  async eventLoopRuns(step: number): Promise<void> {
    const h0 = Atomics.load(this.w, PROBE_HEARTBEAT);
    await until(() => Atomics.load(this.w, PROBE_HEARTBEAT) >= h0 + 3, () => `step ${step}: the waiter's event loop did not run while it waited (heartbeat stuck at ${Atomics.load(this.w, PROBE_HEARTBEAT)})`);
    expect(Atomics.load(this.w, probeReturned(step)), `step ${step} returned though nothing released it`).toBe(0);
  }

  /** Runs `wake` as the release of `steps`, stamped with a tick taken just before it. */
  release(steps: number | readonly number[], wake: () => unknown): void {
    const list = typeof steps === 'number' ? [steps] : steps;
    const tick = Atomics.add(this.w, PROBE_TICK, 1) + 1;
    const at = performance.now();
    for (const s of list) {
      expect(Atomics.load(this.w, probeReturned(s)), `step ${s} returned before its release`).toBe(0);
      Atomics.store(this.w, probeReleaseTick(s), tick);
      this.releasedAt.set(s, at);
    }
    wake();
  }

  /** Resolves with the ms from release to return; fails if `step` was not woken by its release. */
  async woke(step: number, boundMs = WAKE_BOUND_MS): Promise<number> {
    const at = this.releasedAt.get(step);
    if (at === undefined) throw new Error(`step ${step} was never released`);
    const r = probeReturned(step);
    while (Atomics.load(this.w, r) === 0) {
      const left = at + boundMs - performance.now();
      if (left <= 0) throw new Error(`step ${step} still blocked ${boundMs} ms after its release: the release did not wake it`);
      await waitAsync(this.w, r, 0, left);
    }
    const ms = performance.now() - at;
    const returnTick = Atomics.load(this.w, probeReturnTick(step));
    const releaseTick = Atomics.load(this.w, probeReleaseTick(step));
    expect(returnTick, `step ${step} returned (tick ${returnTick}) before its release (tick ${releaseTick})`).toBeGreaterThan(releaseTick);
    return ms;
  }

  /** woke() for several steps at once; one error names every step that was not woken. */
  async allWoke(steps: readonly number[], boundMs = WAKE_BOUND_MS): Promise<void> {
    const settled = await Promise.allSettled(steps.map((s) => this.woke(s, boundMs)));
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  /** Proves `steps` blocked at `site`, releases them with `wake`, and requires each to wake. */
  async wakes(steps: number | readonly number[], site: WaitSite, wake: () => unknown): Promise<void> {
    const list = typeof steps === 'number' ? [steps] : steps;
    await this.blocked(list, site);
    this.release(list, wake);
    await this.allWoke(list);
  }

  /** The waiter's outcomes, one per call. */
  static outcomes(worker: ScenarioWorker): Promise<BlockingCallsResult> {
    return worker.result<BlockingCallsResult>(WAKE_BOUND_MS + 10_000);
  }

  async terminate(): Promise<void> {
    await Promise.all(this.waiters.map((w) => w.terminate()));
  }

  private async untilSet(index: number, what: string): Promise<void> {
    const deadline = performance.now() + START_MS;
    while (Atomics.load(this.w, index) === 0) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(what);
      await waitAsync(this.w, index, 0, left);
    }
  }
}

async function until(done: () => boolean, failure: () => string): Promise<void> {
  const deadline = performance.now() + PARK_MS;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(failure());
    await sleep(2);
  }
}
