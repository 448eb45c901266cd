/**
 * The run's control block: the only way to steer workers while ffmpeg's `exec` blocks their
 * event loops (DESIGN.md, "The blocked-worker fact").
 *
 * Byte layout (one SharedArrayBuffer, 256 bytes):
 *   Int32 view, words 0..15
 *     0 RUN_STATE        0 = running, 1 = stop requested, 2 = failed.
 *                        Writer: controller (main). Readers: every stage, per frame.
 *     1 TARGET_SEQ       a sequence lock over TARGET_W/H and REQUESTED_AT: odd while the
 *                        controller (the only writer) writes them, even once published.
 *                        Reader: scale stage, per frame, through readTarget(), which
 *                        re-reads the sequence after the fields and retries if it moved, so
 *                        two quick requests can never be seen as one W of the first and H
 *                        of the second.
 *     2 TARGET_W, 3 TARGET_H   the manually requested target size (even numbers).
 *     4 PACING           0 = max (as fast as stages go), 1 = realtime (source frame rate).
 *                        Written before the run starts; read by decode per frame.
 *     5 FAILED_STAGE     stage id of the first failure, -1 if none. Writer: the failing
 *                        stage or the controller (compareExchange: first failure wins).
 *     6 SWITCH_COUNT     entries written to the switch log (publishing store, after the
 *                        entry). Writer: scale stage. Reader: controller.
 *     7 SEGMENT_COUNT    segments closed by the encoder (informational).
 *     8 PARKING          always 0, never notified: stages `Atomics.wait` on it to sleep
 *                        (realtime pacing) without spinning.
 *     9 FAULT_STAGE, 10 FAULT_FRAME   fault injection for tests and demos: the stage with
 *                        that id fails when it handles that frame index (-1 = none).
 *                        Written before the run starts; read by every stage per frame.
 *     11..13 PROGRESS    per stage id (decode, scale, encode): a counter the stage bumps
 *                        (Atomics.add) for every frame it handles and every wait slice it
 *                        spends blocked on a neighbour; decode also for every read of the
 *                        input (a long stretch without video is progress, not a stall).
 *                        Reader: the controller's watchdog, which only compares values;
 *                        wrap-around is harmless.
 *     14 FAULT_KIND      how the injected fault fails: 0 = throw, 1 = stall (block without
 *                        progress, ignoring stop, as a hung codec would), 2 = close (the
 *                        worker ends itself without a word), 3 = slow (SLOW_FAULT_MS more
 *                        per frame from that frame on). Written with 9/10.
 *   Float64 view, from byte 64 (index 8 in Float64 units)
 *     8  REQUESTED_AT    shared-clock ms of the manual request (see TARGET_SEQ).
 *     9  STARTED_AT      shared-clock ms the decode stage released frame 0 (realtime pacing base).
 *     10..13 WASM_BYTES  per stage id: that worker's WASM memory size in bytes, updated by
 *                        the worker (per frame or per segment). Reader: sampler. May be stale
 *                        by one frame.
 *     14 LAST_FRAME_IN_AT  shared-clock ms the encoder that ended the last segment took its
 *                        last frame. Writer: that encoder, before it passes the turn
 *                        (published by the TURN store). Reader: the next encoder, for the
 *                        encoder-side gap of a switch.
 *     15 ENCODE_LANE_1_WASM  the second encode lane's WASM memory, bytes (see WASM_BYTES).
 *   Int32 view from byte 128 (the encoders' hand-over; see encode-stage.ts)
 *     32 TURN            which encode lane consumes link B now (0 or 1). Writer: the lane
 *                        that holds it, at a segment's end, before its flush (publishing
 *                        store, notified). Readers: the lanes waiting for their turn.
 *     33 NEXT_SEGMENT    index of the next segment to open; the lane holding the turn
 *                        takes one (Atomics.add).
 *   Float64 index 17 (byte 136) DROP_AFTER_MS   the live *drop* policy's bound: the scaler drops
 *                        a frame that would reach the encoders later than this after it was
 *                        due (stages/live-drop.ts); 0 = *block*, never drop. Written before the run.
 *   Int32 words 36..42 (bytes 144..171) DROPPED  frames the drop policy dropped, per ladder rung
 *                        (LADDER_RUNGS order), then one for sizes off the ladder. Writers: scale
 *                        and the encode lanes (Atomics.add). Reader: the run report.
 *   Int32 word 43 (bytes 172..175) ENCODER_DROPPED  of those, the frames an encoder dropped as it
 *                        took them (already over the bound). Writers: encode lanes (Atomics.add).
 *                        Reader: the scale stage's policy (a frame gone from link B either way).
 *   Int32 words 44, 45 (bytes 176..183) SOURCE_W, SOURCE_H  the source's display size, so an encoder
 *                        can name a frame's ladder rung. Writer: scale stage, before its first frame
 *                        (published to the encoders by link B's queue). Readers: encode lanes.
 *   Shared clock everywhere: performance.timeOrigin + performance.now().
 */
