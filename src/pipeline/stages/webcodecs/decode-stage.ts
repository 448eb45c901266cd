import type { EncodedPacket } from 'mediabunny';
import { openMedia, type OpenedMedia } from '../../../codec/webcodecs/media-input.ts';
import type { MediaInfo } from '../../../codec/probe.ts';
import type { WebCodecsOptions } from '../../../codec/backends.ts';
import { i420Layout } from '../../../pool/frame-format.ts';
import { LinkWriter } from '../../../pool/link.ts';
import { Metrics } from '../../../metrics/metrics-block.ts';
import { StageId, sharedNow } from '../../../metrics/stages.ts';
import { ControlBlock } from '../../control-block.ts';
import type { PipelineShared, StagePorts } from '../../pipeline-shared.ts';
import type { DecodeResult, HeldFramesOutcome } from '../decode-stage.ts';
import { beginFrameAsync, commitFrame, WAIT_SLICE_MS } from '../link-io.ts';
import { StageFailure, StageStopped, describeError } from '../stage-errors.ts';
import { I420Repacker, repackable } from './to-i420.ts';
import { Wakeup } from './wakeup.ts';

const FAILURE_CODE = 1;
/** Chunks queued in the decoder before feeding waits: enough to keep it busy, few enough to bound its memory. */
const MAX_DECODE_QUEUE = 4;
/**
 * The decoder gave no frame this long while chunks waited in it: it has stalled. Shorter than
 * the controller's stall watchdog (5 s) so the sentence says why, not only that it hung.
 */
export const DECODER_STALL_MS = 2500;

/**
 * Decode stage, WebCodecs: mediabunny reads the file's packets, the browser's VideoDecoder
 * decodes them, and each decoded VideoFrame is copied (`copyTo`, at its visible size, as
 * I420) into a frame from link A — a pool slot (pooled) or a fresh buffer (unpooled) —
 * then closed. The worker never blocks for long: decoder output arrives on its event loop.
 */
export class WebCodecsDecodeStage {
  private media: OpenedMedia | null = null;

  constructor(private readonly options: WebCodecsOptions) {}

  async open(input: Blob): Promise<MediaInfo> {
    this.media = await openMedia(input);
    return this.media.info;
  }

