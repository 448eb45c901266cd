import { glueTally, resetGlueTally, type CodecCore } from '../../codec/core.ts';
import { encodeArgs, containerFor } from '../../codec/ffmpeg-args.ts';
import { mountByteSink, mountFrameSource } from '../../codec/frame-devices.ts';
import { LinkReader, type ReadableFrame } from '../../pool/link.ts';
import { earliestStamp } from '../../pool/frame-record.ts';
import { recordSinkDone } from '../../pool/slot-link.ts';
import { Metrics } from '../../metrics/metrics-block.ts';
import { ControlBlock } from '../control-block.ts';
import { StageId, clock, readClock, sharedNow } from '../../metrics/stages.ts';
import type { EncodePlan, PipelineShared } from '../pipeline-shared.ts';
import { StageFailure, describeError } from './stage-errors.ts';
import { peekFrame, WAIT_SLICE_MS } from './link-io.ts';
import { dropCounterOf, overBoundAtEncoder } from './live-drop.ts';

const SOURCE_PATH = '/dev/framepool-scaled';
const OUTPUT_PATH = '/dev/framepool-encoded';
const FAILURE_CODE = 3;
/**
 * One encoder run at one size: a file a browser plays and ffprobe reads (fragmented MP4 or
 * live WebM). Its bytes leave as `chunk` messages while it is written; this closes it.
 */
export interface SegmentClosed {
  index: number;
  width: number;
  height: number;
  frames: number;
  firstFrameIndex: number;
  fileName: string;
  mimeType: string;
  /** Bytes of output (the sum of its chunks). */
  byteLength: number;
  /** Largest chunk, bytes: the most encoded output this worker ever held before handing it on. */
  maxChunkBytes: number;
  /** Shared-clock ms the first encoded frame's bytes left the encoder (NaN if none). */
  firstBytesAt: number;
  /** Shared-clock ms this segment's first frame was taken by its encoder (NaN if none). */
  firstTakenAt: number;
  /** End of stream → previous exec returned (encoder flush + trailer), ms. 0 for a worker's first segment. */
  closeMs: number;
  /** exec start → second frame requested (demuxer probe + encoder init + first frame), ms. */
  openMs: number;
  /**
   * What a switch costs the encoder: openMs, plus the previous segment's closeMs when one
   * encoder does both (with two lanes the previous encoder closes while this one opens).
   */
  reinitMs: number;
  /**
   * Encoder-side gap of the switch into this segment: the last old-size frame taken by the
   * old encoder → the first new-size frame taken by this one, ms (NaN for a first segment).
   */
  gapMs: number;
  /** Shared-clock ms this segment's exec started and returned (with two lanes, segments overlap). */
  openedAt: number;
  closedAt: number;
  /** This worker's WASM memory when the segment closed, bytes. */
  wasmBytesAfter: number;
}

/** What the page gets from an encoder, in order: chunks of a segment, then its close. */
export type EncoderOutput =
  | { kind: 'chunk'; segment: number; bytes: Uint8Array }
  | { kind: 'segment'; segment: SegmentClosed };

/** An encoder's one message to the page, a segment's close (its chunks come through the output ring, output-ring.ts). */
export interface SegmentClosedMessage {
  kind: 'segment';
  segment: SegmentClosed;
}

/** Where an encoder sends its output while it runs, in order: a segment's chunks, then its close. */
export interface EncoderSink {
  /** `bytes` is valid only during the call (it may view the codec's memory): copy what is kept. */
  chunk(segment: number, bytes: Uint8Array): void;
  closed(segment: SegmentClosed): void;
}

/**
 * Blocks until link B is this lane's to consume; false on stop. No progress beat here: the
 * lane holding the turn beats for the encode stage, so a hung encoder is still seen as one.
 */
function waitForTurn(control: ControlBlock, lane: number): boolean {
  for (;;) {
    const turn = control.turn;
    if (turn === lane) return true;
    if (control.stopping) return false;
    control.waitTurnChange(turn, WAIT_SLICE_MS);
  }
}

/** Why an encoder's run returned: its input ended, the run stopped, or it went over its WASM budget. */
export type EncodeEnd = 'end' | 'stop' | 'budget';

export interface EncodeResult {
  frames: number;
  segments: number;
  endedBy: EncodeEnd;
  /** This worker's WASM memory when it returned, bytes. */
  wasmBytes: number;
  /** WebCodecs with new-encoder switching: segments opened on a size's kept encoder (no configure, no encoder start). */
  warmOpens?: number;
}

/**
 * Encode stage: pulls frames from link B through the source device into ffmpeg. Before
 * taking a frame it peeks at it: when the next frame's size differs, the device ends the
 * stream at the frame boundary, leaving that frame queued; the exec closes that segment,
 * and a new exec starts at the new size (the encoder re-init). Because the frame is never
 * taken early, this worker can also stop between segments (over its WASM budget) and a
 * fresh worker continues from the very same frame: nothing lost, nothing repeated.
 */
