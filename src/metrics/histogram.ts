/**
 * Log-scale latency histogram (milliseconds), as plain bucket counts in an Int32Array.
 *
 * Buckets: index 0 counts values below HIST_MIN_MS (and NaN); index i in 1..HIST_BUCKETS-2
 * counts [HIST_MIN_MS·F^(i-1), HIST_MIN_MS·F^i) with F = HIST_FACTOR = 1.25; the last index
 * counts everything from HIST_MIN_MS·F^(HIST_BUCKETS-2) (~80 s) up. A percentile read back
 * from the counts is the geometric middle of its bucket, so it is within a factor √1.25 of
 * the true sample (one bucket's width), except in the two open-ended buckets.
 */
export const HIST_MIN_MS = 0.05;
export const HIST_FACTOR = 1.25;
/** 64 finite buckets (0.05 ms … ~80 s) plus underflow and overflow. */
export const HIST_BUCKETS = 66;

const LN_FACTOR = Math.log(HIST_FACTOR);

/** Bucket index of a value in ms. Allocation-free. */
export function bucketOf(ms: number): number {
  if (!(ms >= HIST_MIN_MS)) return 0;
  const i = Math.floor(Math.log(ms / HIST_MIN_MS) / LN_FACTOR) + 1;
  return i > HIST_BUCKETS - 1 ? HIST_BUCKETS - 1 : i;
}

/** Inclusive lower bound of bucket i in ms (0 for the underflow bucket). */
export function bucketLowerMs(i: number): number {
  return i <= 0 ? 0 : HIST_MIN_MS * Math.pow(HIST_FACTOR, i - 1);
}

/** The value reported for a bucket: its geometric middle (bounds for the open-ended ones). */
export function bucketValueMs(i: number): number {
  if (i <= 0) return HIST_MIN_MS;
  if (i >= HIST_BUCKETS - 1) return bucketLowerMs(i);
  return HIST_MIN_MS * Math.pow(HIST_FACTOR, i - 0.5);
}

/**
 * q-quantile (0 < q ≤ 1) of the counts in `counts[offset .. offset+HIST_BUCKETS)`, using the
 * nearest-rank definition (the sample of rank ceil(q·n)). NaN when the histogram is empty.
 * Plain reads: with concurrent writers the result mixes counts a few updates apart.
 */
export function histogramQuantile(
  counts: ArrayLike<number>,
  q: number,
  offset = 0,
): number {
  let total = 0;
  for (let i = 0; i < HIST_BUCKETS; i++) total += counts[offset + i] ?? 0;
  if (total === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < HIST_BUCKETS; i++) {
    seen += counts[offset + i] ?? 0;
    if (seen >= rank) return bucketValueMs(i);
  }
  return bucketValueMs(HIST_BUCKETS - 1);
}

/** Sum of the bucket counts. */
export function histogramCount(counts: ArrayLike<number>, offset = 0): number {
  let total = 0;
  for (let i = 0; i < HIST_BUCKETS; i++) total += counts[offset + i] ?? 0;
  return total;
}