  async run(shared: PipelineShared, ports: StagePorts = {}): Promise<DecodeResult> {
    const media = this.media;
    if (!media) throw new StageFailure('decode', 'the decoder was started before a file was opened');
    const control = new ControlBlock(shared.control);
    const metrics = Metrics.attach(shared.metrics);
    const writer = LinkWriter.attach(shared.linkA, metrics, { port: ports.linkA });
    const { info } = media;
    const size = { width: info.displayWidth, height: info.displayHeight };
    const layout = i420Layout(size.width, size.height);
    const planes: PlaneLayout[] = [
      { offset: layout.offsets.y, stride: layout.width },
      { offset: layout.offsets.u, stride: layout.uvWidth },
      { offset: layout.offsets.v, stride: layout.uvWidth },
    ];
    const frameInterval = 1000 / info.frameRate;
    const hold = Math.max(0, Math.floor(this.options.holdDecodedFrames));
    const repacker = new I420Repacker();

    const wake = new Wakeup();
    const decoded: VideoFrame[] = []; // out of the decoder, not yet copied
    const held: VideoFrame[] = []; // copied, kept open on purpose (the hazard control)
    let decodeError: unknown = null;
    let lastOutputAt = sharedNow();
    const decoder = new VideoDecoder({
      output: (frame) => {
        decoded.push(frame);
        lastOutputAt = sharedNow();
        wake.notify();
      },
      error: (error) => {
        decodeError = error;
        wake.notify();
      },
    });
    decoder.addEventListener('dequeue', wake.notify);
    decoder.configure(media.config);

    let frameIndex = 0;
    const hazard: HeldFramesOutcome = { held: 0, maxDecodeQueue: 0 };
    const deliver = async (frame: VideoFrame): Promise<void> => {
      try {
        const rect = frame.visibleRect;
        if ((frame.format !== 'I420' && !repackable(frame.format)) || !rect || rect.width !== size.width || rect.height !== size.height) {
          throw new StageFailure('decode', `The browser's decoder gave a ${frame.format ?? 'opaque (GPU)'} frame of ${rect?.width}×${rect?.height}; this backend copies only 8-bit YUV frames (I420, I422, I444, NV12) of ${size.width}×${size.height}. Choose the ffmpeg.wasm backend for this file.`);
        }
        const out = await beginFrameAsync(writer, control, StageId.decode, size);
        if (out === null) throw new StageStopped('stopped');
        // Codec glue: the decoder's native frame → our frame (a copy WebCodecs cannot avoid:
        // it has no way to decode into a buffer we give it, w3c/webcodecs#212).
        if (frame.format === 'I420') {
          await frame.copyTo(out.data, { rect, layout: planes });
          metrics.addCodecCopy(StageId.decode, layout.byteLength);
        } else {
          metrics.addCodecCopy(StageId.decode, await repacker.copy(frame, rect, out.data, layout) + layout.byteLength);
        }
        if (frameIndex === 0) control.startedAt = sharedNow();
        if (control.pacing === 'realtime') await sleepUntil(control, control.startedAt + frameIndex * frameInterval);
        control.checkFault(StageId.decode, frameIndex);
        out.frameIndex = frameIndex;
        // The pacing's clock, as the ffmpeg.wasm backend stamps it: a file's own timestamps may
        // start anywhere (an MPEG-TS at 1.4 s, an offset file at 10 s), and stages downstream
        // read ptsUs as time since the first frame.
        out.ptsUs = Math.round(frameIndex * frameInterval * 1000);
        if (!commitFrame(writer, control, StageId.decode, out)) throw new StageStopped('stopped');
        frameIndex++;
      } finally {
        held.push(frame);
        while (held.length > hold) held.shift()!.close();
        if (held.length > hazard.held) hazard.held = held.length;
      }
    };

    /** Copies out what the decoder has given; then waits one slice for more (or a stall). */
    const pump = async (): Promise<void> => {
      if (decoded.length > 0) {
        while (decoded.length > 0) await deliver(decoded.shift()!);
        lastOutputAt = sharedNow(); // time spent copying out is ours, not the decoder's
      }
      if (decodeError !== null) throw new StageFailure('decode', `the browser's decoder failed: ${describeError(decodeError)}`);
      if (control.stopping) throw new StageStopped('stopped');
      const waited = sharedNow() - lastOutputAt;
      if (decoder.decodeQueueSize > 0 && waited > DECODER_STALL_MS) {
        throw new StageFailure('decode', stallSentence(held.length, decoder.decodeQueueSize, waited));
      }
      await wake.wait(WAIT_SLICE_MS);
    };

    let lastPacket: EncodedPacket | null = null;
    let endSec = 0;
    let demuxFailure: unknown = null;
    // Every read of the file is progress, so a long stretch without video is not taken for a stall.
    media.onRead(() => control.beat(StageId.decode));
    const packets = media.packets.packets();
    const nextPacket = async (): Promise<EncodedPacket | null> => {
      try {
        const step = await packets.next();
        return step.done ? null : step.value;
      } catch (error) {
        // A damaged or cut container ends the input there: early if frames came out (as with ffmpeg.wasm), else a failure.
        demuxFailure = error;
        return null;
      }
    };

    try {
      for (let packet = await nextPacket(); packet !== null; packet = await nextPacket()) {
        while (decoder.decodeQueueSize >= MAX_DECODE_QUEUE || decoded.length > 0) await pump();
        if (control.stopping) throw new StageStopped('stopped');
        if (decoder.decodeQueueSize === 0) lastOutputAt = sharedNow(); // an idle decoder is not stalling
        decoder.decode(packet.toEncodedVideoChunk());
        lastPacket = packet;
        if (packet.timestamp + packet.duration > endSec) endSec = packet.timestamp + packet.duration; // decode order: B-frames end earlier
        if (decoder.decodeQueueSize > hazard.maxDecodeQueue) hazard.maxDecodeQueue = decoder.decodeQueueSize;
        control.beat(StageId.decode); // a chunk read and fed is progress, frames or not
      }
      let flushed = false;
      const flushing = decoder.flush().then(() => { flushed = true; wake.notify(); }, (error: unknown) => { decodeError ??= error; wake.notify(); });
      while (!flushed) await pump();
      await flushing;
      while (decoded.length > 0) await deliver(decoded.shift()!);
      if (frameIndex === 0) {
        const why = demuxFailure !== null ? describeError(demuxFailure) : 'mediabunny found no complete video packet in it';
        throw new StageFailure('decode', `No frame could be read from this file with WebCodecs (${why}): it may be cut short or damaged. Try the ffmpeg.wasm backend, which reads up to the cut.`);
      }
      const cut = demuxFailure === null ? await media.cutShort(lastPacket, endSec) : null;
      writer.end();
      return { frames: frameIndex, expectedFrames: cut?.declared ?? info.frameCount, endedEarly: demuxFailure !== null || cut !== null, heldFrames: hazard };
    } catch (error) {
      if (error instanceof StageStopped || control.stopping) {
        writer.end();
        return { frames: frameIndex, expectedFrames: info.frameCount, endedEarly: false, heldFrames: hazard };
      }
      control.markFailed(StageId.decode);
      writer.fail(FAILURE_CODE);
      if (error instanceof StageFailure) throw error;
      throw new StageFailure('decode', describeError(error), { cause: error });
    } finally {
      for (const frame of decoded.splice(0)) frame.close();
      for (const frame of held.splice(0)) frame.close();
      if (decoder.state !== 'closed') decoder.close();
      media.onRead(null);
      media.dispose();
      this.media = null;
    }
  }
}

function stallSentence(held: number, queued: number, waitedMs: number): string {
  const why = held > 0
    ? `while this run held ${held} decoded frame${held === 1 ? '' : 's'} open. The browser's decoder draws its output from a small set of frame buffers and waits for them to be closed (w3c/webcodecs#612). Lower "hold decoded frames" and run again.`
    : 'with no decoded frame held open by this run. The file may be damaged, or this browser\'s decoder cannot handle it: try the ffmpeg.wasm backend.';
  return `The browser's video decoder stopped giving frames for ${(waitedMs / 1000).toFixed(1)} s with ${queued} chunk${queued === 1 ? '' : 's'} waiting in it, ${why}`;
}

/** Waits (on the event loop) until `dueMs` on the shared clock, or a stop. */
async function sleepUntil(control: ControlBlock, dueMs: number): Promise<void> {
  for (let left = dueMs - sharedNow(); left > 0 && !control.stopping; left = dueMs - sharedNow()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, WAIT_SLICE_MS)));
    control.beat(StageId.decode); // pacing is waiting, not stalling
  }
}
