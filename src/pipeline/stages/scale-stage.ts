import { LinkReader, LinkWriter, type ReadableFrame } from '../../pool/link.ts';
import { Metrics, StageCounter } from '../../metrics/metrics-block.ts';
import { createI420Scaler, type FrameScaler } from '../scale/scaler.ts';
import { LADDER_RUNGS, rungSize, type FrameSize, type LadderRung } from '../ladder.ts';
import { ScheduleCursor } from '../switch-schedule.ts';
import { ControlBlock, DROP_COUNTERS, type TargetRequest } from '../control-block.ts';
import { StageId, clock, readClock, sharedNow } from '../../metrics/stages.ts';
import { SwitchLog } from '../switch-log.ts';
import type { PipelineShared, ScalePlan, StagePorts } from '../pipeline-shared.ts';
import { StageFailure, describeError } from './stage-errors.ts';
import { beginFrame, commitFrame, forEachFrame } from './link-io.ts';
import { LiveDropPolicy } from './live-drop.ts';

const FAILURE_CODE = 2;

export interface ScaleResult {
  frames: number;
  switches: number;
  /** Frames the live *drop* policy dropped (0 with *block*). */
  dropped: number;
}

/**
 * Scale stage: bilinear resize from link A (native size) to link B (target size). The target
 * is re-read on every frame — from the control block (a user's click) or the schedule — so a
 * switch takes effect on the very next frame. The stage is one function per frame; how frames
 * arrive (blocking on shared memory, or as messages between which the worker returns to its
 * event loop) is the link's business (forEachFrame). With realtime pacing and the *drop*
 * policy, a frame that would reach the encoders too late is dropped here (live-drop.ts),
 * counted per rung (one that still comes to an encoder too late is dropped there); a switch
 * is then logged at the first new-size frame that is kept.
 */
