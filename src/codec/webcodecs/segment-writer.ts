/**
 * One output segment of the WebCodecs backend: mediabunny muxes the encoder's chunks into
 * fragmented MP4 (H.264) or append-only WebM (VP8/VP9), written front to back into a stream
 * whose pieces leave for the page as they are written. Both leave a frame at a time, as the
 * ffmpeg.wasm backend's do (frag_every_frame): WebM writes each block as it comes, and an MP4
 * fragment is closed after every frame (see FragmentEveryFrame), so a switch's new segment
 * reaches the viewer with its first encoded frame, not a key-frame interval (a second) later.
 */
import { EncodedPacket, EncodedVideoPacketSource, Mp4OutputFormat, Output, StreamTarget, WebMOutputFormat } from 'mediabunny';
import type { VideoCodecChoice } from '../../pipeline/pipeline-shared.ts';
import { sharedNow } from '../../metrics/stages.ts';

export interface SegmentBytes {
  byteLength: number;
  maxChunkBytes: number;
  /** Shared-clock ms the first bytes after the header left (NaN if none yet). */
  firstBytesAt: number;
}

const MEDIABUNNY_CODEC = { h264: 'avc', vp8: 'vp8', vp9: 'vp9' } as const;

/**
 * mediabunny 1.61's MP4 muxer starts a fragment only at a key frame, when the next one comes
 * (minimumFragmentDuration only sets a floor), and it has no public option for smaller
 * fragments (a maximum fragment duration was proposed and closed: Vanilagy/mediabunny#160).
 * Its muxer's forceFragmentFinalization ("for external callers who want full control of
 * fragment boundaries", what its own HLS muxer calls) writes the frames it holds as one
 * fragment now. It is not in the typings, so it is checked at open: a mediabunny without it
 * fails the segment with this sentence rather than writing a fragment a second.
 * Fragments after the first begin with a delta frame (the trun marks each sample's kind, so
 * players decode them in order); only the file's closing random-access index (mfra/tfra)
 * lists every fragment, which FFmpeg and so Chromium read only when asked to (use_mfra_for).
 */
interface FragmentEveryFrame {
  forceFragmentFinalization(): Promise<void>;
}

function fragmentingMuxer(output: Output): FragmentEveryFrame {
  const muxer = (output as unknown as { _muxer?: Partial<FragmentEveryFrame> })._muxer;
  if (typeof muxer?.forceFragmentFinalization !== 'function') {
    throw new Error("this mediabunny's MP4 muxer cannot close a fragment on request (forceFragmentFinalization), which the WebCodecs backend needs to send a frame at a time");
  }
  return muxer as FragmentEveryFrame;
}

export class SegmentWriter {
  readonly bytes: SegmentBytes = { byteLength: 0, maxChunkBytes: 0, firstBytesAt: NaN };
  private readonly output: Output;
  private readonly source: EncodedVideoPacketSource;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private packets = 0;
  /** MP4 only: closes a fragment after every frame (WebM writes each block as it comes). */
  private readonly fragmenter: FragmentEveryFrame | null;

  constructor(codec: VideoCodecChoice, frameRate: number, onBytes: (bytes: Uint8Array) => void) {
    const format = codec === 'h264'
      ? new Mp4OutputFormat({ fastStart: 'fragmented', minimumFragmentDuration: 0 })
      : new WebMOutputFormat({ appendOnly: true, minimumClusterDuration: 0 });
    const target = new StreamTarget(new WritableStream({
      write: (chunk) => {
        if (chunk.position !== this.bytes.byteLength) throw new Error(`the muxer wrote at ${chunk.position}, not at the end (${this.bytes.byteLength})`);
        // allocates: our own copy leaves for the page (the muxer may reuse its buffer).
        const bytes = chunk.data.slice();
        this.bytes.byteLength += bytes.byteLength;
        if (bytes.byteLength > this.bytes.maxChunkBytes) this.bytes.maxChunkBytes = bytes.byteLength;
        if (this.packets > 0 && Number.isNaN(this.bytes.firstBytesAt)) this.bytes.firstBytesAt = sharedNow();
        onBytes(bytes);
      },
    }));
    this.output = new Output({ format, target });
    this.source = new EncodedVideoPacketSource(MEDIABUNNY_CODEC[codec]);
    this.output.addVideoTrack(this.source, { frameRate });
    this.fragmenter = codec === 'h264' ? fragmentingMuxer(this.output) : null;
  }

  start(): Promise<void> {
    return this.output.start();
  }

  /** Queues one encoded chunk (in decode order, as the encoder gives them). */
  add(chunk: EncodedVideoChunk, meta: EncodedVideoChunkMetadata | undefined): void {
    // allocates: mediabunny's packet (and its copy of the chunk's bytes) per frame.
    const packet = EncodedPacket.fromEncodedChunk(chunk);
    this.chain = this.chain.then(async () => {
      this.packets++;
      await this.source.add(packet, meta);
      await this.fragmenter?.forceFragmentFinalization();
    }).catch((error: unknown) => { this.failure ??= error; });
  }

  /** Writes what is queued and the end of the file. */
  async finish(): Promise<void> {
    await this.chain;
    if (this.failure !== null) throw this.failure;
    await this.output.finalize();
  }

  async cancel(): Promise<void> {
    await this.chain;
    await this.output.cancel();
  }
}
