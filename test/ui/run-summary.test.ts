import { expect, test } from 'vitest';
import { summarizeRun, type SummarizedSegment } from '../../src/ui/panels/run-summary.ts';

const seg = (index: number, height: number, frames: number, reinitMs: number, storage: 'memory' | 'disk' = 'disk'): SummarizedSegment =>
  ({ index, width: Math.round((height * 16) / 9 / 2) * 2, height, frames, byteLength: frames * 1024, storage, reinitMs });

test('a folded run line counts its segments, frames and bytes, names its size range and the p50 re-init of its switches (not the first segment\'s)', () => {
  const sum = summarizeRun([seg(0, 720, 30, 900), seg(1, 240, 30, 20), seg(2, 480, 30, 40), seg(3, 240, 10, 30)]);
  expect(sum).toEqual({ segments: '4 segments', sizes: '3 sizes, 240p–720p', frames: '100', bytes: '100.0 KiB', kept: 'disk', reinit: '30.0 ms p50' });
});

test('a run of one segment names its size and has no re-init; storage that changed mid-run (disk failed) reads "mixed"', () => {
  expect(summarizeRun([seg(0, 480, 300, 5)])).toMatchObject({ segments: '1 segment', sizes: '854×480', reinit: '—' });
  expect(summarizeRun([seg(0, 480, 10, 5), seg(1, 240, 10, 5, 'memory')]).kept).toBe('mixed');
});
