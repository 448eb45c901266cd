/** The bench's cases: which runs make up `npm run bench`, `--quick` and `--soak`. */
import type { CaseKind, PacingName, AllocationModeName, ScheduleName } from './protocol.ts';
import type { InputId } from './inputs.ts';
import type { CodecBackendName, WebCodecsOptions } from '../src/codec/backends.ts';
import type { LadderRung } from '../src/pipeline/ladder.ts';
import type { LivePolicy } from '../src/pipeline/stages/live-drop.ts';
import { alternatedOrder } from '../src/metrics/rounds.ts';

export interface CaseSpec {
  id: string;
  kind: CaseKind;
  input: InputId | 'soak';
  mode?: AllocationModeName;
  backend?: CodecBackendName;
  /** WebCodecs: how its encoder switches size (default: the app's). */
  encoderSwitch?: WebCodecsOptions['encoderSwitch'];
  pacing?: PacingName;
  schedule?: ScheduleName;
  stormSwitches?: number;
  clickEveryMs?: [number, number];
  /** See BenchCaseConfig: rungs up to this one, the live policy, the output path. */
  topRung?: LadderRung;
  livePolicy?: LivePolicy;
  output?: 'drop' | 'disk';
  stopAfterMs?: number;
  /** Stop once this many frames are encoded (see BenchCaseConfig.stopAfterFrames). */
  stopAfterFrames?: number;
  keepLatencySeries?: boolean;
  stageFrames?: number;
  /** A run of a fair comparison (issue 10): which comparison, which round of its mode, or its unmeasured warm-up. */
  fairCompare?: FairCompareTag;
  /** False: no lab probe on this run (bench/case-probe.ts; default on, so every case has its accounting). */
  probe?: boolean;
  /** How often the probe asks the workers for their heaps, ms (default: every sample; lab/probe.ts workerEveryMs). */
  probeWorkerEveryMs?: number;
  /** The probe's period, ms (default 100: 10 Hz; the soak's is longer, see soakCase). */
  probeEveryMs?: number;
  /**
   * A speed case: one unmeasured warm-up run of the same work (WARM_UP_FRAMES) in the same page
   * first, so the codec's tiered-up code is reused (BenchCaseConfig.warmUpFrames).
   */
  warmUp?: boolean;
  /** A run of the probe-cost comparison: the same case with the probe on and off, alternated. */
  probeCost?: ProbeCostTag;
  /** OS sampling interval. */
  osEveryMs: number;
  /** The case is abandoned (and the bench fails) after this long. */
  timeoutMs: number;
}

export interface FairCompareTag {
  /** The comparison's id, shared by its runs (`fair-compare max every30 @720p-10s`). */
  group: string;
  /** 1-based round of this run's mode; 0 for the warm-up. */
  round: number;
  /** Position in the comparison's run order (0 = the warm-up). */
  position: number;
  warmup: boolean;
  roundsPerMode: number;
}

export interface ProbeCostTag {
  group: string;
  /** 1-based round of this run's setting. */
  round: number;
  /** Position in the comparison's run order (1-based). */
  position: number;
  roundsPerSetting: number;
}

const OS_MS = 100;
/** Frames of a speed case's warm-up run (about 2–4 s at 720p). */
export const WARM_UP_FRAMES = 120;
/**
 * The cases the fps targets, the ×exec column and the four-way table read: warm (a warm-up run
 * in the same page) and without the lab probe, all alike. The probe costs a two-core pipeline
 * about a quarter of its fps but a one-thread baseline far less, so ratios are fair only
 * without it; a product user runs no probe.
 */
export const SPEED: Partial<CaseSpec> = { warmUp: true, probe: false };

function pipeline(input: InputId, mode: AllocationModeName, pacing: PacingName, schedule: ScheduleName, extra: Partial<CaseSpec> = {}): CaseSpec {
  const prefix = extra.backend === 'webcodecs' ? 'webcodecs ' : '';
  const id = `${prefix}${mode} ${pacing} ${schedule}${extra.stormSwitches ? `(${extra.stormSwitches})` : ''} @${input}`;
  return { id, kind: 'pipeline', input, mode, pacing, schedule, osEveryMs: OS_MS, timeoutMs: 10 * 60_000, ...extra };
}

