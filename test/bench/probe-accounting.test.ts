/**
 * The bench's accounting from the lab probe's series (bench/probe-accounting.ts): which samples
 * make a case's baseline and peak, the shares of the renderer's growth, and the targets.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { accountingTargets, probeFigures, type ProbeRecord } from '../../bench/probe-accounting.ts';
import type { LabAccount } from '../../lab/protocol.ts';

const MB = 1024 * 1024;

/** An accounted sample at `t` of renderer `pid`: `renderer` MB of PSS, `measured` MB of kinds (all in native heaps but 10 MB of V8 heap). */
function rec(t: number, renderer: number | null, measured: number, opts: { pid?: number; split?: boolean; answerMs?: number } = {}): ProbeRecord {
  const split = opts.split ?? true;
  const account: LabAccount = {
    rendererPid: opts.pid ?? 7, renderer: renderer === null ? null : renderer * MB, otherProcesses: 0,
    pageHeap: 4 * MB, workerHeaps: 6 * MB, backingStores: 0, blinkHeaps: 0, pool: 0, wasm: 0, wasmBasis: 'resident', poolCommitted: 0, wasmCommitted: 0,
    files: 0, sharedMemory: 0, jitCode: 0, nativeHeaps: (measured - 10) * MB, otherPrivate: 0, splitAt: split ? t : null,
    measured: measured * MB, unaccounted: split && renderer !== null ? (renderer - measured) * MB : null,
  };
  return { t, tookMs: 5, account, workers: [{ role: 'decode', total: 6 * MB, backing: 0, blink: 0, ms: opts.answerMs ?? 10 }] };
}

test('baseline is the last accounted sample before the case; peak the run\'s accounted sample with the largest renderer; samples without a split or of another renderer are left out', () => {
  const records = [
    rec(0, 100, 90),
    rec(50, 105, 95), // the baseline: last accounted before from = 100
    rec(60, 500, 100, { split: false }), // no split: not accounted
    rec(110, 180, 160),
    rec(120, 900, 100, { pid: 8 }), // another renderer (the probe's first guess)
    rec(130, 200, 185), // the peak
    rec(140, 195, 180),
    rec(300, 400, 100), // after the case
  ];
  const f = probeFigures(records, 100, 200, 7)!;
  expect(f.base!.renderer).toBe(105 * MB);
  expect(f.peak!.renderer).toBe(200 * MB);
  expect(f.accounted).toBe(3);
  expect(f.samples).toBe(4);
  expect(f.measuredShareOfGrowth).toBeCloseTo((185 - 95) / (200 - 105), 10);
  expect(f.unaccountedShareOfGrowth).toBeCloseTo((15 - 10) / (200 - 105), 10);
  expect(f.unaccountedShareAtPeak).toBeCloseTo(15 / 200, 10);
  expect(f.unaccountedShare.max).toBeCloseTo(20 / 180, 10);
  expect(f.rateHz).toBeCloseTo((4 - 1) * 1000 / (140 - 110), 10);
});

test('a case with no accounted sample before it has no growth share (not a share against zero)', () => {
  const f = probeFigures([rec(110, 180, 160), rec(130, 200, 185)], 100, 200, 7)!;
  expect(f.base).toBeNull();
  expect(f.measuredShareOfGrowth).toBeNaN();
  expect(f.unaccountedShareAtPeak).toBeCloseTo(15 / 200, 10);
  expect(probeFigures([rec(50, 100, 90)], 100, 200, 7)).toBeNull();
});

test('targets: 85–115% of growth explained and under 15% unaccounted at the peak, every run, or short', () => {
  const good = probeFigures([rec(50, 100, 90), rec(150, 200, 185)], 100, 200, 7);
  const bad = probeFigures([rec(50, 100, 90), rec(150, 300, 200)], 100, 200, 7);
  const [share, unacc] = accountingTargets([{ id: 'a', mode: 'pooled', probe: good }, { id: 'b', mode: 'unpooled', probe: good }]);
  expect([share!.verdict, unacc!.verdict]).toEqual(['meets', 'meets']);
  const [share2, unacc2] = accountingTargets([{ id: 'a', mode: 'pooled', probe: good }, { id: 'b', mode: 'unpooled', probe: bad }]);
  expect([share2!.verdict, unacc2!.verdict]).toEqual(['short', 'short']);
  expect(unacc2!.measured).toContain('largest: b 100 of 300 MB');
  expect(accountingTargets([{ id: 'c', probe: null }])[0]!.verdict).toBe('n/a');
});

test('on a recorded bench run (unpooled max none @720p-10s, 2026-11-30): the peak is the largest accounted renderer in the run, and unaccounted = renderer − the sum of the kinds', () => {
  const run = JSON.parse(readFileSync(new URL('./fixtures/unpooled-run.json', import.meta.url), 'utf8')) as { from: number; to: number; rendererPid: number; records: ProbeRecord[] };
  const f = probeFigures(run.records, run.from, run.to, run.rendererPid)!;
  const inRun = run.records.filter((r) => r.t >= run.from && r.t <= run.to && r.account.unaccounted !== null && r.account.rendererPid === run.rendererPid);
  expect(f.accounted).toBe(inRun.length);
  expect(f.peak!.renderer).toBe(Math.max(...inRun.map((r) => r.account.renderer!)));
  const p = f.peak!;
  expect(p.v8Heaps + p.backingStores + p.blinkHeaps + p.pool + p.wasm + p.nativeHeaps + p.files + p.sharedMemory + p.jitCode).toBeCloseTo(p.measured, 0);
  expect(p.renderer - p.measured).toBeCloseTo(p.unaccounted, 0);
  expect(f.base!.renderer).toBeLessThan(p.renderer);
});
