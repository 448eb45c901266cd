import type { LinkReader, LinkWriter, ReadableFrame, WritableFrame } from '../../pool/strategy.ts';
import type { ControlBlock } from '../control-block.ts';
import type { FrameSize } from '../ladder.ts';

/**
 * Blocking link access for stages, in short waits so a stop is noticed within one slice.
 * (Stages run inside ffmpeg's synchronous exec or a plain loop: blocking is how they wait.)
 */
export const WAIT_SLICE_MS = 50;

/** The next frame, or null at end of stream or once the run is stopping. */
export function nextFrame(reader: LinkReader, control: ControlBlock): ReadableFrame | null {
  while (true) {
    const result = reader.next(WAIT_SLICE_MS);
    if (result === 'end') return null;
    if (result !== 'timeout') return result;
    if (control.stopping) return null;
  }
}

/** A writable frame of `size`, blocking while the link is full (back-pressure); null on stop. */
export function beginFrame(writer: LinkWriter, control: ControlBlock, size: FrameSize): WritableFrame | null {
  while (true) {
    if (control.stopping) return null;
    const frame = writer.begin(size.width, size.height, WAIT_SLICE_MS);
    if (frame !== 'timeout') return frame;
  }
}

/** Hands `frame` on, blocking while the link is full; on stop drops it and returns false. */
export function commitFrame(writer: LinkWriter, control: ControlBlock, frame: WritableFrame): boolean {
  while (writer.commit(frame, WAIT_SLICE_MS) === 'timeout') {
    if (control.stopping) {
      writer.abort(frame);
      return false;
    }
  }
  return true;
}
