/**
 * Wire contract between a wake-up test (../wake-probe.ts) and the thread it blocks
 * (scenario 'blocking-calls' in ./scenario-worker.ts): the calls the waiter makes, what it
 * reports back, and the shared words through which the test proves the waiter was blocked
 * when it was woken.
 *
 * ## Layout of the probe (Int32Array over `ProbeShared`)
 * ```
 * word        field        writer                                   reader
 * 0           tick         both sides, Atomics.add: one total order  -
 *                          of releases and returns across threads
 * 1           heartbeat    waiter's event loop (a 2 ms interval,     test: the waiter's event loop
 *                          with `heartbeat: true`), Atomics.add      ran while a call was pending
 * 4 + 4·s     armed s      waiter: 1 just before blocking call s     test (waits on it)
 *                          (Atomics.store + notify)
 * 5 + 4·s     returned s   waiter: 1 just after call s returned or   test (waits on it)
 *                          threw (Atomics.store + notify, after the
 *                          returnTick store)
 * 6 + 4·s     returnTick s waiter: a tick taken just after call s    test
 * 7 + 4·s     releaseTick s test: a tick taken just before the        test
 *                          release meant to wake call s
 * ```
 * A call whose returnTick is below its releaseTick returned before it was released.
 */
import type { MetricsShared } from '../../../src/metrics/metrics-block.ts';
import type { StageId } from '../../../src/metrics/stages.ts';
import type { PoolShared } from '../../../src/pool/frame-pool.ts';
import type { QueueShared } from '../../../src/pool/frame-queue.ts';
import type { LinkShared } from '../../../src/pool/link.ts';

export type ProbeShared = SharedArrayBuffer;

export const PROBE_TICK = 0;
export const PROBE_HEARTBEAT = 1;
const STEP_BASE = 4;
const STEP_STRIDE = 4;
export const probeArmed = (step: number): number => STEP_BASE + step * STEP_STRIDE;
export const probeReturned = (step: number): number => STEP_BASE + step * STEP_STRIDE + 1;
export const probeReturnTick = (step: number): number => STEP_BASE + step * STEP_STRIDE + 2;
export const probeReleaseTick = (step: number): number => STEP_BASE + step * STEP_STRIDE + 3;
export const probeBytes = (steps: number): number => (STEP_BASE + steps * STEP_STRIDE) * 4;

/**
 * One call of the waiter thread. `probe: true` makes it a probed step (armed / returned /
 * returnTick); steps are numbered in call order from `firstStep`. Unprobed calls are the
 * waiter's own business between steps (set-up, or a timeout the test does not release).
 */
export type BlockingCall = { probe: boolean; timeoutMs: number } & (
  | { kind: 'queue-pop' | 'queue-pop-async' | 'queue-peek'; queue: QueueShared }
  | { kind: 'queue-push'; queue: QueueShared; item: number }
  | { kind: 'pool-acquire' | 'pool-acquire-async'; pool: PoolShared; width: number; height: number; stage: StageId }
  /** Reader of `BlockingCallsData.link`; a frame is done() as soon as it is reported. */
  | { kind: 'link-next' | 'link-next-async' | 'link-peek' }
  /** Writer of `BlockingCallsData.link`: begin leaves the frame open for the next link-commit. */
  | { kind: 'link-begin' | 'link-begin-async'; width: number; height: number }
  | { kind: 'link-commit'; frameIndex: number }
);

export type CallOutcome =
  | { outcome: 'item'; value: number; ms: number }
  | { outcome: 'handle'; value: number; ms: number }
  | { outcome: 'pushed' | 'begun' | 'committed' | 'end' | 'timeout'; ms: number }
  | { outcome: 'frame'; frameIndex: number; width: number; height: number; ms: number }
  | { outcome: 'ClosedError' | 'FailedError' | 'other-error'; code?: number; message: string; ms: number };

export type BlockingCallsData = {
  probe: ProbeShared;
  /** Probe step of the first probed call (several waiters can share one probe). */
  firstStep: number;
  calls: BlockingCall[];
  /** For link-* calls. */
  link?: LinkShared;
  metrics?: MetricsShared;
  /** Transfer links: the waiter's end of the link's MessageChannel (in the transfer list). */
  port?: MessagePort;
  /** Tick PROBE_HEARTBEAT from the waiter's event loop while its calls run. */
  heartbeat?: boolean;
  /** Frames the waiter commits (frameIndex 0..count-1) on `link` before it reports ready. */
  produceFirst?: { width: number; height: number; count: number };
};

/** The scenario's result: one outcome per call, probed or not, in call order. */
export type BlockingCallsResult = CallOutcome[];
