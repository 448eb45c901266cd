import type { WebCodecsOptions } from '../../../codec/backends.ts';
import { containerFor } from '../../../codec/ffmpeg-args.ts';
import { encoderConfig } from '../../../codec/webcodecs/encoder-config.ts';
import { SegmentWriter } from '../../../codec/webcodecs/segment-writer.ts';
import { LinkReader, type ReadableFrame } from '../../../pool/link.ts';
import { recordSinkDone } from '../../../pool/slot-link.ts';
import { earliestStamp } from '../../../pool/frame-record.ts';
import { Metrics } from '../../../metrics/metrics-block.ts';
import { StageId, sharedNow } from '../../../metrics/stages.ts';
import { ControlBlock } from '../../control-block.ts';
import type { EncodePlan, PipelineShared, VideoCodecChoice } from '../../pipeline-shared.ts';
import type { EncodeResult, EncoderSink, SegmentClosed } from '../encode-stage.ts';
import { nextFrameAsync, WAIT_SLICE_MS } from '../link-io.ts';
import { dropCounterOf, overBoundAtEncoder } from '../live-drop.ts';
import { ladderSizes } from '../../ladder.ts';
import { StageFailure, describeError } from '../stage-errors.ts';
import { Wakeup } from './wakeup.ts';

const FAILURE_CODE = 3;
/** Frames queued in the encoder before taking the next waits (bounds its native memory). */
const MAX_ENCODE_QUEUE = 3;
/** The encoder took no frame this long while frames waited in it: it has stalled. */
const ENCODER_STALL_MS = 2500;

/** A segment being written: its encoder (shared with the next one when reconfiguring) and its file. */
interface OpenSegment {
  index: number;
  width: number;
  height: number;
  firstFrameIndex: number;
  frames: number;
  writer: SegmentWriter;
  encoder: VideoEncoder;
  openedAt: number;
  /** First chunk out of the encoder (shared clock ms), NaN until then. */
  firstChunkAt: number;
  firstTakenAt: number;
  /** Drop counter (ladder rung) of this segment's size, for the drop policy's last check. */
  dropCounter: number;
  /** The previous segment's close (flush + finalize), when it delayed this one (reconfigure). */
  closeMs: number;
  gapMs: number;
  /** Frames handed to the encoder, their chunks not yet out: by frame of the segment % OUT_RING, its earliest stamp and run frame index. */
  outFrom: Float64Array;
  outFrame: Int32Array;
}

/** Frames an encoder may hold before its chunk comes out (drain keeps it to a few). */
const OUT_RING = 64;

/**
 * Encode stage, WebCodecs: takes frames from link B without blocking its worker (the
 * encoder's output arrives on the event loop), wraps each in a VideoFrame made from the
 * frame's bytes (the constructor copies them out of shared memory: counted as a codec copy),
 * releases the frame at once and encodes. A new size closes the segment: either the live
 * encoder is flushed and reconfigured (serial), or a new encoder starts at once while the
 * old one flushes (overlapped), as the run's options say.
 */
export class WebCodecsEncodeStage {
  constructor(private readonly options: WebCodecsOptions) {}

  async open(): Promise<void> {
    if (typeof VideoEncoder === 'undefined') throw new StageFailure('encode', 'This browser has no WebCodecs (VideoEncoder). Choose the ffmpeg.wasm backend.');
  }

