/**
 * Comparing runs as a measurement: alternated order, median and range per metric, and a
 * verdict that names a winner only when the rounds rank the modes apart more clearly than
 * chance would (DESIGN.md, "Comparing fairly"). Pure functions, shared by the dashboard's
 * Compare and the bench.
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
  /** Those values, ascending (the verdict ranks them). */
  values: number[];
}

/** Median (mean of the middle two for an even count), min and max of the finite values. */
export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = finite.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0, values: [] };
  const mid = n >> 1;
  const median = n % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
  return { median, min: finite[0]!, max: finite[n - 1]!, n, values: finite };
}

/** How a row compares the modes. */
export type Verdict =
  /** `best` ranks better than every other mode; with no real difference that happens at most 1 in 100 (`MAX_CHANCE`). */
  | { kind: 'real'; best: number; chance: number }
  /** The ranks mix: chance orders them this far apart more often than 1 in 10 (`chance`). */
  | { kind: 'noise'; chance: number }
  /**
   * Not settled: `best` leans better, but rounds this few show that by chance between 1 in 100
   * and 1 in 10 (`chance`); more rounds settle it either way. A single round: `chance` 1 (a
   * point cannot show noise; one round was called "within noise" even for reuse 0.94 vs 0).
   */
  | { kind: 'unsettled'; best: number; chance: number }
  /** A figure that differs by construction (bytes allocated, copied): the lower one, named even with one round. */
  | { kind: 'construction'; best: number }
  /** All equal, unknown, or a row with no better direction. */
  | { kind: 'none' };

/** A difference is called real only when chance would rank the modes this far apart at most this often. */
export const MAX_CHANCE = 0.01;
/** Above this, the difference is within noise; between the two it is not settled. */
export const NOISE_CHANCE = 0.1;

/**
 * The verdict for one metric across modes. `better`: -1 lower is better, 1 higher, 0 neither.
 * The mode with the best median wins only if, against every other mode, the rank test
 * (`rankChance`) says chance alone would order the rounds that far apart at most 1 in 100.
 * With 5 rounds each that means the ranges do not overlap (1 in 126), the rule this page
 * began with; unlike that rule, more rounds make the test sharper instead of stricter.
 */
export function verdictOf(spreads: readonly Spread[], better: -1 | 0 | 1, byConstruction = false): Verdict {
  if (better === 0 || spreads.length < 2 || spreads.some((s) => s.n === 0)) return { kind: 'none' };
  const medians = spreads.map((s) => s.median);
  const bestMedian = better < 0 ? Math.min(...medians) : Math.max(...medians);
  if (medians.every((m) => m === bestMedian)) {
    // One median for every mode (two p99s in one ±12% histogram bucket, stalls 0 and 0): the
    // rounds show no difference, which is a verdict too. A by-construction row or a single
    // round says nothing here.
    return byConstruction || spreads.some((s) => s.n < 2) ? { kind: 'none' } : { kind: 'noise', chance: 1 };
  }
  const best = medians.indexOf(bestMedian);
  if (byConstruction) return { kind: 'construction', best };
  if (spreads.some((s) => s.n < 2)) return { kind: 'unsettled', best, chance: 1 };
  const b = spreads[best]!.values;
  // Ranked as the better one: lower values when lower is better.
  const chance = Math.max(...spreads.map((s, i) => (i === best ? 0 : better < 0 ? rankChance(b, s.values) : rankChance(s.values, b))));
  if (chance <= MAX_CHANCE) return { kind: 'real', best, chance };
  return chance <= NOISE_CHANCE ? { kind: 'unsettled', best, chance } : { kind: 'noise', chance };
}

/**
 * The rank test (Mann–Whitney U, exact, two-sided): how often two modes with no real
 * difference would rank at least as far apart as `low` below `high`. U counts the pairs
 * (one value from each) that `low` fails to win, ties counting a half; U = 0 is "ranges
 * apart", whose chance is 2 ÷ C(a+b, a): 3 rounds each, 1 in 10; 5, 1 in 126. A value of
 * `low` above the other mode's values counts against it, so more rounds sharpen the test
 * instead of making one outlier veto a clear difference.
 */
export function rankChance(low: readonly number[], high: readonly number[]): number {
  const a = low.length;
  const b = high.length;
  let u = 0;
  for (const x of low) for (const y of high) u += x < y ? 0 : x === y ? 0.5 : 1;
  if (u > (a * b) / 2) return 1; // `low` is not the lower one
  // counts[k]: orderings of a + b distinct values in which `low` loses exactly k pairs.
  const counts = uCounts(a, b);
  const total = counts.reduce((s, c) => s + c, 0);
  let tail = 0;
  for (let k = 0; k <= Math.floor(u); k++) tail += counts[k]!;
  return Math.min(1, (2 * tail) / total);
}

/** How many orderings of `a` values among `b` others give each U, 0 … a·b (the standard recurrence). */
function uCounts(a: number, b: number): number[] {
  // f(i, j)[k]: orderings of i values of `low` among j of `high` in which `low` loses k pairs.
  // The largest value is from `low` (it loses to all j: f(i-1, j) shifted by j) or from `high` (f(i, j-1)).
  let prev: number[][] = Array.from({ length: b + 1 }, () => [1]);
  for (let i = 1; i <= a; i++) {
    const row: number[][] = [[1]];
    for (let j = 1; j <= b; j++) {
      const withLowLast = prev[j]!;
      const withHighLast = row[j - 1]!;
      const len = i * j + 1;
      const out = new Array<number>(len).fill(0);
      for (let k = 0; k < withHighLast.length; k++) out[k]! += withHighLast[k]!;
      for (let k = 0; k < withLowLast.length; k++) out[k + j]! += withLowLast[k]!;
      row.push(out);
    }
    prev = row;
  }
  return prev[b]!;
}
