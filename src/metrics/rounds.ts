/**
 * Comparing runs as a measurement: alternated order, median and range per metric, and a
 * verdict that names a winner only when the ranges do not overlap (DESIGN.md, "Comparing
 * fairly"). Pure functions, shared by the dashboard's Compare and the bench.
 */

/**
 * The order in which to run `modes`, `rounds` times each, alternating so that no mode always
 * goes first: for two modes A B B A A B B A … (each pair reverses the previous one).
 */
export function alternatedOrder<M>(modes: readonly M[], rounds: number): M[] {
  const order: M[] = [];
  for (let r = 0; r < rounds; r++) {
    const pass = r % 2 === 0 ? modes : [...modes].reverse();
    order.push(...pass);
  }
  return order;
}

/** A metric over rounds: its median and the range it spanned. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Rounds with a finite value. */
  n: number;
}

/** Median (mean of the middle two for an even count), min and max of the finite values. */
export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = finite.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = n >> 1;
  const median = n % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
  return { median, min: finite[0]!, max: finite[n - 1]!, n };
}

/** How a row compares the modes. */
export type Verdict =
  /** `best` is better than every other mode and the ranges do not overlap. */
  | { kind: 'real'; best: number }
  /** The ranges overlap: the difference may be noise. */
  | { kind: 'noise' }
  /**
   * Too few rounds to judge: a single round (a point cannot show noise; one round was called
   * "within noise" even for reuse 0.94 vs 0), or ranges apart that rounds this few would show
   * by chance more often than 1 in 20 (`chance`: 1 for a single round).
   */
  | { kind: 'few'; chance: number }
  /** A figure that differs by construction (bytes allocated, copied): the lower one, named even with one round. */
  | { kind: 'construction'; best: number }
  /** All equal, unknown, or a row with no better direction. */
  | { kind: 'none' };

/**
 * The verdict for one metric across modes. `better`: -1 lower is better, 1 higher, 0 neither.
 * A mode wins only if its whole range is better than every other mode's whole range; with a
 * single round per mode the range is a point and cannot show noise, so there is no verdict
 * ('few') unless the row differs by construction.
 */
export function verdictOf(spreads: readonly Spread[], better: -1 | 0 | 1, byConstruction = false): Verdict {
  if (better === 0 || spreads.length < 2 || spreads.some((s) => s.n === 0)) return { kind: 'none' };
  const medians = spreads.map((s) => s.median);
  const bestMedian = better < 0 ? Math.min(...medians) : Math.max(...medians);
  if (medians.every((m) => m === bestMedian)) return { kind: 'none' };
  const best = medians.indexOf(bestMedian);
  if (byConstruction) return { kind: 'construction', best };
  if (spreads.some((s) => s.n < 2)) return { kind: 'few', chance: 1 };
  const b = spreads[best]!;
  const separated = spreads.every((s, i) => i === best || (better < 0 ? b.max < s.min : b.min > s.max));
  if (!separated) return { kind: 'noise' };
  const chance = Math.max(...spreads.map((s, i) => (i === best ? 0 : apartByChance(b.n, s.n))));
  return chance > MAX_CHANCE ? { kind: 'few', chance } : { kind: 'real', best };
}

/** A difference is called real only when its ranges would be apart by chance at most this often. */
export const MAX_CHANCE = 0.05;

/**
 * How often two modes with no real difference would still show ranges apart (either one wholly
 * below the other) over `a` and `b` rounds: of the C(a+b, a) equally likely orders of the runs'
 * values, two put one mode's all below the other's. 3 rounds each: 1 in 10, so a Compare of 3
 * rounds named a winner by chance in some of its rows (measured: Compare twice on the sample,
 * throughput and latency p50 'pooled' once, 'within noise' the next time); 4: 1 in 35; 5: 1 in 126.
 */
export function apartByChance(a: number, b: number): number {
  let c = 1;
  for (let i = 1; i <= a; i++) c = (c * (b + i)) / i;
  return 2 / c;
}
