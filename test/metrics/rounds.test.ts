import { describe, expect, it } from 'vitest';
import { alternatedOrder, MAX_CHANCE, NOISE_CHANCE, rankChance, spreadOf, verdictOf } from '../../src/metrics/rounds.ts';

/** Every ordering of a + b distinct ranks, counted by brute force: the reference for the rank test. */
function bruteChance(low: number[], high: number[]): number {
  const all = [...low, ...high];
  const lossesOf = (l: number[], h: number[]) => l.reduce((s, x) => s + h.reduce((t, y) => t + (x < y ? 0 : x === y ? 0.5 : 1), 0), 0);
  const observed = lossesOf(low, high);
  let atLeastAsApart = 0;
  let total = 0;
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === low.length) {
      const l = chosen.map((i) => all[i]!);
      const h = all.filter((_, i) => !chosen.includes(i));
      const u = lossesOf(l, h);
      total++;
      if (Math.min(u, low.length * high.length - u) <= observed) atLeastAsApart++;
      return;
    }
    for (let i = start; i < all.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return atLeastAsApart / total;
}

describe('comparison rounds', () => {
  it('alternates the order so neither mode always runs first (A B B A A B)', () => {
    expect(alternatedOrder(['pooled', 'unpooled'], 3)).toEqual(['pooled', 'unpooled', 'unpooled', 'pooled', 'pooled', 'unpooled']);
  });

  it('takes the median (middle two averaged) and the range, ignoring unknown values', () => {
    expect(spreadOf([5, 1, NaN, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3, values: [1, 3, 5] });
    expect(spreadOf([4, 1, 2, 3])).toMatchObject({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(spreadOf([NaN]).n).toBe(0);
  });

  it('gives ranges apart the chance 2 ÷ C(a+b, a): 1 in 10 for 3 rounds each, 1 in 35 for 4, 1 in 126 for 5', () => {
    expect(rankChance([1, 2, 3], [4, 5, 6])).toBeCloseTo(1 / 10, 12);
    expect(rankChance([1, 2, 3, 4], [5, 6, 7, 8])).toBeCloseTo(1 / 35, 12);
    expect(rankChance([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toBeCloseTo(1 / 126, 12);
    expect(rankChance([1, 2], [3, 4, 5])).toBeCloseTo(1 / 5, 12);
  });

  it('counts overlapping rounds exactly as enumerating every ordering does', () => {
    const cases: [number[], number[]][] = [
      [[1, 2, 3, 4, 7], [5, 6, 8, 9, 10]],
      [[1, 3, 5, 7, 9, 11, 12], [2, 4, 6, 8, 10, 13, 14]],
      [[1, 2, 6], [3, 4, 5, 7]],
      [[2, 2, 3], [2, 4, 5]], // a tie counts a half
    ];
    for (const [low, high] of cases) expect(rankChance(low, high)).toBeCloseTo(bruteChance(low, high), 12);
  });

  it('says 1 when the "low" mode is not the lower one', () => {
    expect(rankChance([4, 5, 6], [1, 2, 3])).toBe(1);
  });

  it('names a winner when chance would rank the rounds that far apart at most 1 in 100: 5 rounds each with the ranges apart', () => {
    const low = spreadOf([10, 11, 12, 11, 11]);
    const high = spreadOf([20, 21, 22, 21, 21]);
    expect(verdictOf([high, low], -1)).toEqual({ kind: 'real', best: 1, chance: 2 / 252 });
    expect(verdictOf([high, low], 1)).toEqual({ kind: 'real', best: 0, chance: 2 / 252 });
    expect(MAX_CHANCE).toBe(0.01);
  });

  // Bug: ranges apart grow stricter with rounds, so "more rounds to judge" hid a clear difference:
  // 8 rounds each with one pooled run slower than four unpooled runs were called "within noise".
  it('with more rounds one outlier no longer vetoes a clear difference (8 rounds, ranges overlap by one run)', () => {
    const pooled = spreadOf([10, 11, 12, 13, 14, 15, 16, 23.5]);
    const unpooled = spreadOf([20, 21, 22, 23, 24, 25, 26, 27]);
    expect(pooled.max).toBeGreaterThan(unpooled.min);
    const v = verdictOf([pooled, unpooled], -1);
    expect(v.kind).toBe('real');
    expect(v).toMatchObject({ best: 0 });
  });

  it('calls a lean "unsettled" between 1 in 100 and 1 in 10 by chance, and mixed ranks within noise', () => {
    const three = verdictOf([spreadOf([1, 2, 3]), spreadOf([4, 5, 6])], -1);
    expect(three).toEqual({ kind: 'unsettled', best: 0, chance: 0.1 });
    expect(NOISE_CHANCE).toBe(0.1);
    const oneOverlap = verdictOf([spreadOf([1, 2, 3, 4, 7]), spreadOf([5, 6, 8, 9, 10])], -1);
    expect(oneOverlap).toMatchObject({ kind: 'unsettled', best: 0 });
    expect(verdictOf([spreadOf([1, 4, 5, 8, 9]), spreadOf([2, 3, 6, 7, 10])], -1)).toMatchObject({ kind: 'noise' });
  });

  it('gives a single round no verdict (not "within noise"), but names the lower of a by-construction row', () => {
    const a = spreadOf([1]);
    const b = spreadOf([2]);
    expect(verdictOf([a, b], -1)).toEqual({ kind: 'unsettled', best: 0, chance: 1 });
    expect(verdictOf([b, a], -1, true)).toEqual({ kind: 'construction', best: 1 });
  });

  it('gives no verdict for a row without a better direction', () => {
    expect(verdictOf([spreadOf([1, 2]), spreadOf([5, 6])], 0)).toEqual({ kind: 'none' });
  });

  // Regression: two end-to-end p99s in one histogram bucket have equal medians, and the
  // Compare table left that row's verdict blank, as if it had not been judged.
  it('calls equal medians over measured rounds within noise, but leaves by-construction rows and single rounds blank', () => {
    expect(verdictOf([spreadOf([40.9, 40.9, 40.9]), spreadOf([40.9, 40.9, 51.2])], -1)).toEqual({ kind: 'noise', chance: 1 });
    expect(verdictOf([spreadOf([0, 0]), spreadOf([0, 0])], -1)).toEqual({ kind: 'noise', chance: 1 });
    expect(verdictOf([spreadOf([0, 0]), spreadOf([0, 0])], -1, true)).toEqual({ kind: 'none' });
    expect(verdictOf([spreadOf([3]), spreadOf([3])], -1)).toEqual({ kind: 'none' });
  });
});