function baseline(kind: 'baseline-exec' | 'baseline-api' | 'stage-alone', input: InputId, extra: Partial<CaseSpec> = {}): CaseSpec {
  return { id: `${kind} @${input}`, kind, input, osEveryMs: OS_MS, timeoutMs: 10 * 60_000, ...extra };
}

/** A user's clicks at realtime: one every 250–450 ms (≈ 8–13 frames at 30 fps). */
const CLICKS: Partial<CaseSpec> = { clickEveryMs: [250, 450] };

export function fullCases(): CaseSpec[] {
  const cases: CaseSpec[] = [
    baseline('stage-alone', '720p-10s', SPEED),
    baseline('stage-alone', '1080p-10s', SPEED),
  ];
  for (const input of ['720p-10s', '720p-60s', '1080p-10s'] as const) {
    cases.push(baseline('baseline-exec', input, SPEED), baseline('baseline-api', input, SPEED));
    for (const mode of ['pooled', 'unpooled'] as const) cases.push(pipeline(input, mode, 'max', 'none', SPEED));
  }
  // The memory target's pair in a fresh page with the probe (the speed cases' pages are warm).
  cases.push(freshMemoryCase('720p-10s'), freshMemoryCase('720p-60s'));
  // The old unpooled strategy beside today's unpooled in the same run (issue 11: what the pattern needs vs copy-through).
  cases.push(pipeline('720p-10s', 'copy-through', 'max', 'none', SPEED));
  cases.push(...webCodecsCases('720p-10s'), ...webCodecsCases('1080p-10s'));
  for (const mode of ['pooled', 'unpooled'] as const) {
    cases.push(
      pipeline('720p-10s', mode, 'max', 'every30'),
      pipeline('720p-10s', mode, 'realtime', 'none'),
      pipeline('720p-10s', mode, 'realtime', 'every30'),
      pipeline('720p-60s', mode, 'realtime', 'clicks', CLICKS),
      pipeline('720p-60s', mode, 'max', 'storm', { stormSwitches: 1000 }),
    );
  }
  // 5 rounds each: ranges apart by chance 1 in 126 (3 rounds: 1 in 10, too often to name a winner; src/metrics/rounds.ts).
  cases.push(...fairCompareCases('720p-10s', 'max', 'every30', 5));
  cases.push(...probeCostCases('720p-10s', 'pooled', 5));
  cases.push(...switchCostCases());
  return cases;
}

/**
 * What a switch costs the viewer (issue 13; `--only switch-cost`), realtime 30 fps, 720p
 * source, pooled: the ladder every 30 frames and a user's clicks on rungs up to 720p (block),
 * the ladder with its upscaled 1080p rung under the drop policy, and the app's own output path
 * (OPFS) on a 10 s and a 60 s input for the memory ratio; the ladder and the clicks again
 * through WebCodecs' encoder. About 6.5 minutes of input.
 */
