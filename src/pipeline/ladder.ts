/** The resolution ladder: target heights a user can switch between. `native` keeps the source size. */
export const LADDER_RUNGS = ['240', '360', '480', '720', '1080', 'native'] as const;
export type LadderRung = (typeof LADDER_RUNGS)[number];

export interface FrameSize {
  width: number;
  height: number;
}

const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

/**
 * Target size for a rung: height from the ladder, width from the source's display aspect
 * ratio, both rounded to even (4:2:0 encoders need even sizes). Upscaling is allowed.
 */
export function rungSize(rung: LadderRung, display: FrameSize): FrameSize {
  if (rung === 'native') return { width: even(display.width), height: even(display.height) };
  const height = Number(rung);
  return { width: even((height * display.width) / display.height), height };
}

/** Every rung's size for a source, in ladder order. */
export function ladderSizes(display: FrameSize): FrameSize[] {
  return LADDER_RUNGS.map((rung) => rungSize(rung, display));
}

/** The rungs that give distinct sizes for this source (e.g. 'native' drops out for a 720p source). */
export function distinctRungs(display: FrameSize): LadderRung[] {
  const seen = new Set<string>();
  return LADDER_RUNGS.filter((rung) => {
    const { width, height } = rungSize(rung, display);
    const key = `${width}x${height}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
