import { glueTally, resetGlueTally, type CodecCore } from '../../codec/core.ts';
import { decodeArgs } from '../../codec/ffmpeg-args.ts';
import { FrameCutter, mountFrameSink } from '../../codec/frame-devices.ts';
import { mountInputFile, onInputRead, type InputSource } from '../../codec/input.ts';
import { probeMedia, type MediaInfo } from '../../codec/probe.ts';
import { i420Layout } from '../../pool/frame-format.ts';
import { LinkWriter, type WritableFrame } from '../../pool/link.ts';
import { Metrics } from '../../metrics/metrics-block.ts';
import { ControlBlock } from '../control-block.ts';
import { StageId, sharedNow } from '../../metrics/stages.ts';
import type { PipelineShared, StagePorts } from '../pipeline-shared.ts';
import { StageStopped, StageFailure, describeError } from './stage-errors.ts';
import { beginFrame, commitFrame, WAIT_SLICE_MS } from './link-io.ts';

const SINK_PATH = '/dev/framepool-decoded';
const FAILURE_CODE = 1;
/** Frames fewer than declared that still count as the whole file (see DecodeResult.endedEarly). */
const ENDED_EARLY_SLACK_FRAMES = 2;

export interface DecodeResult {
  frames: number;
  /** Frames the container declares (null when it does not say). */
  expectedFrames: number | null;
  /**
   * True when the input ended before it should have: the decoder gave up with an error after
   * some frames, or clearly fewer frames came out than the container declares (a truncated file).
   */
  endedEarly: boolean;
  /** WebCodecs only: the hold-frames hazard as this run saw it (absent for ffmpeg.wasm). */
  heldFrames?: HeldFramesOutcome;
}

/** Decoded frames a WebCodecs run kept open, and whether the browser's decoder stalled for it. */
export interface HeldFramesOutcome {
  /** Frames held open at once (the run's setting, once that many had been decoded). */
  held: number;
  /** Most chunks ever waiting in the decoder (decodeQueueSize): it grows when the decoder cannot get an output buffer. */
  maxDecodeQueue: number;
}

/**
 * Decode stage: ffmpeg.wasm decodes the input's first video stream to I420 at its display
 * size, one `exec`, streaming every frame through the sink device straight into link A.
 */
export class DecodeStage {
  private core: CodecCore | null = null;
  private inputPath = '';
  private info: MediaInfo | null = null;
  private readonly loadCore: (module: WebAssembly.Module) => Promise<CodecCore>;

  constructor(loadCore: (module: WebAssembly.Module) => Promise<CodecCore>) {
    this.loadCore = loadCore;
  }

  /** Loads the codec, mounts the input (never copied whole) and probes it. */
  async open(module: WebAssembly.Module, input: InputSource): Promise<MediaInfo> {
    this.core = await this.loadCore(module);
    this.inputPath = mountInputFile(this.core, input);
    this.info = probeMedia(this.core, this.inputPath);
    return this.info;
  }

  /** Runs the whole decode; returns when the input ends, the run stops, or it fails. */
  run(shared: PipelineShared, ports: StagePorts = {}): DecodeResult {
    const core = this.core;
    const info = this.info;
    if (!core || !info) throw new StageFailure('decode', 'the decoder was started before a file was opened');
    const control = new ControlBlock(shared.control);
    const metrics = Metrics.attach(shared.metrics);
    const writer = LinkWriter.attach(shared.linkA, metrics, { port: ports.linkA });
    const size = { width: info.displayWidth, height: info.displayHeight };
    const frameBytes = i420Layout(size.width, size.height).byteLength;
    const frameInterval = 1000 / info.frameRate;

    let frameIndex = 0;
    let current: WritableFrame | null = null;
    const cutter = new FrameCutter(frameBytes, {
      begin: () => {
        // Blocks while link A is full: that is the back-pressure from the scaler.
        const frame = beginFrame(writer, control, StageId.decode, size);
        if (frame === null) throw new StageStopped('stopped');
        current = frame;
        return frame.data;
      },
      end: () => {
        const frame = current;
        if (!frame) return;
        current = null;
        if (frameIndex === 0) control.startedAt = sharedNow();
        if (control.pacing === 'realtime') waitUntil(control, control.startedAt + frameIndex * frameInterval);
        control.checkFault(StageId.decode, frameIndex);
        frame.frameIndex = frameIndex;
        frame.ptsUs = Math.round(frameIndex * frameInterval * 1000);
        if (!commitFrame(writer, control, StageId.decode, frame)) throw new StageStopped('stopped'); // commit stamps the decode time
        metrics.addCodecCopy(StageId.decode, frameBytes); // the sink device copied it out of ffmpeg's memory
        control.setWasmBytes(StageId.decode, core.wasmMemoryBytes());
        metrics.publishGlue(StageId.decode, glueTally);
        frameIndex++;
      },
    });
    const sink = mountFrameSink(core, SINK_PATH, cutter);
    resetGlueTally(); // this run's glue counts only (not the probe's reads)
    onInputRead(() => control.beat(StageId.decode)); // reading a stretch without video is progress too

    try {
      const ret = core.exec(decodeArgs(this.inputPath, info, SINK_PATH));
      sink.rethrowIfFailed();
      if (control.stopping) throw new StageStopped('stopped');
      if (ret !== 0 && frameIndex === 0) {
        throw new StageFailure('decode', `the decoder could not read any frame from this file: ${lastError(core.logTail())}`);
      }
      writer.end();
      const expectedFrames = info.frameCount;
      // A couple of frames short is an edit list trimming the ends, not a cut file.
      const short = expectedFrames !== null && frameIndex + ENDED_EARLY_SLACK_FRAMES < expectedFrames;
      return { frames: frameIndex, expectedFrames, endedEarly: ret !== 0 || short };
    } catch (error) {
      if (error instanceof StageStopped || control.stopping) {
        writer.end();
        return { frames: frameIndex, expectedFrames: info.frameCount, endedEarly: false };
      }
      control.markFailed(StageId.decode); // before failing the link: neighbours then see a stop
      writer.fail(FAILURE_CODE);
      if (error instanceof StageFailure) throw error;
      throw new StageFailure('decode', describeError(error), { cause: error });
    } finally {
      onInputRead(null);
    }
  }
}

/** Sleeps (blocking: we are inside exec) until `dueMs` on the shared clock or a stop. */
function waitUntil(control: ControlBlock, dueMs: number): void {
  const parking = control.parkingWord;
  for (let left = dueMs - sharedNow(); left > 0 && !control.stopping; left = dueMs - sharedNow()) {
    Atomics.wait(parking, 0, 0, Math.min(left, WAIT_SLICE_MS));
    control.beat(StageId.decode); // pacing is waiting, not stalling
  }
}

/** The last line of ffmpeg's log that looks like an error (for a message a user can act on). */
function lastError(logTail: string): string {
  const lines = logTail.split('\n').filter((line) => /error|invalid|could not|no such/i.test(line));
  return lines.at(-1)?.trim() ?? 'ffmpeg gave no detail';
}