export class EncodeStage {
  private core: CodecCore | null = null;
  private readonly loadCore: (module: WebAssembly.Module) => Promise<CodecCore>;

  constructor(loadCore: (module: WebAssembly.Module) => Promise<CodecCore>) {
    this.loadCore = loadCore;
  }

  async open(module: WebAssembly.Module): Promise<void> {
    this.core = await this.loadCore(module);
  }

  /**
   * Encodes until link B ends (or stop, or over budget). Encoded bytes go to `output` as ffmpeg
   * writes them (one write per frame: nothing accumulates in the codec's memory), then each
   * segment's close.
   */
  run(shared: PipelineShared, plan: EncodePlan, output: EncoderSink): EncodeResult {
    const core = this.core;
    if (!core) throw new StageFailure('encode', 'the encoder was started before its codec was loaded');
    const control = new ControlBlock(shared.control);
    const metrics = Metrics.attach(shared.metrics);
    // Link B is the sink link, but this stage records its frames itself (recordSinkDone), so a
    // frame the drop policy's last check drops here is let go without counting as encoded.
    const reader = LinkReader.attach({ ...shared.linkB, sink: false }, metrics);
    const dropAfterMs = control.dropAfterMs; // 0: block, never drop

    // Per-segment state, reused across segments; the device callbacks read it.
    const state = {
      width: 0, height: 0, frames: 0,
      serving: null as ReadableFrame | null, // frame whose bytes ffmpeg is reading now
      execStartedAt: 0, secondRequestAt: 0, eofAt: 0,
      index: 0, byteLength: 0, maxChunkBytes: 0, firstBytesAt: NaN,
      lastTakenAt: 0, firstTakenAt: 0, firstFrameIndex: 0,
      dropCounter: 0, // drop counter (ladder rung) of this segment's size
      outFrom: 0, outFrame: -1, // a frame read, its bytes not yet out: its earliest stamp and index (-1: none)
    };
    const lanes = plan.lanes;
    const lane = plan.lane;
    const other = (lane + 1) % lanes;
    const sink = mountByteSink(core, OUTPUT_PATH, {
      open: () => {
        state.byteLength = 0;
        state.maxChunkBytes = 0;
        state.firstBytesAt = NaN;
      },
      write: (bytes) => {
        // A view of WASM memory: the output copies it into its ring at once (output-ring.ts).
        // Not yet set is NaN; a comparison, not Number.isNaN(), which may box the field's double.
        if (state.frames > 0 && !(state.firstBytesAt > 0)) state.firstBytesAt = sharedNow();
        if (state.outFrame >= 0) {
          // One packet per frame, in order (zerolatency x264, VP8 without lag): the first bytes
          // written after a frame was read are that frame's, encoded and muxed.
          readClock();
          metrics.recordOut(clock[0]! - state.outFrom, state.outFrame);
          state.outFrame = -1;
        }
        state.byteLength += bytes.byteLength;
        if (bytes.byteLength > state.maxChunkBytes) state.maxChunkBytes = bytes.byteLength;
        output.chunk(state.index, bytes);
      },
    });
    const source = mountFrameSource(core, SOURCE_PATH, {
      next: () => {
        for (;;) {
          const peeked = peekFrame(reader, control, StageId.encode);
          if (peeked === null || peeked.width !== state.width || peeked.height !== state.height) {
            // End of input, stop, or a new size: end this segment exactly here. A new-size frame
            // stays queued and opens the next segment — in the other lane's encoder, which can
            // start now, while this one flushes and closes.
            state.eofAt = sharedNow();
            if (lanes > 1) control.passTurn(other, state.lastTakenAt);
            return null;
          }
          const frame = reader.next(0); // only the lane holding the turn takes from link B: the peeked frame is there
          if (typeof frame === 'string') throw new Error(`link B: the peeked frame was gone (${frame})`);
          const takenAt = frame.startedAt; // the link's reading as it handed the frame over, just now
          const releasedAt = earliestStamp(frame.stamps, takenAt);
          if (dropAfterMs > 0) {
            // The drop policy's last check (live-drop.ts): a frame over the bound as it is taken
            // (queued behind a slow frame or an encoder's start) is let go, not encoded.
            const dueAt = control.startedAt + frame.ptsUs / 1000;
            if (overBoundAtEncoder(dropAfterMs, dueAt, releasedAt, frame.stamps[StageId.scale]!, takenAt)) {
              reader.done(frame);
              control.noteEncoderDropped(state.dropCounter);
              control.beat(StageId.encode);
              continue;
            }
          }
          state.lastTakenAt = takenAt;
          // A segment's first frame is left out: the container's header may leave with its bytes (the switch rows cover it).
          if (state.frames > 0) {
            state.outFrom = releasedAt;
            state.outFrame = frame.frameIndex;
          }
          if (state.firstTakenAt === 0) {
            state.firstTakenAt = takenAt;
            state.firstFrameIndex = frame.frameIndex;
          }
          state.serving = frame;
          if (state.frames === 1 && state.secondRequestAt === 0) state.secondRequestAt = takenAt;
          return frame.data;
        }
      },
      done: () => {
        const frame = state.serving;
        if (!frame) return;
        metrics.addCodecCopy(StageId.encode, frame.byteLength); // the source device copied it into ffmpeg's memory
        recordSinkDone(metrics, StageId.encode, frame); // frames, stage time (the read), end to end (to the take, as the drop check saw it)
        // After the read: a slow fault's delay stands for encoding this frame, and a stalled
        // encoder still holds it (the finally below lets it go if the fault throws).
        control.checkFault(StageId.encode, frame.frameIndex);
        state.serving = null;
        reader.done(frame);
        control.beat(StageId.encode);
        control.setWasmBytes(StageId.encode, core.wasmMemoryBytes(), lane); // sampled during the segment too
        metrics.publishGlue(StageId.encode, glueTally);
        state.frames++;
      },
    });

    resetGlueTally();
    let totalFrames = 0;
    let segments = 0;
    let previousCloseMs = 0;
    let endedBy: EncodeEnd = 'end';
    try {
      while (true) {
        if (lanes > 1 && !waitForTurn(control, lane)) {
          endedBy = 'stop';
          break;
        }
        const first = peekFrame(reader, control, StageId.encode);
        if (first === null) {
          endedBy = control.stopping ? 'stop' : 'end';
          if (lanes > 1) control.passTurn(other, state.lastTakenAt); // the other lane sees the end too
          break;
        }
        // Between segments, with the next frame still queued, is where a worker over its
        // budget can hand over. A fresh worker always encodes one segment first (no ping-pong).
        if (plan.wasmBudgetBytes !== null && segments > 0 && core.wasmMemoryBytes() > plan.wasmBudgetBytes) {
          endedBy = 'budget';
          break;
        }
        // Copy what we need: the peek record is reused.
        const { width, height, frameIndex: firstFrameIndex } = first;
        state.width = width;
        state.height = height;
        state.frames = 0;
        state.outFrame = -1;
        state.secondRequestAt = 0;
        const index = lanes > 1 ? control.takeSegmentIndex() : plan.segmentIndexBase + segments;
        state.index = index;
        state.firstTakenAt = 0;
        state.firstFrameIndex = firstFrameIndex; // until a frame is taken (the check may drop this one)
        if (dropAfterMs > 0) state.dropCounter = dropCounterOf(first, { width: control.sourceWidth, height: control.sourceHeight });
        const previousLastFrameAt = lanes > 1 ? control.lastFrameInAt : state.lastTakenAt;
        const container = containerFor(plan.codec);
        const fileName = `segment-${String(index).padStart(4, '0')}-${width}x${height}.${container.extension}`;

        state.execStartedAt = sharedNow();
        const ret = core.exec(encodeArgs({
          codec: plan.codec, width, height, frameRate: plan.frameRate,
          input: SOURCE_PATH, output: OUTPUT_PATH,
        }));
        const returnedAt = sharedNow();
        source.rethrowIfFailed();
        sink.rethrowIfFailed();
        if (ret !== 0) {
          const detail = core.logTail().trim().split('\n').slice(-2).join(' | ');
          throw new Error(`ffmpeg exited with ${ret} while encoding ${width}×${height}: ${detail}`);
        }
        const openMs = (state.secondRequestAt || returnedAt) - state.execStartedAt;
        const wasmBytesAfter = core.wasmMemoryBytes();
        control.setWasmBytes(StageId.encode, wasmBytesAfter, lane);
        output.closed({
          index, width, height, frames: state.frames, firstFrameIndex: state.firstFrameIndex,
          fileName, mimeType: container.mimeType,
          byteLength: state.byteLength, maxChunkBytes: state.maxChunkBytes, firstBytesAt: state.firstBytesAt,
          firstTakenAt: state.firstTakenAt > 0 ? state.firstTakenAt : NaN,
          closeMs: lanes > 1 ? 0 : previousCloseMs, openMs, reinitMs: (lanes > 1 ? 0 : previousCloseMs) + openMs, wasmBytesAfter,
          openedAt: state.execStartedAt, closedAt: returnedAt,
          gapMs: previousLastFrameAt > 0 && state.firstTakenAt > 0 ? state.firstTakenAt - previousLastFrameAt : NaN,
        });
        control.noteSegmentClosed();
        control.beat(StageId.encode);
        previousCloseMs = returnedAt - state.eofAt;
        totalFrames += state.frames;
        segments++;
        if (control.stopping) {
          endedBy = 'stop';
          break;
        }
      }
      return { frames: totalFrames, segments, endedBy, wasmBytes: core.wasmMemoryBytes() };
    } catch (error) {
      if (!control.stopping) {
        control.markFailed(StageId.encode); // before failing the link: neighbours then see a stop
        reader.fail(FAILURE_CODE);
      }
      throw new StageFailure('encode', describeError(error), { cause: error });
    } finally {
      // A frame taken but never handed to ffmpeg (a fault between take and serve).
      if (state.serving) reader.done(state.serving);
      state.serving = null;
    }
  }
}