import { sharedNow, StageId } from '../metrics/stages.ts';

export const CONTROL_BYTES = 256;

export const RunState = { running: 0, stopRequested: 1, failed: 2 } as const;
export const Pacing = { max: 0, realtime: 1 } as const;
export type PacingMode = keyof typeof Pacing;

const I = { runState: 0, targetSeq: 1, targetW: 2, targetH: 3, pacing: 4, failedStage: 5, switchCount: 6, segmentCount: 7, faultStage: 9, faultFrame: 10, progress: 11, faultKind: 14 } as const;
/** Stages with a progress counter (decode, scale, encode). */
const PROGRESS_STAGES = 3;

export const FaultKind = { throw: 0, stall: 1, close: 2, slow: 3 } as const;
export type FaultKind = keyof typeof FaultKind;
const F = { requestedAt: 8, startedAt: 9, wasmBytes: 10, lastFrameInAt: 14, encodeLane1Wasm: 15 } as const;
const H = { turn: 0, nextSegment: 1 } as const;
const DROP_AFTER_MS = 17;
/** Dropped-frame counters: one per ladder rung, then one for sizes off the ladder. */
export const DROP_COUNTERS = 7;
/** A 'slow' fault makes its stage this much slower per frame (ms): an encoder that cannot keep up. */
export const SLOW_FAULT_MS = 100;


/** One size request as the scale stage reads it (a reusable record). */
export interface TargetRequest {
  width: number;
  height: number;
  /** Shared-clock ms of the request. */
  requestedAt: number;
}

export class ControlBlock {
  readonly buffer: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  /** A word to sleep on (see PARKING). */
  readonly parkingWord: Int32Array;
  /** The encoders' hand-over words (TURN, NEXT_SEGMENT). */
  private readonly handover: Int32Array;
  private readonly dropped: Int32Array;

