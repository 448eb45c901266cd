import { describe, expect, it } from 'vitest';
import { alternatedOrder, apartByChance, MAX_CHANCE, spreadOf, verdictOf } from '../../src/metrics/rounds.ts';

describe('comparison rounds', () => {
  it('alternates the order so neither mode always runs first (A B B A A B)', () => {
    expect(alternatedOrder(['pooled', 'unpooled'], 3)).toEqual(['pooled', 'unpooled', 'unpooled', 'pooled', 'pooled', 'unpooled']);
  });

  it('takes the median (middle two averaged) and the range, ignoring unknown values', () => {
    expect(spreadOf([5, 1, NaN, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(spreadOf([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(spreadOf([NaN]).n).toBe(0);
  });

  it('names a winner only when the ranges do not overlap', () => {
    const low = spreadOf([10, 11, 12, 11, 11]);
    const high = spreadOf([20, 21, 22, 21, 21]);
    expect(verdictOf([high, low], -1)).toEqual({ kind: 'real', best: 1 });
    expect(verdictOf([high, low], 1)).toEqual({ kind: 'real', best: 0 });
    const overlapping = spreadOf([11.5, 30, 31, 30, 30]);
    expect(verdictOf([low, overlapping], -1)).toEqual({ kind: 'noise' });
  });

  it('counts how often ranges are apart by chance: 1 in 10 for 3 rounds each, 1 in 35 for 4, 1 in 126 for 5; a winner needs at most 1 in 20', () => {
    expect(apartByChance(3, 3)).toBeCloseTo(1 / 10, 12);
    expect(apartByChance(4, 4)).toBeCloseTo(1 / 35, 12);
    expect(apartByChance(5, 5)).toBeCloseTo(1 / 126, 12);
    expect(apartByChance(2, 3)).toBeCloseTo(1 / 5, 12);
    const three = [spreadOf([1, 2, 3]), spreadOf([4, 5, 6])];
    expect(verdictOf(three, -1)).toEqual({ kind: 'few', chance: 0.1 });
    expect(MAX_CHANCE).toBe(0.05);
    expect(verdictOf([spreadOf([1, 2, 3, 2]), spreadOf([4, 5, 6, 5])], -1)).toEqual({ kind: 'real', best: 0 });
  });

  it('gives a single round no verdict (not "within noise"), but names the lower of a by-construction row', () => {
    const a = spreadOf([1]);
    const b = spreadOf([2]);
    expect(verdictOf([a, b], -1)).toEqual({ kind: 'few', chance: 1 });
    expect(verdictOf([b, a], -1, true)).toEqual({ kind: 'construction', best: 1 });
  });

  it('gives no verdict for equal medians or a row without a better direction', () => {
    expect(verdictOf([spreadOf([1, 2]), spreadOf([1, 2])], -1)).toEqual({ kind: 'none' });
    expect(verdictOf([spreadOf([1, 2]), spreadOf([5, 6])], 0)).toEqual({ kind: 'none' });
  });
});
