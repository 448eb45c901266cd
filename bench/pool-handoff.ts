/**
 * Micro-benchmark: handing one 1080p I420 frame (3,110,400 bytes) between two worker_threads.
 *
 *   wake-floor       no pool: one Atomics.store + notify waking a thread blocked in
 *                    Atomics.wait. The floor any blocking handoff pays on this machine.
 *   pooled-poll      as pooled, but the consumer polls (next(0)) instead of sleeping: the
 *                    pool's own cost without the thread wake-up.
 *   pooled           LinkWriter.begin (slot acquire) → write 16 bytes → commit (push)
 *                    → LinkReader.next (pop) → done (release). The shipped pooled path.
 *   alloc-transfer   new ArrayBuffer + copy 3.1 MB (the HEAPU8.slice pattern) → postMessage
 *                    transfer → received by the consumer's event loop.
 *   unpooled         the shipped unpooled strategy: fresh buffer + copy 3.1 MB, copy into a
 *                    shared transport slot, pop, fresh buffer + copy out (what a worker blocked
 *                    in exec must do without a pool).
 *
 * Each frame is sent only after the previous one was fully consumed (an ack word), so the
 * figure is the unloaded per-frame latency from the producer starting the frame to the
 * consumer being done with it, including the cross-thread wake. Both ends stamp with the
 * shared clock (performance.timeOrigin + performance.now()).
 *
 * Run: node --import tsx bench/pool-handoff.ts     (or import runPoolHandoffBench)
 */
import { MessageChannel, Worker, isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { Metrics, type MetricsShared } from '../src/metrics/metrics-block.ts';
import { StageId, sharedNow } from '../src/metrics/stages.ts';
import { FrameArena } from '../src/pool/arena.ts';
import { i420ByteLength } from '../src/pool/frame-format.ts';
import { LinkReader, LinkWriter, createLink, type LinkShared } from '../src/pool/link.ts';

const WIDTH = 1920;
const HEIGHT = 1080;
const BYTES = i420ByteLength(WIDTH, HEIGHT);

type Variant = 'pooled' | 'pooled-poll' | 'wake-floor' | 'alloc-transfer' | 'unpooled';

export interface HandoffFigures {
  frames: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
}

export interface PoolHandoffBenchResult {
  frameBytes: number;
  pooled: HandoffFigures;
  pooledPoll: HandoffFigures;
  wakeFloor: HandoffFigures;
  allocTransfer: HandoffFigures;
  unpooled: HandoffFigures;
  /** allocate-and-copy p50 ÷ pooled p50 (target ≥ 5). */
  ratioAllocTransferToPooledP50: number;
  ratioUnpooledToPooledP50: number;
  targets: { pooledP50Under10Us: boolean; pooledAtLeast5xCheaper: boolean };
}

interface WorkerArgs {
  role: 'producer' | 'consumer';
  variant: Variant;
  frames: number;
  warmup: number;
  link: LinkShared | null;
  metrics: MetricsShared;
  ack: SharedArrayBuffer;
  out: SharedArrayBuffer;
  /** alloc-transfer: the producer→consumer channel (one end each). */
  port: MessagePort | null;
  floor: SharedArrayBuffer;
}

// ack Int32 words: 0 = frames fully consumed (consumer publishes, producer waits on it).
function waitAck(ack: Int32Array, want: number): void {
  const deadline = performance.now() + 10_000;
  while (Atomics.load(ack, 0) < want) {
    if (performance.now() > deadline) throw new Error('bench: consumer stalled');
    Atomics.wait(ack, 0, Atomics.load(ack, 0), 100);
  }
}

function publishAck(ack: Int32Array, n: number): void {
  Atomics.store(ack, 0, n); // publishing store: frame n-1 is done
  Atomics.notify(ack, 0);
}

async function workerMain(a: WorkerArgs): Promise<void> {
  const ack = new Int32Array(a.ack);
  const lat = new Float64Array(a.out);
  const total = a.warmup + a.frames;
  const metrics = Metrics.attach(a.metrics);
  // wake-floor: Int32 word 0 = frames sent; Float64 word 1 = send stamp.
  const floorWord = new Int32Array(a.floor);
  const floor = new Float64Array(a.floor);
  if (a.role === 'producer') {
    const src = new Uint8Array(BYTES).fill(7); // stands in for a frame in a wasm heap
    const writer = a.link === null ? null : LinkWriter.attach(a.link, metrics);
    for (let i = 0; i < total; i++) {
      waitAck(ack, i);
      const t0 = sharedNow();
      if (a.variant === 'wake-floor') {
        floor[1] = t0;
        Atomics.store(floorWord, 0, i + 1); // publishing store
        Atomics.notify(floorWord, 0);
        continue;
      }
      if (a.variant === 'alloc-transfer') {
        const buf = new ArrayBuffer(BYTES);
        new Uint8Array(buf).set(src);
        a.port!.postMessage({ i, t0, buf }, [buf]);
        continue;
      }
      const f = writer!.begin(WIDTH, HEIGHT, 5000);
      if (f === 'timeout') throw new Error('bench: begin timed out');
      if (a.variant === 'unpooled') f.data.set(src);
      else for (let k = 0; k < 16; k++) f.data[k] = (i + k) & 0xff;
      f.frameIndex = i;
      f.ptsUs = t0; // carries the start stamp in the slot header
      if (writer!.commit(f, 5000) !== 'ok') throw new Error('bench: commit timed out');
    }
    writer?.end();
    return;
  }
  // consumer
  if (a.variant === 'alloc-transfer') {
    await new Promise<void>((resolve) => {
      a.port!.on('message', (m: { i: number; t0: number; buf: ArrayBuffer }) => {
        const view = new Uint8Array(m.buf);
        if (view[0] !== 7) throw new Error('bench: bad frame');
        const t1 = sharedNow();
        if (m.i >= a.warmup) lat[m.i - a.warmup] = (t1 - m.t0) * 1000;
        publishAck(ack, m.i + 1);
        if (m.i + 1 === total) {
          a.port!.close();
          resolve();
        }
      });
    });
    return;
  }
  if (a.variant === 'wake-floor') {
    for (let i = 0; i < total; i++) {
      while (Atomics.load(floorWord, 0) <= i) Atomics.wait(floorWord, 0, i, 5000);
      const t1 = sharedNow();
      if (i >= a.warmup) lat[i - a.warmup] = (t1 - floor[1]!) * 1000;
      publishAck(ack, i + 1);
    }
    return;
  }
  const reader = LinkReader.attach(a.link!, metrics);
  const poll = a.variant === 'pooled-poll';
  for (let i = 0; i < total; i++) {
    let f = reader.next(poll ? 0 : 5000);
    if (poll) {
      const deadline = performance.now() + 5000;
      while (f === 'timeout' && performance.now() < deadline) f = reader.next(0);
    }
    if (typeof f === 'string') throw new Error(`bench: next ${f}`);
    const t0 = f.ptsUs;
    if (f.data[0] === undefined) throw new Error('bench: empty frame');
    reader.done(f);
    const t1 = sharedNow();
    if (i >= a.warmup) lat[i - a.warmup] = (t1 - t0) * 1000;
    publishAck(ack, i + 1);
  }
}

function startWorker(args: WorkerArgs): Worker {
  const self = import.meta.url;
  const bootstrap = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(self)});`;
  return new Worker(bootstrap, { eval: true, workerData: { poolHandoffBench: args }, transferList: args.port === null ? [] : [args.port] });
}

function done(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench worker exited ${code}`))));
  });
}

