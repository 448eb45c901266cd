/**
 * Which stages hold a slot's references, and since when: the data of the leak detector
 * (FramePool.findLeaks) and of reclaiming the references of a stage whose worker died. The
 * slot's total refcount stays in the pool's slot header; this file keeps its split by stage.
 *
 * ## Layout of `PoolShared.owners`
 * ```
 * Int32Array at byte 0, slot i at i·STAGE_COUNT + s:
 *   refs held by stage s      Atomics add/sub by stage s's thread; exchange by reclaim
 * Float64Array after it (8-aligned), slot i at i·STAGE_COUNT + s:
 *   heldSince of stage s      shared clock ms when s took its first current ref; plain store by
 *                             that thread; read by the leak detector (may be stale)
 * ```
 */
import { STAGE_COUNT, clock, stageName, type StageId } from '../metrics/stages.ts';
import { StaleHandleError } from './errors.ts';

function refsBytes(maxSlots: number): number {
  return Math.ceil((maxSlots * STAGE_COUNT * 4) / 8) * 8;
}

export class SlotOwners {
  private readonly refs: Int32Array;
  private readonly since: Float64Array;

  constructor(buffer: SharedArrayBuffer, maxSlots: number) {
    this.refs = new Int32Array(buffer, 0, maxSlots * STAGE_COUNT);
    this.since = new Float64Array(buffer, refsBytes(maxSlots), maxSlots * STAGE_COUNT);
  }

  /** Bytes of the shared buffer for `maxSlots` slots. */
  static bytes(maxSlots: number): number {
    return refsBytes(maxSlots) + maxSlots * STAGE_COUNT * 8;
  }

  /** A slot handed out: `stage` holds its one reference, from this thread's latest clock reading (clock[0]). */
  hold(slot: number, stage: StageId): void {
    const at = slot * STAGE_COUNT;
    const now = clock[0]!;
    for (let k = 0; k < STAGE_COUNT; k++) {
      Atomics.store(this.refs, at + k, k === stage ? 1 : 0);
      this.since[at + k] = k === stage ? now : 0;
    }
  }

  /** One more reference for `stage`; if it held none, held from this thread's latest clock reading (clock[0]). */
  add(slot: number, stage: StageId): void {
    const at = slot * STAGE_COUNT + stage;
    if (Atomics.add(this.refs, at, 1) === 0) this.since[at] = clock[0]!;
  }

  /** One reference fewer for `stage`; throws StaleHandleError if it holds none. */
  take(slot: number, stage: StageId, handle: number): void {
    const at = slot * STAGE_COUNT + stage;
    for (;;) {
      const r = Atomics.load(this.refs, at);
      if (r <= 0) throw new StaleHandleError(`stage ${stageName(stage)} holds no reference to handle ${handle}`);
      if (Atomics.compareExchange(this.refs, at, r, r - 1) === r) return;
    }
  }

  /** Takes every reference `stage` holds on the slot; returns how many. */
  takeAll(slot: number, stage: StageId): number {
    return Math.max(0, Atomics.exchange(this.refs, slot * STAGE_COUNT + stage, 0));
  }

  /** How long `stage` has held the slot at shared-clock time `nowMs`, or NaN if it holds no reference. */
  heldFor(slot: number, stage: StageId, nowMs: number): number {
    const at = slot * STAGE_COUNT + stage;
    return Atomics.load(this.refs, at) > 0 ? nowMs - this.since[at]! : NaN;
  }
}
