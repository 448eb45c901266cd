/**
 * The probe-cost comparison (bench/cases.ts probeCostCases, bench/probe-cost.ts): runs
 * alternated on/off, fps on ÷ off with its range, a cost named only when the ranges are apart.
 */
import { expect, test } from 'vitest';
import { probeCostCases } from '../../bench/cases.ts';
import { probeCostResults, probeCostSection } from '../../bench/probe-cost.ts';
import type { CaseFigures } from '../../bench/report.ts';

const specs = probeCostCases('720p-10s', 'pooled', 3, 150);

/** The runs' figures with these fps in run order (only what the comparison reads). */
const figures = (fps: number[], ok = fps.map(() => true), of = specs): CaseFigures[] =>
  of.map((spec, i) => ({ id: spec.id, spec, ok: ok[i]!, failure: ok[i] ? null : 'boom', fps: fps[i]!, probe: spec.probe ? { rateHz: 9.5 } : null }) as unknown as CaseFigures);

test('probe-cost runs alternate on off off on on off, each setting numbered, all stopped after the same frames', () => {
  expect(specs.map((s) => (s.probe ? 'on' : 'off'))).toEqual(['on', 'off', 'off', 'on', 'on', 'off']);
  expect(specs.map((s) => s.probeCost!.round)).toEqual([1, 1, 2, 2, 3, 3]);
  expect(new Set(specs.map((s) => s.id)).size).toBe(6);
  expect(specs.every((s) => s.stopAfterFrames === 150 && s.mode === 'pooled')).toBe(true);
});

test('fps on ÷ off: medians\' ratio, range min(on) ÷ max(off) … max(on) ÷ min(off); overlapping ranges are within noise', () => {
  //            on  off off on  on  off
  const [r] = probeCostResults(figures([50, 52, 49, 48, 51, 53]));
  expect(r!.order).toBe('on off off on on off');
  expect(r!.spread.on.median).toBe(50);
  expect(r!.spread.off.median).toBe(52);
  expect(r!.ratio.median).toBeCloseTo(50 / 52, 10);
  expect(r!.ratio.min).toBeCloseTo(48 / 53, 10);
  expect(r!.ratio.max).toBeCloseTo(51 / 49, 10);
  expect(r!.verdict).toBe('within noise');
  expect(r!.probeHz.median).toBe(9.5);
  expect(probeCostSection([r!])).toContain('0.962× (0.906–1.041)');
});

test('a cost is named only when chance would order the runs that far apart at most 1 in 100 (5 each, all apart: 1 in 126; 3 each: 1 in 10, not settled); a failed run is left out and listed', () => {
  const five = probeCostCases('720p-10s', 'pooled', 5, 150);
  const order = five.map((s) => (s.probe ? 'on' : 'off'));
  const slower = order.map((o, i) => (o === 'on' ? 40 + i / 10 : 50 + i / 10));
  const [r] = probeCostResults(figures(slower, undefined, five));
  expect(r!.verdict).toBe('the probe costs fps (1 in 126 by chance)');
  const [three] = probeCostResults(figures([40, 52, 50, 41, 42, 51]));
  expect(three!.verdict).toBe('leans the probe costs fps, but 1 in 10 by chance: not settled, more rounds to judge');
  const [f] = probeCostResults(figures([40, 52, 50, 41, 42, 51], [true, true, true, true, false, true]));
  expect(f!.spread.on.n).toBe(2);
  expect(f!.failed).toHaveLength(1);
});
