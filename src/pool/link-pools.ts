/**
 * The pools a slot link's handles name: its own, and its upstream link's (LinkShared.upstream),
 * whose slots a producer may pass along in place (LinkWriter.beginPass): the identity rung of
 * the scaler hands the decoder's slot itself to the encoder. Such a handle travels on this
 * link's queue and preview mailbox with bit 30 set (PASSED); the rest is the upstream pool's
 * own generation-checked handle, so every reference, owner stage, leak and reclaim of that
 * slot stays in the upstream pool's books. Allocation-free.
 */
import type { Metrics } from '../metrics/metrics-block.ts';
import type { StageId } from '../metrics/stages.ts';
import { StaleHandleError } from './errors.ts';
import { FramePool, type AttachOptions, type SlotHandle } from './frame-pool.ts';
import type { FrameArena } from './arena.ts';
import type { FrameMetaFields } from './frame-meta.ts';
import type { LinkShared } from './frame-record.ts';

/** Marks a link handle that names a slot of the upstream link's pool (pool-layout.ts keeps generations below it). */
export const PASSED = 1 << 30;

export class LinkPools {
  /** This link's own pool. */
  readonly own: FramePool;
  private readonly upstream: FramePool | null;

  constructor(shared: LinkShared, metrics: Metrics, options: AttachOptions & { arena?: FrameArena }) {
    this.own = FramePool.attach(shared.pool, metrics, options);
    // Only released, read and handed on here (never acquired): nothing to count.
    this.upstream = shared.upstream === null ? null : FramePool.attach(shared.upstream.pool, null, { countReuse: false, arena: this.own.arena });
  }

  /** The pool that holds link handle `h`. */
  pool(h: SlotHandle): FramePool {
    if ((h & PASSED) === 0) return this.own;
    if (this.upstream === null) throw new StaleHandleError(`handle ${h} names an upstream slot, but this link has no upstream`);
    return this.upstream;
  }

  addRef(h: SlotHandle, stage: StageId): void {
    this.pool(h).addRef(h & ~PASSED, stage);
  }

  transferRef(h: SlotHandle, from: StageId, to: StageId): void {
    this.pool(h).transferRef(h & ~PASSED, from, to);
  }

  release(h: SlotHandle, stage: StageId): void {
    this.pool(h).release(h & ~PASSED, stage);
  }

  data(h: SlotHandle): Uint8Array {
    return this.pool(h).data(h & ~PASSED);
  }

  width(h: SlotHandle): number {
    return this.pool(h).width(h & ~PASSED);
  }

  height(h: SlotHandle): number {
    return this.pool(h).height(h & ~PASSED);
  }

  byteLength(h: SlotHandle): number {
    return this.pool(h).byteLength(h & ~PASSED);
  }

  frameIndex(h: SlotHandle): number {
    const pool = this.pool(h);
    return pool.frames.frameIndex(pool.slot(h & ~PASSED));
  }

  /** The frame's meta into its slot (the holder, before handing it on). */
  writeMeta(h: SlotHandle, from: FrameMetaFields): void {
    const pool = this.pool(h);
    pool.frames.write(pool.slot(h & ~PASSED), from);
  }

  readMeta(h: SlotHandle, into: FrameMetaFields): void {
    const pool = this.pool(h);
    pool.frames.read(pool.slot(h & ~PASSED), into);
  }
}
