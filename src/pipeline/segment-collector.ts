import type { EncoderOutput, SegmentClosed } from './stages/encode-stage.ts';

/** An encoded segment as the page keeps it: its chunks as they came from the encoder (never copied into one buffer). */
export interface EncodedSegment extends SegmentClosed {
  /** The file's bytes in order. A sink that streams them elsewhere may empty this array. */
  readonly chunks: Uint8Array[];
}

/** Assembles segments from the encoder's output messages (chunks, then the close). */
export class SegmentCollector {
  private readonly open = new Map<number, Uint8Array[]>();
  /** Bytes received for segments not yet closed (what the page holds of the open segment). */
  pendingBytes = 0;

  constructor(private readonly onSegment: (segment: EncodedSegment) => void) {}

  take(message: EncoderOutput): void {
    if (message.kind === 'chunk') {
      let chunks = this.open.get(message.segment);
      if (!chunks) this.open.set(message.segment, (chunks = []));
      chunks.push(message.bytes);
      this.pendingBytes += message.bytes.byteLength;
      return;
    }
    const closed = message.segment;
    const chunks = this.open.get(closed.index) ?? [];
    this.open.delete(closed.index);
    this.pendingBytes -= closed.byteLength;
    this.onSegment({ ...closed, chunks });
  }
}
