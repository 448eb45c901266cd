/** Pipeline stages. The numeric ids index every per-stage table in shared memory. */
export const StageId = {
  decode: 0,
  scale: 1,
  encode: 2,
  preview: 3,
} as const;

export type StageId = (typeof StageId)[keyof typeof StageId];

/** Number of stages; sizes every per-stage array (metrics rows, slot per-stage refs and stamps). */
export const STAGE_COUNT = 4;

/** Stage names, indexed by StageId. */
export const STAGE_NAMES: readonly ['decode', 'scale', 'encode', 'preview'] = [
  'decode',
  'scale',
  'encode',
  'preview',
];

export type StageName = (typeof STAGE_NAMES)[number];

export function stageName(stage: StageId): StageName {
  const name = STAGE_NAMES[stage];
  if (name === undefined) throw new RangeError(`unknown stage ${stage}`);
  return name;
}

// Read once per thread: `performance.timeOrigin` makes a new HeapNumber (12 B) on every read,
// while `performance.now()` in optimised code is a fast API call that allocates nothing.
const TIME_ORIGIN = performance.timeOrigin;

/**
 * The shared clock every thread stamps with (ms since the epoch, sub-ms precision).
 * allocates: in TurboFan code nothing (performance.now() is a fast API call there); in Maglev
 * code, where per-frame functions run for their first ~15–20 thousand calls, one HeapNumber
 * (12 B) per reading, and one more for a double returned from or passed to a call that is not
 * inlined. Read it as few times per frame as the figures need (e2e/gc-allocations.spec.ts).
 */
export function sharedNow(): number {
  return TIME_ORIGIN + performance.now();
}

/**
 * This thread's latest reading of the shared clock (readClock), for the per-frame path. In
 * Maglev code a double passed to or returned from a call V8 did not inline is boxed (a new
 * HeapNumber) just like a fresh reading, while one loaded from a Float64Array and stored into
 * one (or into a number field) is not: so the pool and links hand a reading on through this
 * cell, not as an argument. A function that stamps with clock[0] says so; its caller reads the
 * clock just before (nothing that takes time runs between).
 */
export const clock = new Float64Array(1);

/**
 * Reads the shared clock into clock[0].
 * allocates: as sharedNow, one HeapNumber per reading in Maglev code (performance.now()'s result).
 */
export function readClock(): void {
  clock[0] = TIME_ORIGIN + performance.now();
}