  /** Views an existing block (workers attach to the controller's buffer). */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer, 0, 16);
    this.f64 = new Float64Array(buffer);
    this.parkingWord = new Int32Array(buffer, 8 * 4, 1);
    this.handover = new Int32Array(buffer, 128, 2);
    this.dropped = new Int32Array(buffer, 144, DROP_COUNTERS + 3);
  }

  /** A fresh block for a new run (controller side). */
  static create(pacing: PacingMode): ControlBlock {
    const block = new ControlBlock(new SharedArrayBuffer(CONTROL_BYTES));
    Atomics.store(block.i32, I.failedStage, -1); // 0 is a valid stage id
    Atomics.store(block.i32, I.faultStage, -1);
    block.pacing = pacing;
    return block;
  }

  get runState(): number { return Atomics.load(this.i32, I.runState); }
  /** True once stop or failure was requested: every stage checks this per frame. */
  get stopping(): boolean { return Atomics.load(this.i32, I.runState) !== RunState.running; }

  requestStop(): void {
    Atomics.compareExchange(this.i32, I.runState, RunState.running, RunState.stopRequested);
  }

  /** Records the first failing stage; later failures do not overwrite it. */
  markFailed(stage: number): void {
    Atomics.compareExchange(this.i32, I.failedStage, -1, stage);
    Atomics.store(this.i32, I.runState, RunState.failed);
  }
  get failedStage(): number { return Atomics.load(this.i32, I.failedStage); }

  get pacing(): PacingMode { return Atomics.load(this.i32, I.pacing) === Pacing.realtime ? 'realtime' : 'max'; }
  set pacing(mode: PacingMode) { Atomics.store(this.i32, I.pacing, Pacing[mode]); }

  /** Controller (single writer): ask for a new target size; the scale stage applies it to its next frame. */
  requestTarget(width: number, height: number): void {
    Atomics.add(this.i32, I.targetSeq, 1); // odd: writing
    Atomics.store(this.i32, I.targetW, width);
    Atomics.store(this.i32, I.targetH, height);
    this.f64[F.requestedAt] = sharedNow();
    Atomics.add(this.i32, I.targetSeq, 1); // even: publishes the three fields above
  }

  /** The published request's sequence number (changes with every request; cheap per-frame check). */
  get targetSeq(): number { return Atomics.load(this.i32, I.targetSeq) & ~1; }

  /**
   * Stage side: copies the newest complete request into `into` (no allocation) and returns
   * its sequence number. Retries while the controller is writing or if a request landed
   * between the reads, so width, height and time always belong to one request.
   */
  readTarget(into: TargetRequest): number {
    for (;;) {
      const before = Atomics.load(this.i32, I.targetSeq); // acquiring load
      if ((before & 1) === 0) {
        into.width = Atomics.load(this.i32, I.targetW);
        into.height = Atomics.load(this.i32, I.targetH);
        into.requestedAt = this.f64[F.requestedAt]!;
        if (Atomics.load(this.i32, I.targetSeq) === before) return before;
      }
      // The writer is between its two stores (a few instructions on the main thread): retry.
    }
  }

  /** Makes `stage` fail when it handles frame `frameIndex` (tests of the failure paths). */
  injectFault(stage: number, frameIndex: number, kind: FaultKind = 'throw'): void {
    Atomics.store(this.i32, I.faultKind, FaultKind[kind]);
    Atomics.store(this.i32, I.faultFrame, frameIndex);
    Atomics.store(this.i32, I.faultStage, stage); // publishing: frame and kind are set
  }

  /**
   * Stage side, per frame: throws the injected fault if this is its stage and frame, or, for
   * a stall, blocks this thread for good (no progress, deaf to stop: only the watchdog and
   * worker termination end it), or, for a close, ends this worker as a codec runtime's exit
   * would: close() in a browser worker (which then sends nothing more, see worker-life.ts,
   * and is gone once the throw below unwinds its task), process.exit() in a Node thread.
   * A slow fault sleeps SLOW_FAULT_MS at every frame from its frame on (an encoder that cannot keep up).
   */
  checkFault(stage: number, frameIndex: number): void {
    if (Atomics.load(this.i32, I.faultStage) !== stage) return;
    const kind = Atomics.load(this.i32, I.faultKind);
    if (kind === FaultKind.slow) { // from that frame on, every frame
      if (frameIndex >= Atomics.load(this.i32, I.faultFrame)) Atomics.wait(this.parkingWord, 0, 0, SLOW_FAULT_MS);
      return;
    }
    if (Atomics.load(this.i32, I.faultFrame) !== frameIndex) return;
    if (kind === FaultKind.stall) {
      for (;;) Atomics.wait(this.parkingWord, 0, 0, 1000); // PARKING is never notified
    }
    if (kind === FaultKind.close) {
      const scope = globalThis as { close?: () => void; process?: { exit(code: number): void } };
      if (typeof scope.close === 'function') scope.close();
      else scope.process?.exit(1);
    }
    throw new Error(`injected fault at frame ${frameIndex}`);
  }

  /** Stage side: one unit of progress (a frame handled, an input read, or a wait slice blocked on a neighbour). */
  beat(stage: number): void {
    if (stage < PROGRESS_STAGES) Atomics.add(this.i32, I.progress + stage, 1);
  }

  /** Controller side: the stage's progress counter (compare with an earlier value). */
  progress(stage: number): number {
    return stage < PROGRESS_STAGES ? Atomics.load(this.i32, I.progress + stage) : 0;
  }

  get startedAt(): number { return this.f64[F.startedAt]!; }
  set startedAt(ms: number) { this.f64[F.startedAt] = ms; }

  /** A worker's WASM memory; the second encode lane has a word of its own (ENCODE_LANE_1_WASM). */
  setWasmBytes(stage: number, bytes: number, lane = 0): void {
    this.f64[lane === 1 && stage === StageId.encode ? F.encodeLane1Wasm : F.wasmBytes + stage] = bytes;
  }
  /** A stage's WASM memory, bytes: both encode lanes together for the encode stage. */
  wasmBytes(stage: number): number {
    const own = this.f64[F.wasmBytes + stage]!;
    return stage === StageId.encode ? own + this.f64[F.encodeLane1Wasm]! : own;
  }

  /** The encode lane that consumes link B now. */
  get turn(): number { return Atomics.load(this.handover, H.turn); } // acquiring load

  /** Encoder side: hands link B to `lane` (after the last frame this lane takes) and wakes it. */
  passTurn(lane: number, lastFrameInAt: number): void {
    this.f64[F.lastFrameInAt] = lastFrameInAt;
    Atomics.store(this.handover, H.turn, lane); // publishing: LAST_FRAME_IN_AT, and link B's tail
    Atomics.notify(this.handover, H.turn);
  }

  /** Blocks up to `timeoutMs` while the turn is `notLane`'s. */
  waitTurnChange(notLane: number, timeoutMs: number): void {
    Atomics.wait(this.handover, H.turn, notLane, timeoutMs);
  }

  get lastFrameInAt(): number { return this.f64[F.lastFrameInAt]!; }

  /** Encoder holding the turn: the index of the segment it opens now. */
  takeSegmentIndex(): number { return Atomics.add(this.handover, H.nextSegment, 1); }

  /** The live policy's bound, ms (0: block, never drop). */
  get dropAfterMs(): number { return this.f64[DROP_AFTER_MS]!; }
  set dropAfterMs(ms: number) { this.f64[DROP_AFTER_MS] = ms; }
  /** Scale stage: one frame dropped at ladder rung `rungIndex` (DROP_COUNTERS - 1: off the ladder). */
  noteDropped(rungIndex: number): void { Atomics.add(this.dropped, rungIndex, 1); }
  /** Frames dropped at ladder rung `rungIndex`. */
  droppedAt(rungIndex: number): number { return Atomics.load(this.dropped, rungIndex); }
  /** Encode lane: one frame dropped as it was taken, already over the bound, at rung `rungIndex`. */
  noteEncoderDropped(rungIndex: number): void {
    Atomics.add(this.dropped, rungIndex, 1);
    Atomics.add(this.dropped, DROP_COUNTERS, 1);
  }
  /** Frames the encoders dropped as they took them (also counted by rung). */
  get encoderDropped(): number { return Atomics.load(this.dropped, DROP_COUNTERS); }
  /** Scale stage: the source's display size (see SOURCE_W). */
  publishSource(width: number, height: number): void {
    this.dropped[DROP_COUNTERS + 1] = width;
    this.dropped[DROP_COUNTERS + 2] = height;
  }
  get sourceWidth(): number { return this.dropped[DROP_COUNTERS + 1]!; }
  get sourceHeight(): number { return this.dropped[DROP_COUNTERS + 2]!; }

  get switchCount(): number { return Atomics.load(this.i32, I.switchCount); }
  publishSwitchCount(count: number): void { Atomics.store(this.i32, I.switchCount, count); }
  noteSegmentClosed(): void { Atomics.add(this.i32, I.segmentCount, 1); }
  get segmentCount(): number { return Atomics.load(this.i32, I.segmentCount); }
}
