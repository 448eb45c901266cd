/**
 * Issue 13 in the bench: its cases (bench/cases.ts switchCostCases), the capped ladder the page
 * replays (bench/page/switch-cost.ts) and the targets as the median over runs (bench/switch-targets.ts).
 */
import { expect, test } from 'vitest';
import { switchCostCases, type CaseSpec } from '../../bench/cases.ts';
import { FrameLog } from '../../bench/page/frame-log.ts';
import { scheduleFor, steadyGaps, switchFigures } from '../../bench/page/switch-cost.ts';
import type { BenchCaseConfig } from '../../bench/protocol.ts';
import type { CaseFigures } from '../../bench/report.ts';
import { switchCostTargets, switchesTable } from '../../bench/switch-targets.ts';
import type { PipelineRunReport } from '../../src/pipeline/run-report.ts';
import { ScheduleCursor } from '../../src/pipeline/switch-schedule.ts';

const specs = switchCostCases();

test('issue-13 cases: every id says switch-cost (so --only switch-cost selects them), all realtime and pooled on a 720p source; ≤720p cases cap the rungs, the drop case keeps 1080p', () => {
  expect(specs.every((s) => s.id.includes('switch-cost') && s.pacing === 'realtime' && s.mode === 'pooled' && s.input.startsWith('720p'))).toBe(true);
  expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
  const by = (what: string) => specs.filter((s) => s.id.includes(what));
  expect(by('≤720p').map((s) => [s.schedule, s.topRung, s.livePolicy ?? 'block', s.backend ?? 'ffmpeg', s.encoderSwitch ?? 'default'])).toEqual([
    ['every30', '720', 'block', 'ffmpeg', 'default'], ['clicks', '720', 'block', 'ffmpeg', 'default'],
    ['every30', '720', 'block', 'webcodecs', 'default'], ['clicks', '720', 'block', 'webcodecs', 'default'],
    ['every30', '720', 'block', 'webcodecs', 'reconfigure'], ['clicks', '720', 'block', 'webcodecs', 'reconfigure'],
  ]);
  expect(by('drop').map((s) => [s.schedule, s.topRung, s.livePolicy])).toEqual([['every30', undefined, 'drop']]);
  expect(by('memory').map((s) => [s.input, s.output, s.schedule])).toEqual([['720p-10s', 'disk', 'none'], ['720p-60s', 'disk', 'none']]);
});

test('the ladder capped at 720p walks 480 → 720 → 240 → 360 → 480 every 30 frames, as the app\'s every-30 schedule does but never to 1080p', () => {
  const config = { targetHeight: 480, schedule: 'every30', topRung: '720' } as BenchCaseConfig;
  const cursor = new ScheduleCursor(scheduleFor(config), ['240', '360', '480', '720', '1080'], '480');
  const rungs = Array.from({ length: 30 * 60 }, (_, i) => cursor.rungFor(i));
  expect([0, 30, 60, 90, 120, 150].map((i) => rungs[i])).toEqual(['480', '720', '240', '360', '480', '720']);
  expect(rungs.slice(1, 30).every((r) => r === '480')).toBe(true);
  expect(rungs).not.toContain('1080');
  // Without the cap, the app's own schedule.
  expect(scheduleFor({ ...config, topRung: undefined })).toEqual({ kind: 'every', frames: 30 });
});

/** A run's figures of the issue-13 cases (only what the targets read). */
function run(gap: number[], clicksToBytes: number[], latencyMax: number, ratio: number): CaseFigures[] {
  const fig = (spec: CaseSpec, extra: object) => ({ id: spec.id, spec, ok: true, switchValues: { costMs: [], toEncoderMs: [], toFirstBytesMs: [], gapMs: [] }, ...extra }) as unknown as CaseFigures;
  const [ladder, clicks, drop, m10, m60] = specs as [CaseSpec, CaseSpec, CaseSpec, CaseSpec, CaseSpec];
  return [
    fig(ladder, { switchValues: { gapMs: gap }, latency: { p50: 4, p99: 90 }, latencyAfterWarmup: { p50: 4, p99: 30 } }),
    fig(clicks, { switchValues: { gapMs: [], toFirstBytesMs: clicksToBytes } }),
    fig(drop, { lateness: { p50: 10, p99: 80, max: latencyMax + 500 }, latency: { p50: 8, p99: 70, max: latencyMax }, drops: { total: 12, byRung: { 1080: 12 }, boundMs: 100, atEncoder: 2 } }),
    fig(m10, { os: { allPeakRss: 1000 * 2 ** 20 } }),
    fig(m60, { os: { allPeakRss: ratio * 1000 * 2 ** 20 } }),
  ];
}

