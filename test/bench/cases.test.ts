/**
 * The bench's speed cases run alike (issue 14: warm, no probe), `--only =ID` picks one case,
 * and the targets read speed from speed cases and memory from fresh pages (bench/cases.ts,
 * bench/report.ts).
 */
import { expect, test } from 'vitest';
import { fullCases, quickCases, selectCases, soakCase, type CaseSpec } from '../../bench/cases.ts';
import { evaluateTargets, type CaseFigures } from '../../bench/report.ts';

const full = fullCases();
const ids = (specs: CaseSpec[]) => specs.map((s) => s.id);

test('--only =ID selects that one case; plain text still selects every id containing it', () => {
  expect(ids(selectCases(full, ['=pooled max none @720p-10s']))).toEqual(['pooled max none @720p-10s']);
  const loose = ids(selectCases(full, ['pooled max none @720p-10s']));
  expect(loose).toContain('unpooled max none @720p-10s');
  expect(loose).toContain('webcodecs pooled max none @720p-10s');
  expect(ids(selectCases(full, ['=stage-alone @720p-10s', '=baseline-exec @720p-10s']))).toEqual(['stage-alone @720p-10s', 'baseline-exec @720p-10s']);
  expect(selectCases(full, ['=pooled max none'])).toEqual([]);
});

test('every case an fps target, ×exec or the four-way table reads runs warm without the probe, in the full bench and --quick', () => {
  for (const specs of [full, quickCases()]) {
    const read = specs.filter((s) => s.kind !== 'pipeline'
      || (s.pacing === 'max' && s.schedule === 'none' && !s.fairCompare && !s.probeCost && !s.id.includes('fresh page')));
    expect(read.length).toBeGreaterThanOrEqual(7);
    for (const s of read) expect({ id: s.id, warmUp: s.warmUp, probe: s.probe }).toEqual({ id: s.id, warmUp: true, probe: false });
  }
  // The memory target's pair stays in fresh pages with the probe.
  const fresh = full.filter((s) => s.id.includes('fresh page'));
  expect(fresh.map((s) => [s.input, s.warmUp, s.probe])).toEqual([['720p-10s', undefined, undefined], ['720p-60s', undefined, undefined]]);
});

/** Figures with only what the fps and memory targets read. */
const figure = (spec: CaseSpec, fps: number, peakRssMb: number): CaseFigures => ({
  id: spec.id, spec, ok: true, failure: null, fps, ratioToExec: NaN, allocationsAfterWarmup: 0, framesAfterWarmup: 100,
  os: { peakRss: peakRssMb * 1048576 }, switches: 0, manualSwitches: 0,
}) as unknown as CaseFigures;

test('the fps target reads the warm pooled case and exec; the memory target reads the fresh pages, not the warm ones', () => {
  const byId = (id: string) => full.find((s) => s.id === id)!;
  // Fresh pages first, so a reader that ignored the settings would pick them.
  const cases = [
    figure(byId('pooled max none (fresh page) @720p-10s'), 30, 400),
    figure(byId('pooled max none (fresh page) @720p-60s'), 30, 420),
    figure(byId('pooled max none @720p-10s'), 60, 900),
    figure(byId('pooled max none @720p-60s'), 60, 2000),
    figure(byId('baseline-exec @720p-10s'), 25, 300),
  ];
  cases[2]!.ratioToExec = 60 / 25;
  const targets = evaluateTargets(cases, null, null, null);
  const fps = targets.find((t) => t.target.startsWith('pooled, max pacing: ≥ 2.0×'))!;
  expect(fps.measured).toContain('60.0 / 25.0 fps = 2.40×');
  expect(fps.verdict).toBe('meets');
  const memory = targets.find((t) => t.target.startsWith('peak OS memory'))!;
  expect(memory.measured).toContain('400 → 420 MB = 1.05×');
  expect(memory.verdict).toBe('meets');
});

test('the soak probes at most 4 times a second, every other case at the default 10 Hz (issue 13: stages inside exec keep each probe request until the run ends)', () => {
  const soak = soakCase(30);
  expect(soak.probe).not.toBe(false);
  expect(soak.probeEveryMs).toBeGreaterThanOrEqual(250);
  expect(full.filter((s) => s.probeEveryMs !== undefined)).toEqual([]);
});
