/** Issue 14's speed ratios run by run (bench/speed-runs.ts). */
import { expect, test } from 'vitest';
import type { CaseSpec } from '../../bench/cases.ts';
import type { CaseFigures, StageAlone } from '../../bench/report.ts';
import { speedRunsSection } from '../../bench/speed-runs.ts';

const fig = (id: string, fps: number, ok = true) => ({ id, spec: { id } as CaseSpec, ok, fps }) as unknown as CaseFigures;
const stage = (encodeFps: number, encodeBesideFps?: number, decodeScaleBesideFps?: number): StageAlone =>
  ({ decodeFps: 90, scaleFps: 1500, encodeFps, encodeBesideFps, decodeScaleBesideFps, where: 'test' });
function run(pooled: number, exec: number): CaseFigures[] {
  return [fig('pooled max none @720p-10s', pooled), fig('unpooled max none @720p-10s', pooled - 5), fig('baseline-exec @720p-10s', exec)];
}
const cells = (table: string, first: string) => table.split('\n').find((l) => l.startsWith(`| ${first} `))!.split('|').slice(2, -1).map((c) => c.trim());

test('each ratio is taken within its run and the median row is the median of those ratios, not a ratio of medians', () => {
  // Pooled ÷ side by side per run: 0.57, 1.50, 0.90 → median 0.90; the ratio of the medians would be 60 / 70 = 0.86.
  const table = speedRunsSection([run(40, 20), run(60, 40), run(90, 30)], [stage(80, 70, 90), stage(60, 50, 40), stage(120, 100, 110)])!;
  expect(cells(table, '1')).toEqual(['40.0', '35.0', '20.0', '80.0', '70.0', '2.00', '0.50', '0.57']);
  expect(cells(table, '2')).toEqual(['60.0', '55.0', '40.0', '60.0', '40.0', '1.50', '1.00', '1.50']); // side by side: the slower of the pair (decode + scale 40)
  expect(cells(table, '3')).toEqual(['90.0', '85.0', '30.0', '120.0', '100.0', '3.00', '0.75', '0.90']);
  expect(cells(table, 'median')).toEqual(['60.0', '55.0', '30.0', '80.0', '70.0', '2.00', '0.75', '0.90']);
});

test('a run without the side-by-side figures (an older stages-alone report) shows a dash, and no pooled speed case means no section', () => {
  const table = speedRunsSection([run(40, 20)], [stage(80)])!;
  expect(cells(table, '1').slice(4)).toEqual(['–', '2.00', '0.50', '–']);
  expect(speedRunsSection([[fig('pooled max none @720p-10s', 50, false)]], [null])).toBeNull();
});
