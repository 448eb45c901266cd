import type { LinkReader, LinkWriter, PeekedFrame, ReadableFrame, WritableFrame } from '../../pool/link.ts';
import type { StageId } from '../../metrics/stages.ts';
import type { ControlBlock } from '../control-block.ts';
import type { FrameSize } from '../ladder.ts';

/**
 * Link access for stages, in short waits so a stop is noticed within one slice. Stages inside
 * ffmpeg's synchronous exec or a plain loop block (nextFrame, beginFrame, …); a stage that must
 * return to its event loop (a WebCodecs worker) awaits the *Async twins. Every slice spent
 * blocked on a neighbour counts as progress for `stage` (control block PROGRESS): waiting is
 * not stalling, so the watchdog blames the stage nobody is waiting for.
 */
export const WAIT_SLICE_MS = 50;

/** The next frame, or null at end of stream or once the run is stopping. */
export function nextFrame(reader: LinkReader, control: ControlBlock, stage: StageId): ReadableFrame | null {
  while (true) {
    const result = reader.next(WAIT_SLICE_MS);
    if (result === 'end') return null;
    if (result !== 'timeout') return result;
    control.beat(stage);
    if (control.stopping) return null;
  }
}

/** Awaitable twin of nextFrame: the thread returns to its event loop while it waits. */
export async function nextFrameAsync(reader: LinkReader, control: ControlBlock, stage: StageId): Promise<ReadableFrame | null> {
  for (;;) {
    const result = await reader.nextAsync(WAIT_SLICE_MS);
    if (result === 'end') return null;
    if (result !== 'timeout') return result;
    control.beat(stage);
    if (control.stopping) return null;
  }
}

/**
 * Calls `handle` for every frame of `reader` until the end, a stop, or `handle` returning
 * false. A blocking reader loops here without yielding or allocating (the pooled hot path);
 * a reader fed by messages, or any reader when `mayBlock` is false (a consumer that must
 * return to its event loop), is awaited between frames.
 */
export async function forEachFrame(
  reader: LinkReader, control: ControlBlock, stage: StageId, handle: (frame: ReadableFrame) => boolean, mayBlock = true,
): Promise<void> {
  if (reader.blocking && mayBlock) {
    for (let frame = nextFrame(reader, control, stage); frame !== null; frame = nextFrame(reader, control, stage)) {
      if (!handle(frame)) return;
    }
    return;
  }
  for (let frame = await nextFrameAsync(reader, control, stage); frame !== null; frame = await nextFrameAsync(reader, control, stage)) {
    if (!handle(frame)) return;
  }
}

/** The next frame's size and index without taking it, or null at end of stream or on stop. */
export function peekFrame(reader: LinkReader, control: ControlBlock, stage: StageId): PeekedFrame | null {
  while (true) {
    const result = reader.peek(WAIT_SLICE_MS);
    if (result === 'end') return null;
    if (result !== 'timeout') return result;
    control.beat(stage);
    if (control.stopping) return null;
  }
}

/** A writable frame of `size`, blocking while the link is full (back-pressure); null on stop. */
export function beginFrame(writer: LinkWriter, control: ControlBlock, stage: StageId, size: FrameSize): WritableFrame | null {
  while (true) {
    if (control.stopping) return null;
    const frame = writer.begin(size.width, size.height, WAIT_SLICE_MS);
    if (frame !== 'timeout') return frame;
    control.beat(stage);
  }
}

/**
 * Awaitable twin of beginFrame: the thread returns to its event loop while the link is full.
 * Beats progress for `stage` per slice waited, like beginFrame; null on stop.
 */
export async function beginFrameAsync(writer: LinkWriter, control: ControlBlock, stage: StageId, size: FrameSize): Promise<WritableFrame | null> {
  for (;;) {
    if (control.stopping) return null;
    const frame = await writer.beginAsync(size.width, size.height, WAIT_SLICE_MS);
    if (frame !== 'timeout') return frame;
    control.beat(stage);
  }
}

/**
 * Hands `frame` on, blocking while the link is full; on stop drops it and returns false.
 * `ready`: the caller has just read the clock as the frame was ready (LinkWriter.commit).
 */
export function commitFrame(writer: LinkWriter, control: ControlBlock, stage: StageId, frame: WritableFrame, ready = false): boolean {
  while (writer.commit(frame, WAIT_SLICE_MS, ready) === 'timeout') {
    control.beat(stage);
    if (control.stopping) {
      writer.abort(frame);
      return false;
    }
  }
  control.beat(stage);
  return true;
}
