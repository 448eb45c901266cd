/**
 * One output segment of the WebCodecs backend: mediabunny muxes the encoder's chunks into
 * fragmented MP4 (H.264) or append-only WebM (VP8/VP9), written front to back into a stream
 * whose pieces leave for the page as they are written. mediabunny starts an MP4 fragment only
 * at a key frame, so bytes leave once per key-frame interval, not per frame (maxChunkBytes in
 * the segment's report shows the most held at once).
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

export class SegmentWriter {
  readonly bytes: SegmentBytes = { byteLength: 0, maxChunkBytes: 0, firstBytesAt: NaN };
  private readonly output: Output;
  private readonly source: EncodedVideoPacketSource;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private packets = 0;

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
  }

  start(): Promise<void> {
    return this.output.start();
  }

  /** Queues one encoded chunk (in decode order, as the encoder gives them). */
  add(chunk: EncodedVideoChunk, meta: EncodedVideoChunkMetadata | undefined): void {
    // allocates: mediabunny's packet (and its copy of the chunk's bytes) per frame.
    const packet = EncodedPacket.fromEncodedChunk(chunk);
    this.chain = this.chain.then(() => {
      this.packets++;
      return this.source.add(packet, meta);
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