export class ScaleStage {
  async run(shared: PipelineShared, plan: ScalePlan, ports: StagePorts = {}): Promise<ScaleResult> {
    const control = new ControlBlock(shared.control);
    const metrics = Metrics.attach(shared.metrics);
    const reader = LinkReader.attach(shared.linkA, metrics, { port: ports.linkA });
    const writer = LinkWriter.attach(shared.linkB, metrics);
    const switchLog = new SwitchLog(shared.switchLog);
    const cursor = new ScheduleCursor(plan.schedule, plan.rungs, plan.startRung);

    // Sizes and scalers are built once per size, so a storm of switches allocates nothing new
    // after each size has been seen once.
    const sizeOf = new Map<LadderRung, FrameSize>(plan.rungs.map((rung) => [rung, rungSize(rung, plan.source)]));
    const scalers = new Map<number, FrameScaler>();
    const scalerFor = (width: number, height: number): FrameScaler => {
      const key = width * 65536 + height;
      let scaler = scalers.get(key);
      if (!scaler) {
        scaler = createI420Scaler(plan.source.width, plan.source.height, width, height); // WASM SIMD, else TypeScript
        scalers.set(key, scaler);
      }
      return scaler;
    };

    // A request names a ladder size: reuse its record (the request record is overwritten by the next one).
    const ladderSize = (width: number, height: number): FrameSize => {
      for (const size of sizeOf.values()) if (size.width === width && size.height === height) return size;
      return { width, height }; // not on the ladder (allocates, once per such request)
    };
    let target = sizeOf.get(plan.startRung) ?? rungSize(plan.startRung, plan.source);
    let scaler = scalerFor(target.width, target.height);
    let seenTargetSeq = control.targetSeq;
    const request: TargetRequest = { width: 0, height: 0, requestedAt: 0 };
    let scheduledRung: LadderRung | null = plan.startRung;
    let frames = 0;
    let switches = 0;
    let dropped = 0;
    // Drop counters are per ladder rung; a size record maps to its rung's counter.
    const counterOf = new Map<FrameSize, number>(plan.rungs.map((rung) => [sizeOf.get(rung)!, LADDER_RUNGS.indexOf(rung)]));
    const live = control.dropAfterMs > 0 ? new LiveDropPolicy(control.dropAfterMs, shared.linkB.capacity) : null;
    control.publishSource(plan.source.width, plan.source.height); // before frame 0: encoders name their drops' rungs from it
    // A switch not yet logged: decided, but its first new-size frame not yet kept (dropped).
    let pending = false;
    let pendingFromW = 0;
    let pendingFromH = 0;
    let pendingRequestedAt = 0;
    let pendingManual = false;

    /** One frame: pick the size, scale into link B. False ends the stage (a stop). */
    const scaleOne = (input: ReadableFrame): boolean => {
      // The link's reading as it handed the frame over (microseconds before; no clock read of
      // our own). An injected slow fault then delays the frame after its take, as a slow scaler would.
      const takenAt = input.startedAt;
      control.checkFault(StageId.scale, input.frameIndex);

      // A click wins for this frame; the schedule takes over again at its next switch.
      let wanted: FrameSize = target;
      let manual = false;
      let requestedAt = takenAt;
      if (control.targetSeq !== seenTargetSeq) {
        seenTargetSeq = control.readTarget(request);
        manual = true;
        requestedAt = request.requestedAt;
        wanted = ladderSize(request.width, request.height);
      } else {
        const rung = cursor.rungFor(input.frameIndex);
        if (rung !== null && rung !== scheduledRung) {
          scheduledRung = rung;
          wanted = sizeOf.get(rung)!;
        }
      }
      if (wanted.width !== target.width || wanted.height !== target.height) {
        if (!pending) {
          pendingFromW = target.width;
          pendingFromH = target.height;
        }
        pending = true;
        pendingRequestedAt = requestedAt;
        pendingManual = manual;
        target = wanted;
        scaler = scalerFor(target.width, target.height);
      }

      let dueAt = 0;
      let encoded = 0;
      if (live !== null) {
        dueAt = control.startedAt + input.ptsUs / 1000;
        // Frames gone from link B: encoded, or dropped by an encoder as it took them.
        encoded = metrics.counter(StageId.encode, StageCounter.frames) + control.encoderDropped;
        if (live.shouldDrop(dueAt, takenAt, encoded)) {
          control.noteDropped(counterOf.get(target) ?? DROP_COUNTERS - 1);
          dropped++;
          reader.done(input);
          return true;
        }
      }

      // The identity rung passes the frame along as its mode would (pooled: its very slot; else
      // its own buffer, copied only where the link needs a copy), instead of copying it here.
      const passing = scaler.identity;
      const output = passing ? writer.beginPass(input, reader) : beginFrame(writer, control, StageId.scale, target);
      if (output === null) {
        reader.done(input);
        return false;
      }
      // Scaling starts as the output's slot (or buffer) is got, microseconds before: its reading.
      // The reading after it is also the frame's scale stamp (commit's `ready`): only the meta
      // and the release of the input's slot run between.
      if (!passing) {
        scaler.scale(input.data, output.data);
        readClock();
        metrics.addBusy(StageId.scale, clock[0]! - output.startedAt);
      }
      output.frameIndex = input.frameIndex;
      output.ptsUs = input.ptsUs;
      output.stamps.set(input.stamps); // commit adds the scale stamp
      if (!passing) reader.done(input); // before a commit that may wait: its slot goes back now
      // A switch's first new-size frame: "out of the scaler" is read before the commit, since
      // after it an encoder may take the frame before this thread reads the clock (it did:
      // taken by the encoder 1.8 ms before the reading after the commit). allocates: a boxed double, once per switch.
      const outAt = pending ? sharedNow() : 0;
      const committed = commitFrame(writer, control, StageId.scale, output, !passing);
      if (passing) reader.done(input); // a passed frame's bytes are borrowed until commit returns
      if (!committed) return false;
      frames++;
      // Switched away and back while dropping: the encoders see no switch.
      const opens = pending && (pendingFromW !== target.width || pendingFromH !== target.height);
      live?.queuedFrame(dueAt, takenAt, encoded, frames === 1 || opens);
      if (opens) {
        switchLog.write(switches, input.frameIndex, pendingRequestedAt, outAt,
          pendingFromW, pendingFromH, target.width, target.height, pendingManual);
        switches++;
        control.publishSwitchCount(switches);
      }
      pending = false;
      return true;
    };

    try {
      await forEachFrame(reader, control, StageId.scale, scaleOne);
      writer.end();
      return { frames, switches, dropped };
    } catch (error) {
      if (!control.stopping) {
        control.markFailed(StageId.scale); // before failing the links: neighbours then see a stop
        writer.fail(FAILURE_CODE);
        reader.fail(FAILURE_CODE);
      }
      throw new StageFailure('scale', describeError(error), { cause: error });
    }
  }
}
