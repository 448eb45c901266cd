import type { EncoderOutput, SegmentClosed } from './stages/encode-stage.ts';

/** An encoded segment as the page keeps it: its chunks as they came from the encoder (never copied into one buffer). */
export interface EncodedSegment extends SegmentClosed {
  /** The file's bytes in order; empty when a SegmentSink took them as they came. */
  readonly chunks: Uint8Array[];
}

/** Takes a segment's chunks as they arrive (e.g. to disk), so the collector need not hold them. */
export interface SegmentSink {
  /** The next chunk of segment `segment`, in order. The sink owns it from here. */
  chunk(segment: number, bytes: Uint8Array): void;
  /** Segment `segment` closed with no frame: let its chunks (a header) go. */
  discard(segment: number): void;
}

/**
 * Assembles segments from the encoder's output messages (chunks, then the close). A segment
 * that closed with no frame — with the live *drop* policy, an encoder can drop every frame of
 * a size as it takes them — holds only a container header: it is let go, not kept, and
 * `onEmpty` hears of it.
 */
export class SegmentCollector {
  private readonly open = new Map<number, Uint8Array[]>();
  /** Bytes received for segments not yet closed (what the page holds of the open segment; 0 with a sink). */
  pendingBytes = 0;

  constructor(
    private readonly onSegment: (segment: EncodedSegment) => void,
    private readonly sink: SegmentSink | null = null,
    private readonly onEmpty: (segment: SegmentClosed) => void = () => {},
  ) {}

  take(message: EncoderOutput): void {
    if (message.kind === 'chunk') {
      if (this.sink) {
        this.sink.chunk(message.segment, message.bytes);
        return;
      }
      let chunks = this.open.get(message.segment);
      if (!chunks) this.open.set(message.segment, (chunks = []));
      chunks.push(message.bytes);
      this.pendingBytes += message.bytes.byteLength;
      return;
    }
    const closed = message.segment;
    const chunks = this.open.get(closed.index) ?? [];
    this.open.delete(closed.index);
    if (!this.sink) this.pendingBytes -= closed.byteLength;
    if (closed.frames === 0) {
      this.sink?.discard(closed.index);
      this.onEmpty(closed);
      return;
    }
    this.onSegment({ ...closed, chunks });
  }
}
