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

export function isStageId(n: number): n is StageId {
  return Number.isInteger(n) && n >= 0 && n < STAGE_COUNT;
}

/** The shared clock every thread stamps with (ms since the epoch, sub-ms precision). */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}
