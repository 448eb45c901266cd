/**
 * Pool handoff micro-benchmark, host-agnostic: handing one 1080p I420 frame (3,110,400 bytes)
 * between two threads, the same code in Node worker_threads (bench/pool-handoff.ts) and in
 * Chromium dedicated workers (bench/handoff/page.ts), so the two tables compare like with like.
 *
 *   wake-floor       no pool: one Atomics.store + notify waking a thread blocked in
 *                    Atomics.wait. The floor any blocking handoff pays on this machine.
 *   pooled-poll      as pooled, but the consumer spins (next(0)) instead of sleeping: the
 *                    pool's own cost without the thread wake-up, paid for with a busy core
 *                    (the host counts the CPU it burns beside the figures).
 *   pooled           LinkWriter.begin (slot acquire) → write 16 bytes → commit (push)
 *                    → LinkReader.next (pop) → done (release). The shipped pooled path.
 *   alloc-transfer   new ArrayBuffer + copy 3.1 MB (the HEAPU8.slice pattern) → postMessage
 *                    transfer → received by the consumer's event loop.
 *   unpooled         the shipped unpooled strategy: fresh buffer + copy 3.1 MB, copy into a
 *                    shared transport slot, pop, fresh buffer + copy out.
 *
 * Each frame is sent only after the previous one was fully consumed (an ack word), so the
 * figure is the unloaded per-frame latency from the producer starting the frame to the
 * consumer being done with it, including the cross-thread wake. Both ends stamp with the
 * shared clock (performance.timeOrigin + performance.now()).
 */
import { Metrics, type MetricsShared } from '../../src/metrics/metrics-block.ts';
import { StageId, sharedNow } from '../../src/metrics/stages.ts';
import { FrameArena } from '../../src/pool/arena.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import { LinkReader, LinkWriter, createLink, type LinkShared } from '../../src/pool/link.ts';

export const WIDTH = 1920;
export const HEIGHT = 1080;
export const FRAME_BYTES = i420ByteLength(WIDTH, HEIGHT);

