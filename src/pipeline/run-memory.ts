/**
 * A run's shared memory: built before its stages start (arena, the two links with their
 * pre-carved slots, metrics, control block, switch log) and, once every worker is gone,
 * checked for leaks and taken back.
 */
import { FrameArena } from '../pool/arena.ts';
import { FramePool } from '../pool/frame-pool.ts';
import { i420Layout } from '../pool/frame-format.ts';
import { createLink, passesInUpstreamSlots, PreviewReader, type AllocationMode } from '../pool/link.ts';
import { Metrics } from '../metrics/metrics-block.ts';
import { StageId } from '../metrics/stages.ts';
import { ControlBlock, type FaultKind, type PacingMode } from './control-block.ts';
import type { FrameSize, LadderRung } from './ladder.ts';
import type { PipelineShared } from './pipeline-shared.ts';
import type { StageKind } from './stage-protocol.ts';
import { SwitchLog } from './switch-log.ts';
import type { SwitchSchedule } from './switch-schedule.ts';

const STAGE_KINDS: readonly StageKind[] = ['decode', 'scale', 'encode'];
/** The scaler returns to its event loop between frames (link A's consumer listens). */
const LINK_A_LISTENS = true;

export interface RunMemoryOptions {
  mode: AllocationMode;
  linkCapacity: number;
  pacing: PacingMode;
  schedule: SwitchSchedule;
  startRung: LadderRung;
  fault: { stage: StageKind; frameIndex: number; kind?: FaultKind } | null;
}

export interface RunMemory {
  shared: PipelineShared;
  control: ControlBlock;
  switchLog: SwitchLog;
}

/** Builds a run's shared memory for a `source`-sized input and its ladder. */
export function createRunMemory(options: RunMemoryOptions, ladder: readonly { rung: LadderRung; size: FrameSize }[], source: FrameSize): RunMemory {
  const capacity = options.linkCapacity;
  // Warm-up of the pools: link A's native size and every size link B can be asked for are
  // carved before the run (capacity + 1 preview slot each), so no switch carves a slot. A
  // recorded schedule (Compare's replay) reaches only its own rungs; clicks may reach any.
  // On the identity rung (the source size) the scaler passes frames along: where they stay
  // in link A's slots (pooled), link B carves no slot of that size.
  // The arena starts at that size (plus alignment slack) and grows only for the unforeseen.
  const schedule = options.schedule;
  const reachable = schedule.kind === 'recorded'
    ? new Set([options.startRung, ...schedule.switches.map((s) => s.rung)])
    : null;
  const passes = passesInUpstreamSlots(options.mode, LINK_A_LISTENS);
  const targets = ladder
    .filter((entry) => !reachable || reachable.has(entry.rung))
    .map((entry) => entry.size)
    .filter((s) => !passes || s.width !== source.width || s.height !== source.height);
  const bytesOf = (s: FrameSize) => i420Layout(s.width, s.height).byteLength;
  const initialBytes = capacity * bytesOf(source) + (capacity + 1) * targets.reduce((sum, s) => sum + bytesOf(s), 0) + 64 * 1024;
  const arena = FrameArena.create({ initialBytes, maxBytes: Math.max(initialBytes * 2, 256 * 1024 * 1024) });
  const metrics = Metrics.create();
  const control = ControlBlock.create(options.pacing);
  const fault = options.fault;
  if (fault) control.injectFault(StageId[fault.stage], fault.frameIndex, fault.kind);
  const switchLog = new SwitchLog();
  const mode = options.mode;
  const linkA = createLink(arena, { name: 'decode→scale', mode, capacity, producer: StageId.decode, consumer: StageId.scale, consumerListens: LINK_A_LISTENS, sizes: [source], metrics });
  return {
    control,
    switchLog,
    shared: {
      arena: arena.shared,
      // The scaler returns to its event loop between frames; the encoder link stays a slot link
      // for every backend (the preview tap reads it in place; a WebCodecs encoder awaits it).
      // On the identity rung the scaler passes frames along (pooled: in link A's slots).
      linkA,
      linkB: createLink(arena, { name: 'scale→encode', mode, capacity, producer: StageId.scale, consumer: StageId.encode, preview: true, sink: true, sizes: targets, metrics, passFrom: linkA }),
      metrics: metrics.shared,
      control: control.buffer,
      switchLog: switchLog.buffer,
    },
  };
}

export interface ReclaimOutcome {
  /** Slot references each stage still held, counted BEFORE they were taken back (the leak check). */
  heldAtEnd: Record<StageKind, number>;
  /** Slots still held after the reclaim (must be 0). */
  heldAfterReclaim: number;
  reclaimedRefs: number;
}

/**
 * With every worker gone, records what each stage still held, then takes back those slot
 * references (frames queued, in flight, or held by a worker that died) and empties the
 * preview mailbox, so the pools end with nothing held. Throws if a dead worker left a pool's
 * lock held (the caller discards the pool).
 */
export function reclaimRunSlots(shared: PipelineShared | null): ReclaimOutcome {
  // Ended before its shared memory was built: no slot was ever carved.
  if (!shared) return { heldAtEnd: { decode: 0, scale: 0, encode: 0 }, heldAfterReclaim: 0, reclaimedRefs: 0 };
  const arena = FrameArena.attach(shared.arena);
  const links = [shared.linkA, shared.linkB];
  const pools = links.map((link) => FramePool.attach(link.pool, null, { countReuse: false, arena }));
  const heldAtEnd: Record<StageKind, number> = { decode: 0, scale: 0, encode: 0 };
  for (const pool of pools) {
    for (const leak of pool.findLeaks(0, -Infinity)) {
      if (leak.stageName !== 'preview') heldAtEnd[leak.stageName]++;
    }
  }
  let reclaimedRefs = 0;
  links.forEach((link, i) => {
    for (const kind of STAGE_KINDS) reclaimedRefs += pools[i]!.reclaimHeldBy(StageId[kind]);
    if (link.preview) PreviewReader.attach(link, Metrics.attach(shared.metrics), { arena }).clear();
  });
  const heldAfterReclaim = pools.reduce((n, pool) => n + pool.stats().heldSlots, 0);
  return { heldAtEnd, heldAfterReclaim, reclaimedRefs };
}
