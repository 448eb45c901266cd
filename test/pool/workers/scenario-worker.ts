// Runs one named test scenario in a worker_threads Worker (see ../helpers.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { Metrics, type MetricsShared } from '../../../src/metrics/metrics-block.ts';
import type { StageId } from '../../../src/metrics/stages.ts';
import { ClosedError, FailedError, errorToData } from '../../../src/pool/errors.ts';
import { FrameArena } from '../../../src/pool/arena.ts';
import { FramePool, type PoolShared } from '../../../src/pool/frame-pool.ts';
import { FrameQueue, QueueResult, type QueueShared } from '../../../src/pool/frame-queue.ts';
import { LinkReader, LinkWriter, type LinkShared, type WritableFrame } from '../../../src/pool/link.ts';
import {
  PROBE_HEARTBEAT,
  PROBE_TICK,
  probeArmed,
  probeReturned,
  probeReturnTick,
  type BlockingCall,
  type BlockingCallsData,
  type BlockingCallsResult,
  type CallOutcome,
} from './blocking-call.protocol.ts';
import { writeFrameIndex } from '../pool-inspect.ts';
import { checksum, fillFrame, sizeSchedule } from '../stress-data.ts';

interface Data {
  scenario: string;
  [k: string]: unknown;
}

const data = workerData as Data;
const port = parentPort!;

function ready(info?: unknown): void {
  port.postMessage({ type: 'ready', info });
}

/** Waits until words[index] !== value (bounded). */
function waitFor(words: Int32Array, index: number, value: number, timeoutMs = 20_000): void {
  const deadline = Date.now() + timeoutMs;
  while (Atomics.load(words, index) === value) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`gate ${index} not opened in time`);
    Atomics.wait(words, index, value, left);
  }
}

/** The waiter side of a wake-up test: see blocking-call.protocol.ts. */
async function runBlockingCalls(d: BlockingCallsData): Promise<BlockingCallsResult> {
  const probe = new Int32Array(d.probe);
  const metrics = d.metrics === undefined ? null : Metrics.attach(d.metrics);
  let writer: LinkWriter | null = null;
  let reader: LinkReader | null = null;
  let open: WritableFrame | null = null;
  const linkArgs = (): [LinkShared, Metrics, { port?: MessagePort }] => {
    if (d.link === undefined || metrics === null) throw new Error('link-* calls need link and metrics');
    return [d.link, metrics, d.port === undefined ? {} : { port: d.port }];
  };
  const linkWriter = (): LinkWriter => (writer ??= LinkWriter.attach(...linkArgs()));
  const linkReader = (): LinkReader => (reader ??= LinkReader.attach(...linkArgs()));

  if (d.produceFirst !== undefined) {
    const { width, height, count } = d.produceFirst;
    for (let i = 0; i < count; i++) {
      const f = linkWriter().begin(width, height, 5000);
      if (f === 'timeout') throw new Error(`produceFirst: begin timed out at ${i}`);
      f.frameIndex = i;
      if (linkWriter().commit(f, 5000) === 'timeout') throw new Error(`produceFirst: commit timed out at ${i}`);
    }
  }

  const perform = async (call: BlockingCall, t0: number): Promise<CallOutcome> => {
    const ms = (): number => performance.now() - t0;
    const queueOutcome = (r: number): CallOutcome =>
      r === QueueResult.end ? { outcome: 'end', ms: ms() } : r === QueueResult.timeout ? { outcome: 'timeout', ms: ms() } : { outcome: 'item', value: r, ms: ms() };
    switch (call.kind) {
      case 'queue-pop':
        return queueOutcome(FrameQueue.attach(call.queue).pop(call.timeoutMs));
      case 'queue-pop-async':
        return queueOutcome(await FrameQueue.attach(call.queue).popAsync(call.timeoutMs));
      case 'queue-peek':
        return queueOutcome(FrameQueue.attach(call.queue).peek(call.timeoutMs));
      case 'queue-push':
        return FrameQueue.attach(call.queue).push(call.item, call.timeoutMs) ? { outcome: 'pushed', ms: ms() } : { outcome: 'timeout', ms: ms() };
      case 'pool-acquire':
      case 'pool-acquire-async': {
        const pool = FramePool.attach(call.pool);
        const h =
          call.kind === 'pool-acquire'
            ? pool.acquire(call.width, call.height, call.stage, call.timeoutMs)
            : await pool.acquireAsync(call.width, call.height, call.stage, call.timeoutMs);
        return h === null ? { outcome: 'timeout', ms: ms() } : { outcome: 'handle', value: h, ms: ms() };
      }
      case 'link-next':
      case 'link-next-async': {
        const r = linkReader();
        const f = call.kind === 'link-next' ? r.next(call.timeoutMs) : await r.nextAsync(call.timeoutMs);
        if (typeof f === 'string') return { outcome: f, ms: ms() };
        const out: CallOutcome = { outcome: 'frame', frameIndex: f.frameIndex, width: f.width, height: f.height, ms: ms() };
        r.done(f);
        return out;
      }
      case 'link-peek': {
        const p = linkReader().peek(call.timeoutMs);
        if (typeof p === 'string') return { outcome: p, ms: ms() };
        return { outcome: 'frame', frameIndex: p.frameIndex, width: p.width, height: p.height, ms: ms() };
      }
      case 'link-begin':
      case 'link-begin-async': {
        const w = linkWriter();
        const f = call.kind === 'link-begin' ? w.begin(call.width, call.height, call.timeoutMs) : await w.beginAsync(call.width, call.height, call.timeoutMs);
        if (f === 'timeout') return { outcome: 'timeout', ms: ms() };
        open = f;
        return { outcome: 'begun', ms: ms() };
      }
      case 'link-commit': {
        if (open === null) throw new Error('link-commit without link-begin');
        open.frameIndex = call.frameIndex;
        if (linkWriter().commit(open, call.timeoutMs) === 'timeout') return { outcome: 'timeout', ms: ms() };
        open = null;
        return { outcome: 'committed', ms: ms() };
      }
    }
  };

  const heartbeat = d.heartbeat === true ? setInterval(() => Atomics.add(probe, PROBE_HEARTBEAT, 1), 2) : null;
  ready();
  const outcomes: CallOutcome[] = [];
  let step = d.firstStep;
  for (const call of d.calls) {
    const s = call.probe ? step++ : -1;
    if (s >= 0) {
      Atomics.store(probe, probeArmed(s), 1);
      Atomics.notify(probe, probeArmed(s));
    }
    const t0 = performance.now();
    let outcome: CallOutcome;
    try {
      outcome = await perform(call, t0);
    } catch (e) {
      const ms = performance.now() - t0;
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof FailedError) outcome = { outcome: 'FailedError', code: e.code, message, ms };
      else if (e instanceof ClosedError) outcome = { outcome: 'ClosedError', message, ms };
      else outcome = { outcome: 'other-error', message: `${e instanceof Error ? e.name : 'thrown'}: ${message}`, ms };
    }
    if (s >= 0) {
      Atomics.store(probe, probeReturnTick(s), Atomics.add(probe, PROBE_TICK, 1) + 1);
      Atomics.store(probe, probeReturned(s), 1); // after the tick: a test that sees this sees the tick
      Atomics.notify(probe, probeReturned(s));
    }
    outcomes.push(outcome);
  }
  if (heartbeat !== null) clearInterval(heartbeat);
  return outcomes;
}