test('issue-13 targets: the median over runs is judged, and every run\'s figure is listed', () => {
  const targets = switchCostTargets([
    run([10, 20, 50], [60, 90], 95, 1.05),
    run([10, 20, 30], [60, 120], 99, 1.2),
    run([10, 20, 34], [60, 80], 120, 1.08),
  ], null);
  // ffmpeg.wasm's three, WebCodecs' three (its cases are not in these runs: unjudged), then the rest.
  const [gap, clicks, ladder, webCodecsGap, , , drop, memory, soak] = targets;
  expect(webCodecsGap!.target).toContain('WebCodecs');
  expect(webCodecsGap!.verdict).toBe('n/a');
  // Gap p99 per run (3 values: the largest): 50, 30, 34 → median 34 > 33 (the mean would be 38).
  expect(gap!.measured).toContain('median 34.0 ms over 3 run(s)');
  expect(gap!.measured).toContain('run 1: p99 50.0 ms of 3 (16.7 ms over one interval), p50 20.0 ms (frames 33.3 ms apart); run 2: p99 30.0 ms of 3');
  expect(gap!.verdict).toBe('short');
  expect(clicks!.measured).toContain('median 90.0 ms');
  expect(clicks!.verdict).toBe('meets');
  expect(ladder!.measured).toContain('median 26.0 ms'); // p99 − p50 after frame 30, not all frames (86)
  expect(ladder!.verdict).toBe('meets');
  // max latency − bound: −5, −1, +20 (lateness, 500 ms more here: a decoder behind realtime, is shown, not judged)
  expect(drop!.measured).toContain('median -1.0 ms');
  expect(drop!.measured).toContain('12 dropped (2 at the encoder; 1080: 12)');
  expect(drop!.verdict).toBe('meets');
  expect(memory!.measured).toContain('median 1.08×');
  expect(memory!.verdict).toBe('meets'); // 1.08
  expect(soak!.verdict).toBe('n/a');
});

test('issue-13 targets: a run without the case is listed as not run and leaves the target unjudged', () => {
  const [gap] = switchCostTargets([run([10], [60], 90, 1), []], null);
  expect(gap!.measured).toContain('run 2: not run');
  expect(gap!.verdict).toBe('n/a');
});

test('the switches table lists latency by output height, smallest first (a 720p rung the machine cannot encode at 30 fps shows its full queue there)', () => {
  const [ladder] = specs as [CaseSpec];
  const fig = {
    id: ladder.id, spec: ladder, ok: true, switches: 59, manualSwitches: 0, reinits: 59, reinitP50: 35, reinitMax: 90, drops: null, lateness: null,
    switchValues: { costMs: [1], toEncoderMs: [5], toFirstBytesMs: [20], gapMs: [34] },
    bySize: { '1280×720': { latency: { count: 400, p50: 240.2, p99: 301.9, max: 310 }, lateness: null }, '426×240': { latency: { count: 400, p50: 3.1, p99: 9, max: 12 }, lateness: null } },
  } as unknown as CaseFigures;
  expect(switchesTable([fig])).toContain('240p 3.1/9.0 · 720p 240.2/301.9');
});

test('the gap with no switch: take → take of consecutive frames in one segment, in frame order whichever lane logged them, leaving out a segment\'s first frame, a dropped frame\'s neighbours and the warm-up', () => {
  const log = new FrameLog();
  // Two lanes log out of order; frame 33 opens a segment; frame 36 was dropped; frames < 30 are the warm-up.
  for (const [frame, t] of [[29, 960], [30, 1000], [32, 1070], [31, 1033], [33, 1120], [34, 1140], [35, 1175], [37, 1240]] as const) log.add(t, 5, frame, 0);
  expect(steadyGaps(log, new Set([0, 33]), 30)).toEqual([33, 37, 20, 35]); // 30→31, 31→32, 33→34, 34→35
});

test('switch figures leave out switches in the lead-in (frames < 30, as every latency figure) and keep their first bytes apart; count and clicks still count them all', () => {
  const at = (frameIndex: number, ms: number, manual = true) => ({ frameIndex, manual, switchMs: ms / 4, toEncoderMs: ms / 2, toFirstBytesMs: ms, gapMs: 34 });
  const report = {
    // Two clicks in the cold first second (200+ ms), then three after it.
    switches: [at(10, 211), at(21, 225), at(30, 50), at(45, 53), at(70, 48, false)],
    drops: { total: 0, byRung: {}, boundMs: null, atEncoder: 0 },
  } as unknown as PipelineRunReport;
  const { switches } = switchFigures(report, 30);
  expect([switches.count, switches.manual]).toEqual([5, 4]);
  expect(switches.toFirstBytesMs).toEqual([50, 53, 48]);
  expect(switches.toEncoderMs).toEqual([25, 26.5, 24]);
  expect(switches.costMs).toHaveLength(3);
  expect(switches.gapMs).toHaveLength(3);
  expect(switches.leadIn).toEqual({ frames: 30, count: 2, toFirstBytesMs: [211, 225] });
});

test('the click target judges the p99 after the lead-in and names the clicks it left out, with their first bytes', () => {
  const runs = [run([10], [60, 80], 90, 1)];
  const clicks = runs[0]![1]!;
  clicks.switchValues.leadIn = { frames: 30, count: 2, toFirstBytesMs: [181.1, 224.9] };
  const [, target] = switchCostTargets(runs, null);
  expect(target!.measured).toContain('p99 80.0 ms of 2 clicks; left out, 2 in the first 30 frames (cold code): first bytes 181.1, 224.9 ms');
  expect(target!.verdict).toBe('meets');
});