export function switchCostCases(): CaseSpec[] {
  const upTo720: Partial<CaseSpec> = { topRung: '720' };
  const named = (spec: CaseSpec, what: string): CaseSpec => ({ ...spec, id: `switch-cost ${what} @${spec.input}` });
  return [
    named(pipeline('720p-60s', 'pooled', 'realtime', 'every30', upTo720), 'ladder ≤720p'),
    named(pipeline('720p-60s', 'pooled', 'realtime', 'clicks', { ...CLICKS, ...upTo720 }), 'clicks ≤720p'),
    named(pipeline('720p-60s', 'pooled', 'realtime', 'every30', { livePolicy: 'drop' }), 'ladder with 1080p, drop'),
    named(pipeline('720p-10s', 'pooled', 'realtime', 'none', { output: 'disk' }), 'memory, output to disk'),
    named(pipeline('720p-60s', 'pooled', 'realtime', 'none', { output: 'disk' }), 'memory, output to disk'),
    // The same switches through the browser's encoder, which keeps 30 fps at 720p here (ffmpeg.wasm's x264 does not: ≈ 27 fps at max pacing).
    named(pipeline('720p-60s', 'pooled', 'realtime', 'every30', { ...upTo720, backend: 'webcodecs' }), 'webcodecs ladder ≤720p'),
    named(pipeline('720p-60s', 'pooled', 'realtime', 'clicks', { ...CLICKS, ...upTo720, backend: 'webcodecs' }), 'webcodecs clicks ≤720p'),
    // WebCodecs' other way to switch, beside the default (a new encoder, kept per size): flush the live one and reconfigure it.
    named(pipeline('720p-60s', 'pooled', 'realtime', 'every30', { ...upTo720, backend: 'webcodecs', encoderSwitch: 'reconfigure' }), 'webcodecs reconfigure ladder ≤720p'),
    named(pipeline('720p-60s', 'pooled', 'realtime', 'clicks', { ...CLICKS, ...upTo720, backend: 'webcodecs', encoderSwitch: 'reconfigure' }), 'webcodecs reconfigure clicks ≤720p'),
  ];
}

const MODES = ['pooled', 'unpooled'] as const;

/** Pooled, max pacing, no switch, fresh page, probe on: what peak memory and the probe's accounting read. */
function freshMemoryCase(input: InputId): CaseSpec {
  const spec = pipeline(input, 'pooled', 'max', 'none');
  return { ...spec, id: `${spec.id.replace(' @', ' (fresh page) @')}` };
}

/** The WebCodecs half of the four-way table (ffmpeg.wasm's half: the `max none` cases on the same input). */
function webCodecsCases(input: InputId): CaseSpec[] {
  return MODES.map((mode) => pipeline(input, mode, 'max', 'none', { backend: 'webcodecs', ...SPEED }));
}

/**
 * The cases `--only` keeps: `=ID` is one exact case id, other text any id containing it. A
 * comparison is only fair whole: one matching run brings its warm-up and every round (fair
 * compare, probe cost).
 */
export function selectCases(specs: CaseSpec[], only: readonly string[]): CaseSpec[] {
  if (only.length === 0) return specs;
  const matches = (s: CaseSpec) => only.some((o) => onlyMatches(o, s.id));
  const group = (s: CaseSpec) => s.fairCompare?.group ?? s.probeCost?.group;
  const groups = new Set(specs.filter(matches).map(group).filter((g): g is string => g !== undefined));
  return specs.filter((s) => matches(s) || groups.has(group(s) ?? ''));
}

export function onlyMatches(pattern: string, id: string): boolean {
  return pattern.startsWith('=') ? id === pattern.slice(1) : id.includes(pattern);
}

/**
 * A fair comparison of the two allocation modes (DESIGN.md, "Comparing fairly"): the same
 * input, pacing and switch schedule (replayed by frame index in every run), `roundsPerMode`
 * runs of each mode in alternated order (P U U P P U …), each in a fresh browser like every
 * case, after one unmeasured warm-up run of the first mode. `stopAfterFrames` shortens every run
 * to the same first frames of the input (so of the schedule too), `warmupStopAfterFrames`
 * the warm-up (it warms the machine, not the page: every run gets a fresh browser).
 */
export function fairCompareCases(
  input: InputId, pacing: PacingName, schedule: ScheduleName, roundsPerMode: number,
  options: { stopAfterFrames?: number; warmupStopAfterFrames?: number } = {},
): CaseSpec[] {
  const group = `fair-compare ${pacing} ${schedule} @${input}`;
  const order = alternatedOrder(MODES, roundsPerMode);
  const run = (mode: AllocationModeName, stopAfterFrames: number | undefined, tag: FairCompareTag, id: string): CaseSpec => ({
    ...pipeline(input, mode, pacing, schedule, stopAfterFrames ? { stopAfterFrames } : {}), id, fairCompare: tag,
  });
  const warmStop = options.warmupStopAfterFrames ?? options.stopAfterFrames;
  const specs = [run(order[0]!, warmStop, { group, round: 0, position: 0, warmup: true, roundsPerMode }, `${group} warm-up (${order[0]}, not measured)`)];
  const seen = { pooled: 0, unpooled: 0 };
  order.forEach((mode, i) => {
    const round = ++seen[mode];
    specs.push(run(mode, options.stopAfterFrames, { group, round, position: i + 1, warmup: false, roundsPerMode }, `${group} ${mode} #${round}`));
  });
  return specs;
}

