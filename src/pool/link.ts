/**
 * Links join a producer stage to a consumer stage and hide the allocation mode: stage code
 * uses LinkWriter / LinkReader and never branches on it. The mode (src/pool/modes/) decides
 * how a frame's memory is obtained and how it crosses: shared slots (slot-link.ts) or a
 * postMessage transfer (transfer-link.ts).
 *
 * Every frame-buffer allocation of any mode is counted by Metrics.countAllocation (fresh
 * buffers through allocateFrameBuffer, slot carvings here and in FramePool).
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import { StageCounter, stageHistogram } from '../metrics/metrics-block.ts';
import { StageId, sharedNow } from '../metrics/stages.ts';
import type { FrameArena } from './arena.ts';
import { PoolError } from './errors.ts';
import { i420ByteLength } from './frame-format.ts';
import { FramePool } from './frame-pool.ts';
import { FrameQueue } from './frame-queue.ts';
import { FrameRecord, type AttachLinkOptions, type LinkReader as Reader, type LinkShared, type LinkWriter as Writer, type ReadableFrame } from './frame-record.ts';
import { allocationMode, type AllocationMode } from './modes/index.ts';
import { ReadSide } from './slot-link.ts';
import { createCredits, stopCredits } from './transfer-link.ts';

export type { AllocationMode } from './modes/index.ts';
export type {
  AttachLinkOptions, BeginResult, CommitResult, LinkShared, NextResult, PeekedFrame, PeekResult, ReadableFrame, WritableFrame,
} from './frame-record.ts';

export interface LinkOptions {
  name: string;
  mode: AllocationMode;
  /** Frames in flight on the link (pool capacity per size class and queue capacity, or transfer credits). */
  capacity: number;
  producer: StageId;
  consumer: StageId;
  /**
   * The consumer returns to its event loop between frames, so a mode may send it frames by
   * message. False for a consumer blocked inside ffmpeg's exec. Default false.
   */
  consumerListens?: boolean;
  /** The consumer is the last stage: its done() records frames, stage time and end-to-end latency. */
  sink?: boolean;
  /** Add a latest-frame preview mailbox (read with PreviewReader). Slot links only. */
  preview?: boolean;
  /** Poison released slots (tests/debug). */
  poison?: boolean;
  /**
   * Frame sizes the run will use on this link, carved before it starts (the pool's warm-up),
   * so a switch between them allocates nothing. Costs capacity × Σ sizes of arena memory.
   */
  sizes?: readonly { width: number; height: number }[];
  /** Counts the pre-carved slots as allocations of the producer (they are, before frame 0). */
  metrics?: Metrics;
  /**
   * The link feeding this link's producer (same arena). When it is a slot link, a frame the
   * producer passes along unchanged (beginPass) travels on in that link's slot: its consumer
   * reads it in place there, and the slot counts against that link's capacity until released.
   */
  passFrom?: LinkShared;
}

/** Builds a link's shared state (controller thread). */
export function createLink(arena: FrameArena, options: LinkOptions): LinkShared {
  if (options.producer === options.consumer) throw new RangeError('a link joins two different stages');
  const transport = allocationMode(options.mode).transport(options.consumerListens ?? false);
  const from = options.passFrom;
  if (from !== undefined && from.pool.arena.memory !== arena.memory) throw new RangeError('a link passes frames along only from a link in the same arena');
  if (transport === 'transfer' && options.preview === true) throw new RangeError('a preview tap needs a slot link');
  // A preview ref can hold one extra slot beyond the frames in flight.
  const capacity = options.capacity + (options.preview === true ? 1 : 0);
  const sizes = transport === 'slots' ? options.sizes ?? [] : [];
  // Room for every pre-carved class at full capacity, plus two classes for sizes off the list.
  const maxClasses = Math.max(8, sizes.length + 2);
  const pool = FramePool.create(arena, { capacity, poison: options.poison ?? false, maxClasses, maxSlots: Math.min(1024, capacity * maxClasses) });
  for (const size of sizes) {
    const slotBytes = i420ByteLength(size.width, size.height);
    const bytes = pool.reserve(size.width, size.height, capacity);
    for (let b = 0; b < bytes; b += slotBytes) options.metrics?.countAllocation(options.producer, slotBytes);
  }
  return {
    kind: 'framepool-link',
    name: options.name,
    mode: options.mode,
    transport,
    producer: options.producer,
    consumer: options.consumer,
    sink: options.sink ?? false,
    capacity: options.capacity,
    pool: pool.shared,
    queue: FrameQueue.create(capacity).shared,
    preview: options.preview === true ? new SharedArrayBuffer(4) : null,
    credits: transport === 'transfer' ? createCredits() : null,
    upstream: from !== undefined && from.transport === 'slots' ? { name: from.name, pool: from.pool } : null,
  };
}

/**
 * True when, in `mode`, a frame passed along (LinkWriter.beginPass) out of a link whose consumer
 * listens (or not) stays in that link's slot, so the next link needs no slot of that frame's size.
 */
export function passesInUpstreamSlots(mode: AllocationMode, upstreamListens: boolean): boolean {
  const entry = allocationMode(mode);
  return entry.passesSlotsAlong && entry.transport(upstreamListens) === 'slots';
}

/** Fail the link from any thread: wakes every waiter on both sides with FailedError(code). */
export function failLink(shared: LinkShared, code: number): void {
  FrameQueue.attach(shared.queue).fail(code);
  FramePool.attach(shared.pool).fail(code);
  if (shared.credits) stopCredits(shared.credits, code);
}

/** The producer side of a link, in the link's mode. */
export const LinkWriter = {
  attach(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions = {}): Writer {
    return allocationMode(shared.mode).writer(shared, metrics, options);
  },
};

/** The consumer side of a link, in the link's mode. */
export const LinkReader = {
  attach(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions = {}): Reader {
    return allocationMode(shared.mode).reader(shared, metrics, options);
  },
};

export type LinkWriter = Writer;
export type LinkReader = Reader;

/** Main-thread side of a link's preview tap: take the newest frame, draw it, release it. */
export class PreviewReader {
  private readonly side: ReadSide;
  private readonly box: Int32Array;

  private constructor(
    readonly shared: LinkShared,
    private readonly metrics: Metrics,
    options: AttachLinkOptions,
  ) {
    if (shared.preview === null) throw new PoolError(`link ${shared.name} has no preview tap`);
    this.box = new Int32Array(shared.preview);
    // The preview is the dashboard looking at the pipeline, not a stage being compared: it
    // reads the slot in place in every mode. (Copying each unpooled frame out on the main
    // thread, up to 3 MB at 1080p, made 50–70 ms tasks there.)
    this.side = new ReadSide(shared, metrics, StageId.preview, false, options);
  }

  static attach(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions = {}): PreviewReader {
    return new PreviewReader(shared, metrics, options);
  }

  /** The newest frame not yet taken, or null. Release it with release(). */
  take(): ReadableFrame | null {
    const h = Atomics.exchange(this.box, 0, 0); // acquiring: the handle and its preview ref are ours
    if (h === 0) return null;
    return this.side.receive(h);
  }

  release(frame: ReadableFrame): void {
    const t = sharedNow();
    const startedAt = frame instanceof FrameRecord ? frame.startedAt : t;
    this.metrics.recordLatency(stageHistogram(StageId.preview), t - startedAt);
    this.metrics.count(StageId.preview, StageCounter.frames);
    this.side.finish(frame);
  }

  /** Drops a frame left in the mailbox (teardown). */
  clear(): void {
    const h = Atomics.exchange(this.box, 0, 0);
    if (h !== 0) this.side.release(h);
  }
}
