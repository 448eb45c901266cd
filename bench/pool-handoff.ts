/**
 * Pool handoff micro-benchmark in Node worker_threads: the variants of bench/handoff/core.ts
 * (wake floor, pooled with the consumer polling or sleeping, allocate-copy-transfer, the
 * unpooled strategy) on two threads, with the CPU the process burns during each variant.
 * The same code runs in Chromium's dedicated workers (bench/handoff/page.ts).
 *
 * Run: node --import tsx bench/pool-handoff.ts     (or import runPoolHandoffBench)
 */
import { MessageChannel, Worker, isMainThread, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { FRAME_BYTES, handoffThread, runHandoffVariant, variantFrames, type CpuClock, type HandoffArgs, type HandoffFigures, type PortLike, type Variant } from './handoff/core.ts';

export type { HandoffFigures } from './handoff/core.ts';

/** A variant's figures with the CPU it cost: cores = the process's CPU time ÷ wall time over the measured frames. */
export interface CostedFigures extends HandoffFigures {
  cores: number;
}

/** The whole process's CPU time (both threads; the main thread only waits). */
function processCpu(): CpuClock {
  let from = process.cpuUsage();
  return {
    mark: () => void (from = process.cpuUsage()),
    read: () => {
      const d = process.cpuUsage(from);
      return (d.user + d.system) / 1000;
    },
  };
}

export interface PoolHandoffBenchResult {
  frameBytes: number;
  pooled: CostedFigures;
  pooledPoll: CostedFigures;
  wakeFloor: CostedFigures;
  allocTransfer: CostedFigures;
  unpooled: CostedFigures;
  /** allocate-and-copy p50 ÷ pooled p50 (target ≥ 5). */
  ratioAllocTransferToPooledP50: number;
  ratioUnpooledToPooledP50: number;
  targets: { pooledP50Under10Us: boolean; pooledAtLeast5xCheaper: boolean };
}

function startThread(args: HandoffArgs, port: PortLike | null): Promise<void> {
  const bootstrap = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(import.meta.url)});`;
  const transferList = port === null ? [] : [port as unknown as import('node:worker_threads').MessagePort];
  const w = new Worker(bootstrap, { eval: true, workerData: { poolHandoffBench: { args, port } }, transferList });
  const guard = setTimeout(() => void w.terminate(), 120_000);
  return new Promise<void>((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', (code) => {
      clearTimeout(guard);
      if (code === 0) resolve();
      else reject(new Error(`bench worker exited ${code}`));
    });
  });
}

async function costed(variant: Variant, options: { frames?: number; copyFrames?: number; warmup?: number }): Promise<CostedFigures> {
  const { frames, warmup } = variantFrames(variant, options);
  return runHandoffVariant(startThread, () => new MessageChannel() as unknown as { port1: PortLike; port2: PortLike }, processCpu(), variant, frames, warmup);
}

/** Runs every variant and returns the figures (and whether the targets hold). */
export async function runPoolHandoffBench(options: { frames?: number; copyFrames?: number; warmup?: number } = {}): Promise<PoolHandoffBenchResult> {
  const wakeFloor = await costed('wake-floor', options);
  const pooledPoll = await costed('pooled-poll', options);
  const pooled = await costed('pooled', options);
  const allocTransfer = await costed('alloc-transfer', options);
  const unpooled = await costed('unpooled', options);
  const ratioA = allocTransfer.p50Us / pooled.p50Us;
  const ratioU = unpooled.p50Us / pooled.p50Us;
  return {
    frameBytes: FRAME_BYTES,
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

/** The result keyed by variant, as bench/handoff/chromium.ts's table reads both hosts. */
export function handoffByVariant(h: PoolHandoffBenchResult): Record<Variant, CostedFigures> {
  return { 'wake-floor': h.wakeFloor, 'pooled-poll': h.pooledPoll, pooled: h.pooled, 'alloc-transfer': h.allocTransfer, unpooled: h.unpooled };
}

const threadData = (workerData as { poolHandoffBench?: { args: HandoffArgs; port: PortLike | null } } | null)?.poolHandoffBench;
if (!isMainThread && threadData !== undefined) {
  await handoffThread(threadData.args, threadData.port);
} else if (isMainThread && process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const result = await runPoolHandoffBench();
  console.log(`pool handoff, 1080p I420 (${FRAME_BYTES} bytes) between two worker_threads:`);
  console.table({ 'wake floor (Atomics only)': result.wakeFloor, 'pooled, consumer polls': result.pooledPoll, pooled: result.pooled, 'alloc+copy+transfer': result.allocTransfer, 'unpooled (alloc+copy via shared)': result.unpooled });
}