async function runVariant(variant: Variant, frames: number, warmup: number): Promise<HandoffFigures> {
  const metrics = Metrics.create();
  let link: LinkShared | null = null;
  if (variant !== 'alloc-transfer' && variant !== 'wake-floor') {
    const arena = FrameArena.create({ initialBytes: 4 * BYTES, maxBytes: 16 * BYTES });
    link = createLink(arena, { name: variant, mode: variant === 'unpooled' ? 'unpooled' : 'pooled', capacity: 2, producer: StageId.decode, consumer: StageId.scale });
  }
  const ack = new SharedArrayBuffer(8);
  const out = new SharedArrayBuffer(frames * 8);
  const common = { variant, frames, warmup, link, metrics: metrics.shared, ack, out, floor: new SharedArrayBuffer(16) };
  const channel = variant === 'alloc-transfer' ? new MessageChannel() : null;
  const consumer = startWorker({ role: 'consumer', ...common, port: channel?.port2 ?? null });
  const producer = startWorker({ role: 'producer', ...common, port: channel?.port1 ?? null });
  const guard = setTimeout(() => {
    void consumer.terminate();
    void producer.terminate();
  }, 120_000);
  try {
    await Promise.all([done(producer), done(consumer)]);
  } finally {
    clearTimeout(guard);
  }
  return figures(new Float64Array(out));
}

function figures(latUs: Float64Array): HandoffFigures {
  const sorted = Float64Array.from(latUs).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v: number): number => Math.round(v * 10) / 10;
  return { frames: sorted.length, p50Us: r(at(0.5)), p99Us: r(at(0.99)), meanUs: r(sum / sorted.length), maxUs: r(at(1)) };
}

/** Runs all three variants and returns the figures (and whether the targets hold). */
export async function runPoolHandoffBench(options: { frames?: number; copyFrames?: number; warmup?: number } = {}): Promise<PoolHandoffBenchResult> {
  const warmup = options.warmup ?? 200;
  const wakeFloor = await runVariant('wake-floor', options.frames ?? 20_000, warmup);
  const pooledPoll = await runVariant('pooled-poll', options.frames ?? 20_000, warmup);
  const pooled = await runVariant('pooled', options.frames ?? 20_000, warmup);
  const allocTransfer = await runVariant('alloc-transfer', options.copyFrames ?? 1000, 50);
  const unpooled = await runVariant('unpooled', options.copyFrames ?? 1000, 50);
  const ratioA = allocTransfer.p50Us / pooled.p50Us;
  const ratioU = unpooled.p50Us / pooled.p50Us;
  return {
    frameBytes: BYTES,
    pooled,
    pooledPoll,
    wakeFloor,
    allocTransfer,
    unpooled,
    ratioAllocTransferToPooledP50: Math.round(ratioA * 10) / 10,
    ratioUnpooledToPooledP50: Math.round(ratioU * 10) / 10,
    targets: { pooledP50Under10Us: pooled.p50Us < 10, pooledAtLeast5xCheaper: ratioA >= 5 && ratioU >= 5 },
  };
}

const benchArgs = (workerData as { poolHandoffBench?: WorkerArgs } | null)?.poolHandoffBench;
if (!isMainThread && benchArgs !== undefined) {
  await workerMain(benchArgs);
} else if (isMainThread && process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const result = await runPoolHandoffBench();
  console.log(`pool handoff, 1080p I420 (${BYTES} bytes) between two worker_threads:`);
  console.table({ 'wake floor (Atomics only)': result.wakeFloor, 'pooled, consumer polls': result.pooledPoll, pooled: result.pooled, 'alloc+copy+transfer': result.allocTransfer, 'unpooled (alloc+copy via shared)': result.unpooled });
  console.log(JSON.stringify(result, null, 2));
}
