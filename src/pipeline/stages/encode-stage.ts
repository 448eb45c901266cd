import type { CodecCore } from '../../codec/core.ts';
import { encodeArgs, containerFor } from '../../codec/ffmpeg-args.ts';
import { mountFrameSource } from '../../codec/frame-devices.ts';
import { LinkReader, type ReadableFrame } from '../../pool/strategy.ts';
import { Metrics } from '../../metrics/metrics-block.ts';
import { ControlBlock } from '../control-block.ts';
import { StageId, sharedNow } from '../../metrics/stages.ts';
import type { EncodePlan, PipelineShared } from '../pipeline-shared.ts';
import { StageFailure, describeError } from './stage-errors.ts';
import { nextFrame } from './link-io.ts';

const SOURCE_PATH = '/dev/framepool-scaled';
const FAILURE_CODE = 3;
/** One encoder run at one size: a file a browser plays and ffprobe reads. */
export interface EncodedSegment {
  index: number;
  width: number;
  height: number;
  frames: number;
  firstFrameIndex: number;
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
  /** End of stream → previous exec returned (encoder flush + trailer), ms. 0 for the first segment. */
  closeMs: number;
  /** exec start → second frame requested (demuxer probe + encoder init + first frame), ms. */
  openMs: number;
  /** closeMs of the previous segment + openMs: what a switch costs the encoder. */
  reinitMs: number;
  /** This worker's WASM memory when the segment closed, bytes. */
  wasmBytesAfter: number;
}

export interface EncodeResult {
  frames: number;
  segments: number;
}

/**
 * Encode stage: pulls frames from link B through the source device into ffmpeg. When the
 * next frame's size differs, the device ends the stream at the frame boundary, the exec
 * closes that segment, and a new exec starts at the new size (the encoder re-init).
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

  /** Encodes until link B ends; each closed segment goes to `onSegment` at once. */
  run(shared: PipelineShared, plan: EncodePlan, onSegment: (segment: EncodedSegment) => void): EncodeResult {
    const core = this.core;
    if (!core) throw new StageFailure('encode', 'the encoder was started before its codec was loaded');
    const control = new ControlBlock(shared.control);
    const metrics = Metrics.attach(shared.metrics);
    const reader = LinkReader.attach(shared.linkB, metrics);

    // Per-segment state, reused across segments; the device callbacks read it.
    const state = {
      width: 0, height: 0, frames: 0,
      held: null as ReadableFrame | null, // frame read but not yet served (first of next segment)
      serving: null as ReadableFrame | null, // frame whose bytes ffmpeg is reading now
      execStartedAt: 0, secondRequestAt: 0, eofAt: 0,
    };
    const source = mountFrameSource(core, SOURCE_PATH, {
      next: () => {
        let frame = state.held;
        state.held = null;
        if (frame === null) frame = nextFrame(reader, control);
        if (frame === null) {
          state.eofAt = sharedNow();
          return null;
        }
        if (frame.width !== state.width || frame.height !== state.height) {
          // A new size: end this segment exactly here; the frame opens the next one.
          state.held = frame;
          state.eofAt = sharedNow();
          return null;
        }
        control.checkFault(StageId.encode, frame.frameIndex);
        if (state.frames === 1 && state.secondRequestAt === 0) state.secondRequestAt = sharedNow();
        state.serving = frame;
        return frame.data;
      },
      done: () => {
        const frame = state.serving;
        if (!frame) return;
        state.serving = null;
        reader.done(frame); // link B is the sink link: done() records end-to-end latency

        state.frames++;
      },
    });

    let totalFrames = 0;
    let segments = 0;
    let previousCloseMs = 0;
    try {
      while (true) {
        const first = state.held ?? nextFrame(reader, control);
        if (first === null) break;
        // Copy what we need: frame records are recycled by the reader once done.
        const { width, height, frameIndex: firstFrameIndex } = first;
        state.held = first;
        state.width = width;
        state.height = height;
        state.frames = 0;
        state.secondRequestAt = 0;
        const container = containerFor(plan.codec);
        const fileName = `segment-${String(segments).padStart(4, '0')}-${width}x${height}.${container.extension}`;

        state.execStartedAt = sharedNow();
        const ret = core.exec(encodeArgs({
          codec: plan.codec, width, height, frameRate: plan.frameRate,
          input: SOURCE_PATH, output: `/${fileName}`,
        }));
        const returnedAt = sharedNow();
        source.rethrowIfFailed();
        if (ret !== 0) {
          const detail = core.logTail().trim().split('\n').slice(-2).join(' | ');
          throw new Error(`ffmpeg exited with ${ret} while encoding ${width}×${height}: ${detail}`);
        }
        const bytes = core.FS.readFile(`/${fileName}`);
        core.FS.unlink(`/${fileName}`);
        const openMs = (state.secondRequestAt || returnedAt) - state.execStartedAt;
        const wasmBytesAfter = core.wasmMemoryBytes();
        control.setWasmBytes(StageId.encode, wasmBytesAfter);
        onSegment({
          index: segments, width, height, frames: state.frames, firstFrameIndex,
          fileName, mimeType: container.mimeType, bytes,
          closeMs: previousCloseMs, openMs, reinitMs: previousCloseMs + openMs, wasmBytesAfter,
        });
        control.noteSegmentClosed();
        previousCloseMs = returnedAt - state.eofAt;
        totalFrames += state.frames;
        segments++;
        if (state.held === null && control.stopping) break;
      }
      return { frames: totalFrames, segments };
    } catch (error) {
      if (!control.stopping) {
        control.markFailed(StageId.encode); // before failing the link: neighbours then see a stop
        reader.fail(FAILURE_CODE);
      }
      throw new StageFailure('encode', describeError(error), { cause: error });
    } finally {
      if (state.held) reader.done(state.held);
    }
  }
}
