/**
 * The control block stage-alone's side-by-side step shares between the page and its two bench
 * workers (bench.worker.ts): the encoder's worker gives the go, the other worker decodes and
 * scales until the stop, counting frames here.
 */
export const SIDE_BY_SIDE_BYTES = 2 * Int32Array.BYTES_PER_ELEMENT;
export const STATE = 0;
export const FRAMES = 1;
/** STATE values (0: the decoder is loading). */
export const SideBySide = { ready: 1, go: 2, stop: 3 } as const;

/** Sets the state and wakes whoever waits on it. */
export function setState(block: Int32Array, state: number): void {
  Atomics.store(block, STATE, state);
  Atomics.notify(block, STATE);
}
