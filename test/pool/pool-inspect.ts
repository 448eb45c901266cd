// Reading and setting a pool's per-slot state through the app's API (frames, slot, findLeaks),
// for tests; no worker_threads or bundling here, so scenario workers may import it too.
import { STAGE_COUNT } from '../../src/metrics/stages.ts';
import type { FramePool, SlotHandle } from '../../src/pool/frame-pool.ts';

/** Sets a held slot's frame index the way a link's producer does (through the slot's frame meta). */
export function writeFrameIndex(pool: FramePool, handle: SlotHandle, frameIndex: number): void {
  pool.frames.write(pool.slot(handle), { frameIndex, ptsUs: NaN, stamps: new Float64Array(STAGE_COUNT) });
}

/** The frame index in a held slot's meta. */
export function readFrameIndex(pool: FramePool, handle: SlotHandle): number {
  return pool.frames.frameIndex(pool.slot(handle));
}

/** True while `handle` names a held slot. */
export function isLive(pool: FramePool, handle: SlotHandle): boolean {
  try {
    pool.slot(handle);
    return true;
  } catch {
    return false;
  }
}

/** The stages holding references to `handle` (one entry per stage), as the leak detector sees them. */
export function holders(pool: FramePool, handle: SlotHandle): string[] {
  return pool.findLeaks(0, -Infinity).filter((l) => l.handle === handle).map((l) => l.stageName);
}