export const VARIANTS = ['wake-floor', 'pooled-poll', 'pooled', 'alloc-transfer', 'unpooled'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface HandoffFigures {
  frames: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  /** Wall time of the measured frames (the first after warm-up started → both threads done), ms. */
  wallMs: number;
}

/** What each of the two threads gets (structured-cloneable: shared buffers only). */
export interface HandoffArgs {
  role: 'producer' | 'consumer';
  variant: Variant;
  frames: number;
  warmup: number;
  link: LinkShared | null;
  metrics: MetricsShared;
  ack: SharedArrayBuffer;
  out: SharedArrayBuffer;
  floor: SharedArrayBuffer;
  /** Int32 word 0: 1 once the producer starts its first measured frame (the host then reads its CPU clock). */
  phase: SharedArrayBuffer;
}

/** The host's CPU clock around the measured frames: `mark()` at their start, `read()` at the end gives CPU ms since the mark. */
export interface CpuClock {
  mark(): void | Promise<void>;
  read(): number | Promise<number>;
}

/** A message port as both hosts have it (Node's MessagePort and the DOM's both support this much). */
export interface PortLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/** Starts one thread running `handoffThread(args, port)`; resolves when it has finished. */
export type StartThread = (args: HandoffArgs, port: PortLike | null) => Promise<void>;

// ack Int32 word 0 = frames fully consumed (consumer publishes, producer waits on it).
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

/** One thread's side of a variant (runs inside the worker). */
export async function handoffThread(a: HandoffArgs, port: PortLike | null): Promise<void> {
  const ack = new Int32Array(a.ack);
  const lat = new Float64Array(a.out);
  const total = a.warmup + a.frames;
  const metrics = Metrics.attach(a.metrics);
  // wake-floor: Int32 word 0 = frames sent; Float64 word 1 = send stamp.
  const floorWord = new Int32Array(a.floor);
  const floor = new Float64Array(a.floor);
  if (a.role === 'producer') {
    const src = new Uint8Array(FRAME_BYTES).fill(7); // stands in for a frame in a wasm heap
    const writer = a.link === null ? null : LinkWriter.attach(a.link, metrics);
    const phase = new Int32Array(a.phase);
    for (let i = 0; i < total; i++) {
      waitAck(ack, i);
      if (i === a.warmup) {
        Atomics.store(phase, 0, 1);
        Atomics.notify(phase, 0);
      }
      const t0 = sharedNow();
      if (a.variant === 'wake-floor') {
        floor[1] = t0;
        Atomics.store(floorWord, 0, i + 1); // publishing store
        Atomics.notify(floorWord, 0);
        continue;
      }
      if (a.variant === 'alloc-transfer') {
        const buf = new ArrayBuffer(FRAME_BYTES);
        new Uint8Array(buf).set(src);
        port!.postMessage({ i, t0, buf }, [buf]);
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
      port!.onmessage = (event) => {
        const m = event.data as { i: number; t0: number; buf: ArrayBuffer };
        const view = new Uint8Array(m.buf);
        if (view[0] !== 7) throw new Error('bench: bad frame');
        const t1 = sharedNow();
        if (m.i >= a.warmup) lat[m.i - a.warmup] = (t1 - m.t0) * 1000;
        publishAck(ack, m.i + 1);
        if (m.i + 1 === total) {
          port!.close();
          resolve();
        }
      };
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

/**
 * Runs one variant on two fresh threads of the host and returns its figures, with the CPU the
 * host's clock counted over the measured frames as cores (CPU time ÷ wall time): a spinning
 * consumer shows as the busy core it is.
 */
export async function runHandoffVariant(
  start: StartThread, newChannel: () => { port1: PortLike; port2: PortLike }, cpu: CpuClock,
  variant: Variant, frames: number, warmup: number,
): Promise<HandoffFigures & { cores: number }> {
  const metrics = Metrics.create();
  let link: LinkShared | null = null;
  if (variant !== 'alloc-transfer' && variant !== 'wake-floor') {
    const arena = FrameArena.create({ initialBytes: 4 * FRAME_BYTES, maxBytes: 16 * FRAME_BYTES });
    link = createLink(arena, { name: variant, mode: variant === 'unpooled' ? 'unpooled' : 'pooled', capacity: 2, producer: StageId.decode, consumer: StageId.scale });
  }
  const out = new SharedArrayBuffer(frames * 8);
  const phase = new SharedArrayBuffer(4);
  const common = { variant, frames, warmup, link, metrics: metrics.shared, ack: new SharedArrayBuffer(8), out, floor: new SharedArrayBuffer(16), phase };
  const channel = variant === 'alloc-transfer' ? newChannel() : null;
  const consumer = start({ role: 'consumer', ...common }, channel?.port2 ?? null);
  const producer = start({ role: 'producer', ...common }, channel?.port1 ?? null);
  const measuring = Atomics.waitAsync(new Int32Array(phase), 0, 0);
  if (measuring.async) await measuring.value;
  const t0 = performance.now();
  await cpu.mark();
  await Promise.all([producer, consumer]);
  const cpuMs = await cpu.read();
  const wallMs = performance.now() - t0;
  return { ...handoffFigures(new Float64Array(out)), wallMs, cores: Math.round((cpuMs / wallMs) * 100) / 100 };
}

function handoffFigures(latUs: Float64Array): Omit<HandoffFigures, 'wallMs'> {
  const sorted = Float64Array.from(latUs).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v: number): number => Math.round(v * 10) / 10;
  return { frames: sorted.length, p50Us: r(at(0.5)), p99Us: r(at(0.99)), meanUs: r(sum / sorted.length), maxUs: r(at(1)) };
}

/** Frames per variant: the blocking paths are cheap, the copying ones are not. */
export function variantFrames(variant: Variant, options: { frames?: number; copyFrames?: number; warmup?: number }): { frames: number; warmup: number } {
  const copies = variant === 'alloc-transfer' || variant === 'unpooled';
  return copies ? { frames: options.copyFrames ?? 1000, warmup: 50 } : { frames: options.frames ?? 20_000, warmup: options.warmup ?? 200 };
}
