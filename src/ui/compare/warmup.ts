/**
 * What "warm" means for a measurement in this page, defined once: the dashboard, the table
 * labels and every saved report use these (DESIGN.md, "Comparing fairly").
 */
import { LEAD_IN_FRAMES } from '../../metrics/metrics-block.ts';

/** Frames at the start of every run that are an unmeasured lead-in (latency, allocations after warm-up; the encoder's frame → bytes-out histogram skips them too). */
export const WARMUP_FRAMES = LEAD_IN_FRAMES;

/** The rolling latency percentiles of the live chart: over this many most recent frames. */
export const LATENCY_WINDOW_FRAMES = 120;

/** The warm-up as a sentence for the page and the report. */
export const WARMUP_DESCRIPTION =
  `codec compiled once per page, one cold run when the page has not run yet, and the first ${WARMUP_FRAMES} frames of every run are an unmeasured lead-in`;

/**
 * Compare's rounds per mode: default and bounds of the input. Five by default: a winner is named
 * only when the rank test says chance would order the rounds that far apart at most 1 in 100
 * (src/metrics/rounds.ts); with 5 each, ranges apart (1 in 126); 4 each can never get there
 * (1 in 35 at best). Leaning rows then get rounds added, up to twice the chosen (`settleCap`).
 */
export const ROUNDS = { default: 5, min: 1, max: 10 } as const;

/** Rounds per mode from the input's text: an integer within bounds (default when unreadable). */
export function clampRounds(raw: string | number): number {
  if (String(raw).trim() === '') return ROUNDS.default;
  const n = Math.floor(Number(raw));
  if (!Number.isFinite(n)) return ROUNDS.default;
  return Math.min(ROUNDS.max, Math.max(ROUNDS.min, n));
}