/**
 * What the lab probe costs the pipeline: the same case `rounds` times with the probe on and
 * `rounds` times off, alternated (on off off on on off …), each in a fresh browser. No warm-up
 * run: it comes after other cases, so the machine is warm.
 */
export function probeCostCases(input: InputId, mode: AllocationModeName, rounds: number, stopAfterFrames?: number): CaseSpec[] {
  const group = `probe-cost ${mode} max none @${input}`;
  const seen = { on: 0, off: 0 };
  return alternatedOrder(['on', 'off'] as const, rounds).map((setting, i) => ({
    ...pipeline(input, mode, 'max', 'none', stopAfterFrames ? { stopAfterFrames } : {}),
    id: `${group} probe ${setting} #${++seen[setting]}`, probe: setting === 'on',
    probeCost: { group, round: seen[setting], position: i + 1, roundsPerSetting: rounds },
  }));
}

/** Smallest input, fewer cases: keeps the bench working in CI (under 2 minutes on 2 cores). */
export function quickCases(): CaseSpec[] {
  return [
    baseline('stage-alone', '720p-10s', { stageFrames: 120, ...SPEED }),
    baseline('baseline-exec', '720p-10s', SPEED),
    baseline('baseline-api', '720p-10s', SPEED),
    pipeline('720p-10s', 'pooled', 'max', 'none', SPEED),
    pipeline('720p-10s', 'unpooled', 'max', 'none', SPEED),
    ...webCodecsCases('720p-10s'),
    pipeline('720p-10s', 'pooled', 'realtime', 'clicks', CLICKS),
    pipeline('720p-10s', 'pooled', 'max', 'storm', { stormSwitches: 200 }),
  ];
}

/**
 * The fair comparison made small: 2 rounds per mode, each run stopped after the same 150
 * encoded frames, a 60-frame warm-up. Part of `--quick` (its five fresh browsers add about a
 * minute to CI, far inside its 90 minutes).
 */
export function quickFairCompareCases(): CaseSpec[] {
  return fairCompareCases('720p-10s', 'max', 'every30', 2, { stopAfterFrames: 150, warmupStopAfterFrames: 60 });
}

/** The probe's cost made small (`--quick --only probe-cost`): 3 runs with it on and 3 off, each stopped after the same 150 encoded frames. */
export function quickProbeCostCases(): CaseSpec[] {
  return probeCostCases('720p-10s', 'pooled', 3, 150);
}

/** Realtime 720p, a switch every 30 frames, pooled, for `minutes`. */
export function soakCase(minutes: number): CaseSpec {
  return {
    id: `soak pooled realtime every30 ${minutes} min`,
    kind: 'pipeline', input: 'soak', mode: 'pooled', pacing: 'realtime', schedule: 'every30',
    stopAfterMs: minutes * 60_000, keepLatencySeries: true,
    // 4 Hz for the renderer: at 1 Hz no smaps split was fresh enough (lab/probe.ts
    // SPLIT_FRESH_MS). The workers at 1 Hz: each request leaves 180 B in a stage inside exec
    // until the run ends: 0.43 MB/min of the slope at 10 Hz, 0.17 at 4 Hz, ≈ 0.04 at 1 Hz.
    probeEveryMs: 250, probeWorkerEveryMs: 1000,
    osEveryMs: 1000, timeoutMs: minutes * 60_000 + 5 * 60_000,
  };
}
