import type { EncoderOutput, SegmentClosed } from './stages/encode-stage.ts';

/**
 * An encoded segment as the page keeps it: its chunks as they came from the encoder (no
 * whole-segment copy is made unless someone asks for `bytes`).
 */
export interface EncodedSegment extends SegmentClosed {
  /** The file's bytes in order. A sink that streams them elsewhere may empty this array. */
  readonly chunks: Uint8Array[];
  /** The whole file in one buffer. Allocates and copies on every read: prefer `chunks`. */
  readonly bytes: Uint8Array;
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
    this.onSegment({
      ...closed,
      chunks,
      get bytes() { return concat(chunks); },
    });
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