type Scenario = () => unknown | Promise<unknown>;

const scenarios: Record<string, Scenario> = {
  /** Blocking calls, each step announced and recorded in a wait probe (blocking-call.protocol.ts). */
  'blocking-calls': () => runBlockingCalls(data as unknown as BlockingCallsData),

  /** Fan-out consumer: reads a slot it holds a ref to, waits for its gate, releases. */
  'fanout-reader': () => {
    const pool = FramePool.attach(data.pool as PoolShared);
    const gate = new Int32Array(data.gate as SharedArrayBuffer);
    const handle = data.handle as number;
    const stage = data.stage as StageId;
    const sum = checksum(pool.data(handle));
    ready(sum);
    waitFor(gate, 0, 0);
    const again = checksum(pool.data(handle));
    pool.release(handle, stage);
    return { sum, again };
  },

  /** Holds a view of a slot while the main thread grows the arena; checks both slots. */
  'grow-view': () => {
    const pool = FramePool.attach(data.pool as PoolShared);
    const arena = pool.arena;
    const gate = new Int32Array(data.gate as SharedArrayBuffer);
    const handle = data.handle as number;
    const view = pool.data(handle);
    const before = checksum(view);
    const bytesBefore = arena.memory.buffer.byteLength;
    const epochBefore = arena.epoch();
    ready({ before, bytesBefore });
    waitFor(gate, 0, 0); // main grew the arena and wrote gate[1] = new handle
    const newHandle = Atomics.load(gate, 1);
    const epochAfter = arena.epoch();
    const oldViewAfter = checksum(view); // view made before the grow
    const freshOld = checksum(pool.data(handle)); // view remade after the grow
    const newView = pool.data(newHandle);
    const newSum = checksum(newView);
    return {
      before,
      oldViewAfter,
      freshOld,
      newSum,
      newOffsetEnd: newView.byteOffset + newView.byteLength,
      bytesBefore,
      bytesAfter: arena.memory.buffer.byteLength,
      epochBefore,
      epochAfter,
      remade: pool.data(handle) !== view,
    };
  },

  /** Acquires slots for a stage and never releases them; the test terminates this worker. */
  'dead-holder': () => {
    const pool = FramePool.attach(data.pool as PoolShared);
    const handles: number[] = [];
    for (let i = 0; i < (data.count as number); i++) {
      const h = pool.acquire(data.width as number, data.height as number, data.stage as StageId, 5000);
      if (h === null) throw new Error('dead-holder could not acquire');
      writeFrameIndex(pool, h, 100 + i);
      handles.push(h);
    }
    ready(handles);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000); // "dies" here
    return null;
  },

  /** Stress producer: frames numbered 0..frames-1, sizes from the seeded schedule. */
  'stress-producer': () => {
    const metrics = Metrics.attach(data.metrics as MetricsShared);
    const w = LinkWriter.attach(data.link as LinkShared, metrics);
    const frames = data.frames as number;
    const seed = data.seed as number;
    const sizes = sizeSchedule(seed, frames);
    ready();
    for (let seq = 0; seq < frames; seq++) {
      const width = sizes.width(seq);
      const height = sizes.height(seq);
      const f = w.begin(width, height, 10_000);
      if (f === 'timeout') throw new Error(`producer: begin timed out at ${seq}`);
      const sum = fillFrame(f.data, seed, seq);
      f.frameIndex = seq;
      f.ptsUs = sum;
      if (w.commit(f, 10_000) === 'timeout') throw new Error(`producer: commit timed out at ${seq}`);
    }
    w.end();
    return { frames };
  },

  /** Stress relay: verifies each frame, copies it into the next link (like the scale stage). */
  'stress-relay': () => {
    const metrics = Metrics.attach(data.metrics as MetricsShared);
    const arena = FrameArena.attach((data.input as LinkShared).pool.arena);
    const r = LinkReader.attach(data.input as LinkShared, metrics, { arena });
    const w = LinkWriter.attach(data.output as LinkShared, metrics, { arena });
    const seed = data.seed as number;
    let n = 0;
    let bad = 0;
    let jitter = seed | 1;
    ready();
    for (;;) {
      const f = r.next(10_000);
      if (f === 'end') break;
      if (f === 'timeout') throw new Error(`relay: next timed out after ${n}`);
      if (checksum(f.data) !== f.ptsUs) bad++;
      const out = w.begin(f.width, f.height, 10_000);
      if (out === 'timeout') throw new Error(`relay: begin timed out at ${n}`);
      out.data.set(f.data);
      out.frameIndex = f.frameIndex;
      out.ptsUs = f.ptsUs;
      out.stamps.set(f.stamps);
      // Vary the interleaving a little (seeded): sometimes hold the input a few µs longer.
      jitter ^= jitter << 13;
      jitter ^= jitter >>> 17;
      jitter ^= jitter << 5;
      if ((jitter & 63) === 0) for (let spin = 0; spin < 2000; spin++) jitter = (jitter + spin) | 0;
      r.done(f);
      if (w.commit(out, 10_000) === 'timeout') throw new Error(`relay: commit timed out at ${n}`);
      n++;
    }
    w.end();
    return { relayed: n, bad };
  },

  /** Stress consumer/verifier: order, completeness, size and bytes of every frame. */
  'stress-consumer': () => {
    const metrics = Metrics.attach(data.metrics as MetricsShared);
    const r = LinkReader.attach(data.link as LinkShared, metrics);
    const seed = data.seed as number;
    const frames = data.frames as number;
    const sizes = sizeSchedule(seed, frames);
    const scratch = new Uint8Array(2 * 64 * 64);
    let expected = 0;
    let count = 0;
    const errors: string[] = [];
    const note = (s: string): void => {
      if (errors.length < 10) errors.push(s);
    };
    ready();
    for (;;) {
      const f = r.next(10_000);
      if (f === 'end') break;
      if (f === 'timeout') {
        note(`timeout after ${count}`);
        break;
      }
      const seq = f.frameIndex;
      if (seq !== expected) note(`order: got ${seq}, expected ${expected}`);
      if (f.width !== sizes.width(seq) || f.height !== sizes.height(seq)) note(`size of ${seq}: ${f.width}x${f.height}`);
      const sum = checksum(f.data);
      if (sum !== f.ptsUs) note(`torn ${seq}: checksum ${sum} vs header ${f.ptsUs}`);
      const want = fillFrame(scratch.subarray(0, f.byteLength), seed, seq);
      if (sum !== want) note(`content ${seq}: ${sum} vs expected ${want}`);
      expected = seq + 1;
      count++;
      r.done(f);
    }
    return { count, lastSeq: expected - 1, errors };
  },
};

const run = scenarios[data.scenario];
if (run === undefined) {
  port.postMessage({ type: 'error', error: { name: 'Error', message: `no scenario ${data.scenario}` } });
} else {
  try {
    const value = await run();
    port.postMessage({ type: 'result', value });
  } catch (e) {
    port.postMessage({ type: 'error', error: errorToData(e) });
  }
}