  async run(shared: PipelineShared, plan: EncodePlan, output: EncoderSink): Promise<EncodeResult> {
    const control = new ControlBlock(shared.control);
    const metrics = Metrics.attach(shared.metrics);
    // Link B is the sink link, but this stage records its frames itself (recordSinkDone), so a
    // frame the drop policy's last check drops here is let go without counting as encoded.
    const reader = LinkReader.attach({ ...shared.linkB, sink: false }, metrics);
    const dropAfterMs = control.dropAfterMs; // 0: block, never drop
    const container = containerFor(plan.codec);
    const frameDurationUs = Math.round(1_000_000 / plan.frameRate);
    const keyInterval = Math.max(1, Math.round(plan.frameRate)); // a key frame (and an MP4 fragment) a second
    const wake = new Wakeup();
    let failure: unknown = null;
    const closing: Promise<void>[] = [];
    let current: OpenSegment | null = null;
    let segments = 0;
    let totalFrames = 0;
    let lastTakenAt = 0;
    let lastCloseMs = 0;

    // Each encoder's output goes to the segment it serves now (with reconfiguring, one encoder
    // serves segment after segment, switched over once the last one is flushed).
    const serving = new Map<VideoEncoder, OpenSegment>();
    const decoderConfigs = new Map<VideoEncoder, VideoDecoderConfig>(); // each encoder's latest, for a warm encoder's next segment
    const newEncoder = (): VideoEncoder => {
      const encoder: VideoEncoder = new VideoEncoder({
        output: (chunk, meta) => {
          const segment = serving.get(encoder);
          if (!segment) return;
          if (meta?.decoderConfig) decoderConfigs.set(encoder, meta.decoderConfig);
          if (Number.isNaN(segment.firstChunkAt)) {
            segment.firstChunkAt = sharedNow();
            // A warm encoder's first chunk of a new segment: its config has not changed, so the
            // encoder does not repeat it, but the new file needs it (allocates: once per segment).
            if (!meta?.decoderConfig) meta = { ...meta, decoderConfig: decoderConfigs.get(encoder) };
          }
          segment.writer.add(chunk, meta);
          // The chunk's timestamp names its frame of the segment; its bytes left with add() (a fragment per frame).
          const at = Math.round(chunk.timestamp / frameDurationUs) % OUT_RING;
          const frameIndex = segment.outFrame[at]!;
          if (frameIndex >= 0) {
            metrics.recordOut(sharedNow() - segment.outFrom[at]!, frameIndex);
            segment.outFrame[at] = -1;
          }
        },
        error: (error) => { failure ??= error; wake.notify(); },
      });
      encoder.addEventListener('dequeue', wake.notify);
      return encoder;
    };

    const sizeKey = (width: number, height: number): string => `${width}x${height}`; // allocates: a key per switch
    // isConfigSupported asks the media process, a round trip on a switch's path: asked once per
    // size, and for every ladder size as the first segment opens, so a switch to a size not seen
    // yet does not wait for it.
    const supported = new Map<string, Promise<boolean>>(); // allocates: an entry per size seen
    const supports = (width: number, height: number): Promise<boolean> => {
      const key = sizeKey(width, height);
      let support = supported.get(key);
      if (!support) {
        const config = encoderConfig(plan.codec, width, height, plan.frameRate);
        supported.set(key, support = VideoEncoder.isConfigSupported(config).then((s) => s.supported === true, () => false));
      }
      return support;
    };
    const configure = async (encoder: VideoEncoder, width: number, height: number): Promise<void> => {
      const config = encoderConfig(plan.codec, width, height, plan.frameRate);
      if (!await supports(width, height)) throw new StageFailure('encode', `This browser's VideoEncoder cannot encode ${config.codec} at ${width}×${height}. Choose another codec or the ffmpeg.wasm backend.`);
      encoder.configure(config);
    };

    // New-encoder switching keeps each size's last encoder, flushed and still configured, and
    // opens that size's next segment on it: no configure() and no encoder start in the media
    // process on a switch back to a size seen before. One per size (allocates: an entry per size).
    const warm = new Map<string, VideoEncoder>();
    const takeWarm = (width: number, height: number): VideoEncoder | null => {
      const key = sizeKey(width, height);
      const encoder = warm.get(key) ?? null;
      if (encoder) {
        warm.delete(key);
        warmOpens++;
      }
      return encoder;
    };
    let warmOpens = 0;
    let runOver = false; // a flush that ends after the run closes its encoder instead of keeping it
    const keepWarm = (segment: OpenSegment): void => {
      const key = sizeKey(segment.width, segment.height);
      if (!runOver && !warm.has(key) && segment.encoder.state === 'configured') warm.set(key, segment.encoder); // one per size
      else retire(segment.encoder);
    };
    const retire = (encoder: VideoEncoder): void => {
      if (encoder.state !== 'closed') encoder.close();
      decoderConfigs.delete(encoder);
    };
    const closeWarm = (): void => {
      runOver = true;
      for (const encoder of warm.values()) retire(encoder);
      warm.clear();
    };

    /** Opens a segment on `reuse` (reconfigured unless `configured`: a warm encoder of this size), else a new encoder. */
    const open = async (frame: ReadableFrame, reuse: VideoEncoder | null, closeMs: number, configured = false): Promise<OpenSegment> => {
      const index = plan.segmentIndexBase + segments;
      const writer = new SegmentWriter(plan.codec, plan.frameRate, (bytes) => output.chunk(index, bytes));
      const encoder = reuse ?? newEncoder();
      const segment: OpenSegment = {
        index, width: frame.width, height: frame.height, firstFrameIndex: frame.frameIndex, frames: 0, writer, encoder,
        openedAt: sharedNow(), firstChunkAt: NaN, firstTakenAt: 0, closeMs, gapMs: NaN,
        outFrom: new Float64Array(OUT_RING), outFrame: new Int32Array(OUT_RING).fill(-1), // allocates: per segment
        dropCounter: dropAfterMs > 0 ? dropCounterOf(frame, { width: control.sourceWidth, height: control.sourceHeight }) : 0,
      };
      serving.set(encoder, segment);
      if (segments === 0 && control.sourceWidth > 0) for (const size of ladderSizes({ width: control.sourceWidth, height: control.sourceHeight })) void supports(size.width, size.height);
      await Promise.all([writer.start(), configured ? null : configure(encoder, frame.width, frame.height)]); // neither waits for the other
      segments++;
      return segment;
    };
    const reconfigure = this.options.encoderSwitch === 'reconfigure';

    /** Flushes `segment`'s encoder and finishes its file; then reports it. */
    const close = async (segment: OpenSegment, andEncoder: boolean): Promise<number> => {
      const startedAt = sharedNow();
      await segment.encoder.flush();
      if (andEncoder) {
        serving.delete(segment.encoder);
        keepWarm(segment);
      }
      await segment.writer.finish();
      const closedAt = sharedNow();
      const openMs = (Number.isNaN(segment.firstChunkAt) ? closedAt : segment.firstChunkAt) - segment.openedAt;
      const closed: SegmentClosed = {
        index: segment.index, width: segment.width, height: segment.height, frames: segment.frames, firstFrameIndex: segment.firstFrameIndex,
        fileName: `segment-${String(segment.index).padStart(4, '0')}-${segment.width}x${segment.height}.${container.extension}`,
        mimeType: container.mimeType,
        byteLength: segment.writer.bytes.byteLength, maxChunkBytes: segment.writer.bytes.maxChunkBytes, firstBytesAt: segment.writer.bytes.firstBytesAt,
        firstTakenAt: segment.firstTakenAt > 0 ? segment.firstTakenAt : NaN,
        closeMs: segment.closeMs, openMs, reinitMs: segment.closeMs + openMs,
        gapMs: segment.gapMs, openedAt: segment.openedAt, closedAt, wasmBytesAfter: 0,
      };
      output.closed(closed);
      control.noteSegmentClosed();
      totalFrames += segment.frames;
      return closedAt - startedAt;
    };

    try {
      for (;;) {
        const frame = await nextFrameAsync(reader, control, StageId.encode);
        if (frame === null) break;
        if (failure !== null) throw failure;
        try {
          if (current === null || frame.width !== current.width || frame.height !== current.height) {
            const previous = current;
            if (previous && reconfigure) {
              lastCloseMs = await close(previous, false);
              current = await open(frame, previous.encoder, lastCloseMs);
            } else {
              if (previous) closing.push(close(previous, true).then(() => undefined, (error: unknown) => { failure ??= error; }));
              const ready = takeWarm(frame.width, frame.height);
              current = await open(frame, ready, 0, ready !== null);
            }
          }
          const segment: OpenSegment = current;
          const takenAt = sharedNow(); // after a switch's open (and configure): the frame reaches the encoder now
          const releasedAt = earliestStamp(frame.stamps, takenAt);
          // The drop policy's last check (live-drop.ts): a frame over the bound as it reaches the
          // encoder (behind a full encoder queue or a configure) is let go, not encoded.
          if (dropAfterMs > 0 && overBoundAtEncoder(dropAfterMs, control.startedAt + frame.ptsUs / 1000, releasedAt, frame.stamps[StageId.scale]!, takenAt)) {
            reader.done(frame);
            control.noteEncoderDropped(segment.dropCounter);
            control.beat(StageId.encode);
            continue;
          }
          if (segment.firstTakenAt === 0) {
            segment.firstTakenAt = takenAt;
            segment.firstFrameIndex = frame.frameIndex;
            // The switch's gap ends at the first frame taken, not at the open (the check above may drop that one).
            if (lastTakenAt > 0) segment.gapMs = takenAt - lastTakenAt;
          }
          lastTakenAt = takenAt;
          // allocates: a VideoFrame per frame, its bytes copied out of the slot (codec glue).
          const video = new VideoFrame(frame.data, {
            format: 'I420', codedWidth: frame.width, codedHeight: frame.height,
            timestamp: segment.frames * frameDurationUs, duration: frameDurationUs,
          });
          metrics.addCodecCopy(StageId.encode, frame.byteLength);
          if (segment.frames > 0) { // as the ffmpeg.wasm stage: a segment's first frame is left out (its header leaves with it)
            segment.outFrom[segment.frames % OUT_RING] = releasedAt;
            segment.outFrame[segment.frames % OUT_RING] = frame.frameIndex;
          }
          recordSinkDone(metrics, StageId.encode, frame, takenAt); // frames, stage time, end to end (to the take, as the drop check saw it)
          // After the take, as in the ffmpeg.wasm stage: a slow fault's delay stands for encoding
          // this frame (before the take, it made every frame late for the drop policy's check).
          control.checkFault(StageId.encode, frame.frameIndex);
          reader.done(frame);
          segment.encoder.encode(video, { keyFrame: segment.frames % keyInterval === 0 });
          video.close();
          segment.frames++;
        } catch (error) {
          reader.done(frame);
          throw error;
        }
        await drain(current.encoder);
        control.beat(StageId.encode);
      }
      if (current) await close(current, true);
      current = null;
      await Promise.all(closing);
      closeWarm();
      if (failure !== null) throw failure;
      return { frames: totalFrames, segments, endedBy: control.stopping ? 'stop' : 'end', wasmBytes: 0, warmOpens };
    } catch (error) {
      if (control.stopping) return { frames: totalFrames, segments, endedBy: 'stop', wasmBytes: 0, warmOpens };
      control.markFailed(StageId.encode);
      reader.fail(FAILURE_CODE);
      if (error instanceof StageFailure) throw error;
      throw new StageFailure('encode', `the browser's encoder failed: ${describeError(error)}`, { cause: error });
    } finally {
      const open: OpenSegment | null = current;
      if (open !== null) {
        if (open.encoder.state !== 'closed') open.encoder.close();
        void open.writer.cancel().catch(() => {});
      }
      closeWarm();
    }

    /** Waits while the encoder holds MAX_ENCODE_QUEUE frames; fails if it takes none for ENCODER_STALL_MS. */
    async function drain(encoder: VideoEncoder): Promise<void> {
      const since = sharedNow();
      while (encoder.encodeQueueSize >= MAX_ENCODE_QUEUE) {
        if (failure !== null) throw failure;
        if (control.stopping) return;
        if (sharedNow() - since > ENCODER_STALL_MS) {
          throw new StageFailure('encode', `The browser's video encoder took no frame for ${(ENCODER_STALL_MS / 1000).toFixed(1)} s with ${encoder.encodeQueueSize} waiting in it. Try again, or choose the ffmpeg.wasm backend.`);
        }
        await wake.wait(WAIT_SLICE_MS);
      }
    }
  }
}
