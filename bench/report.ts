/**
 * Turns case results (page side) and /proc samples (OS side) into the figures, the tables
 * and the verdict on each target of issue 6. Pure functions: no I/O.
 */
import type { CaseSpec } from './cases.ts';
import type { OsSample } from './os-memory.ts';
import type { PoolHandoffBenchResult } from './pool-handoff.ts';
import type { HandoffByVariant } from './handoff/chromium.ts';
import type { BenchCaseResult, InAppSample, WasmTrace } from './protocol.ts';
import type { ScalerComparison } from './scaler-vs-swscale.ts';
import type { ProbeFigures } from './probe-accounting.ts';
import type { SoakFigures } from './soak.ts';

const MB = 1024 * 1024;

export interface OsFigures {
  rendererPid: number | null;
  baselineRss: number;
  peakRss: number;
  baselinePss: number;
  peakPss: number;
  /** Every Chromium process together (browser, GPU, utilities, renderers), peak RSS. */
  allPeakRss: number;
  growthRss: number;
  /** Renderer CPU time over the case window ÷ the window: cores kept busy by the page and its workers. */
  rendererCores: number;
  samples: number;
}

export interface InAppFigures {
  peak: { poolCommitted: number; poolReserved: number; poolInUse: number; wasmDecode: number; wasmEncode: number; wasmOther: number; jsHeapUsed: number };
  /** pool committed + every codec worker's WASM + main JS heap. */
  baselineTotal: number;
  peakTotal: number;
  growth: number;
  /**
   * The same growth counting only pool slots ever carved (running peak of reserved) instead of
   * the committed arena: untouched committed pages are not resident, so this is closer to what
   * the OS can see of the pool.
   */
  growthTouched: number;
  /** measureUserAgentSpecificMemory on the idle page (before any worker), and 1 s into the run if it answered before the run ended. */
  uaIdle: number;
  uaDuring: number;
}

export interface CaseFigures {
  id: string;
  spec: CaseSpec;
  ok: boolean;
  failure: string | null;
  frames: number;
  fps: number;
  ratioToExec: number;
  latency: BenchCaseResult['latency'];
  latencyAfterWarmup: BenchCaseResult['latency'];
  allocsPerFrameAfterWarmup: number;
  allocationsAfterWarmup: number;
  framesAfterWarmup: number;
  outputMb: number;
  warmupFrames: number;
  mbAllocatedPerFrame: number;
  mbCopiedPerFrame: number;
  /** Frame bytes the codec glue copied in and out of the codec ÷ frames (both backends). */
  codecMbCopiedPerFrame: number;
  switches: number;
  manualSwitches: number;
  switchP50: number;
  switchP99: number;
  /** Per switch, ms (BenchCaseResult.switches): request → scaler (costMs), → encoder, → first bytes; the encoder-side gap. */
  switchValues: BenchCaseResult['switches'];
  drops: BenchCaseResult['drops'];
  lateness: BenchCaseResult['lateness'];
  bySize: BenchCaseResult['bySize'];
  /** Which run of `--runs N` (1-based). */
  run: number;
  reinits: number;
  reinitP50: number;
  reinitMax: number;
  traps: number;
  wasmGrowth: { decode: number; encode: number };
  inApp: InAppFigures;
  os: OsFigures | null;
  /** In-app growth ÷ OS (renderer RSS) growth. */
  accountedShare: number;
  /** The same with the pool counted as carved slots, not the committed arena. */
  accountedShareTouched: number;
  /** The lab probe's accounting of the renderer (bench/probe-accounting.ts); null when the run had no probe. */
  probe?: ProbeFigures | null;
  notes: string[];
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const nz = (v: number): number => (Number.isFinite(v) ? v : 0);
const inAppTotal = (s: InAppSample): number => nz(s.poolCommitted) + nz(s.wasmDecode) + nz(s.wasmEncode) + nz(s.wasmOther) + nz(s.jsHeapUsed);
const maxOf = (values: number[]): number => values.reduce((m, v) => (Number.isFinite(v) && !(v <= m) ? v : m), NaN);

export function osFigures(samples: OsSample[], rendererPid: number | null, from: number, to: number): OsFigures | null {
  if (rendererPid === null || samples.length === 0) return null;
  const renderer = (s: OsSample) => s.processes.find((p) => p.pid === rendererPid);
  const before = samples.filter((s) => s.t <= from && renderer(s));
  const during = samples.filter((s) => s.t >= from && s.t <= to && renderer(s));
  const base = renderer(before.at(-1) ?? samples[0]!);
  if (!base || during.length === 0) return null;
  const peakRss = maxOf(during.map((s) => renderer(s)!.rss));
  const first = renderer(during[0]!)!;
  const last = renderer(during.at(-1)!)!;
  const windowMs = during.at(-1)!.t - during[0]!.t;
  return {
    rendererPid,
    baselineRss: base.rss,
    peakRss,
    baselinePss: base.pss,
    peakPss: maxOf(during.map((s) => renderer(s)!.pss)),
    allPeakRss: maxOf(during.map((s) => s.processes.reduce((sum, p) => sum + nz(p.rss), 0))),
    growthRss: peakRss - base.rss,
    rendererCores: windowMs > 0 ? (last.cpuMs - first.cpuMs) / windowMs : NaN,
    samples: during.length,
  };
}

function inAppFigures(r: BenchCaseResult): InAppFigures {
  const from = r.startedAt;
  const to = r.endedAt;
  const before = r.samples.filter((s) => s.t <= from);
  const during = r.samples.filter((s) => s.t >= from && s.t <= to + 1000);
  const base = before.at(-1) ?? r.samples[0];
  const peak = (key: keyof InAppSample) => maxOf(during.map((s) => s[key]));

  const baselineTotal = base ? inAppTotal(base) : NaN;
  const peakTotal = maxOf(during.map(inAppTotal));
  let reservedSoFar = 0;
  const touched = during.map((s) => {
    reservedSoFar = Math.max(reservedSoFar, nz(s.poolReserved));
    return inAppTotal(s) - nz(s.poolCommitted) + reservedSoFar;
  });
  return {
    peak: {
      poolCommitted: peak('poolCommitted'), poolReserved: peak('poolReserved'), poolInUse: peak('poolInUse'),
      wasmDecode: peak('wasmDecode'), wasmEncode: peak('wasmEncode'), wasmOther: peak('wasmOther'), jsHeapUsed: peak('jsHeapUsed'),
    },
    baselineTotal,
    peakTotal,
    growth: peakTotal - baselineTotal,
    growthTouched: maxOf(touched) - baselineTotal,
    uaIdle: r.uaMemory.find((u) => u.when === 'idle page')?.bytes ?? NaN,
    uaDuring: r.uaMemory.find((u) => u.when === 'during run' && u.t + u.ms <= to)?.bytes ?? NaN,
  };
}

/** How a case ran: the speed cases warm without the probe (cases.ts SPEED), the others in a fresh page with it. */
export function runSetting(spec: CaseSpec): string {
  return `${spec.warmUp ? 'warm' : 'fresh page'}, ${spec.probe === false ? 'no probe' : 'probe'}`;
}

/** Speed ratios only between cases run alike: the baselines are speed cases (warm, no probe). */
const isSpeedCase = (spec: CaseSpec): boolean => spec.warmUp === true && spec.probe === false;

export function caseFigures(spec: CaseSpec, r: BenchCaseResult, os: OsFigures | null, execFps: number): CaseFigures {
  const t = r.totals;
  const w = r.warmup;
  const afterFrames = t && w ? t.frames - w.frames : 0;
  const inApp = inAppFigures(r);
  // Growth after warm-up (every size seen), as the Node storm test measures it.
  const growth = (trace: WasmTrace | undefined) => (trace ? trace.maxAfterWarm - trace.warm : NaN);
  return {
    id: spec.id,
    spec,
    ok: r.ok,
    failure: r.failure,
    frames: r.frames,
    fps: r.fps,
    ratioToExec: isSpeedCase(spec) ? r.fps / execFps : NaN,
    latency: r.latency,
    latencyAfterWarmup: r.latencyAfterWarmup,
    allocsPerFrameAfterWarmup: t && w && afterFrames > 0 ? (t.allocations - w.allocations) / afterFrames : NaN,
    allocationsAfterWarmup: t && w ? t.allocations - w.allocations : NaN,
    framesAfterWarmup: afterFrames,
    outputMb: r.segments.bytes / MB,
    warmupFrames: w?.frames ?? NaN,
    mbAllocatedPerFrame: t && t.frames > 0 ? t.bytesAllocated / t.frames / MB : NaN,
    mbCopiedPerFrame: t && t.frames > 0 ? t.bytesCopied / t.frames / MB : NaN,
    codecMbCopiedPerFrame: t && t.frames > 0 ? (t.codecBytesCopied ?? NaN) / t.frames / MB : NaN,
    switches: r.switches.count,
    manualSwitches: r.switches.manual,
    switchP50: quantile(r.switches.costMs, 0.5),
    switchP99: quantile(r.switches.costMs, 0.99),
    switchValues: r.switches,
    drops: r.drops,
    lateness: r.lateness,
    bySize: r.bySize ?? null,
    run: 1,
    reinits: Math.max(0, r.segments.count - 1),
    reinitP50: quantile(r.segments.reinitMs, 0.5),
    reinitMax: maxOf(r.segments.reinitMs),
    traps: r.traps,
    wasmGrowth: { decode: growth(r.wasm?.decode), encode: growth(r.wasm?.encode) },
    inApp,
    os,
    // The API baseline's WASM lives inside @ffmpeg/ffmpeg's worker: the app cannot see it.
    accountedShare: os && os.growthRss > 0 && spec.kind !== 'baseline-api' ? inApp.growth / os.growthRss : NaN,
    accountedShareTouched: os && os.growthRss > 0 && spec.kind === 'pipeline' ? inApp.growthTouched / os.growthRss : NaN,
    notes: r.notes,
  };
}

// ---------------------------------------------------------------- targets

export type Verdict = 'meets' | 'short' | 'n/a';

export interface TargetResult {
  target: string;
  measuredOn: string;
  measured: string;
  verdict: Verdict;
}


/** A figure to one or two decimals, '–' when there is none. */
export const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');
export const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
const mb = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / MB).toFixed(0) : '–');

/** The first case of that kind; `speed` true: only a speed case, false: only a case in a fresh page (memory). */
function find(cases: CaseFigures[], kind: string, input: string, mode?: string, pacing?: string, schedule?: string, speed?: boolean): CaseFigures | undefined {
  return cases.find((c) => c.spec.kind === kind && c.spec.input === input && (mode === undefined || c.spec.mode === mode)
    && (pacing === undefined || c.spec.pacing === pacing) && (schedule === undefined || c.spec.schedule === schedule)
    && (c.spec.backend ?? 'ffmpeg') === 'ffmpeg' && (speed === undefined || isSpeedCase(c.spec) === speed));
}

export interface StageAlone {
  decodeFps: number;
  scaleFps: number;
  /** Absent in reports from before it was measured. */
  scaler?: string;
  scaleTsFps?: number;
  encodeFps: number;
  /** Side by side (absent in older reports): the encode while another worker decodes + scales, and that worker's fps. */
  encodeBesideFps?: number;
  decodeScaleBesideFps?: number;
  where: string;
}

/**
 * What two cores give the pipeline when its stages run at once, as they must: the slower of the
 * encode and the decode + scale measured side by side (null in older reports).
 */
export function sideBySideFps(s: StageAlone): number | null {
  return s.encodeBesideFps && s.decodeScaleBesideFps ? Math.min(s.encodeBesideFps, s.decodeScaleBesideFps) : null;
}

/**
 * The most frames per second three stages can make on two cores, from their costs alone:
 * the best split puts the costliest stage on one core and the other two on the other, so a
 * frame takes max(c, a + b) ms for costs a ≤ b ≤ c (ignoring every handoff and the page).
 */
export function twoCoreBoundFps(s: StageAlone): number {
  const [a, b, c] = [1000 / s.decodeFps, 1000 / s.scaleFps, 1000 / s.encodeFps].sort((x, y) => x - y) as [number, number, number];
  return 1000 / Math.max(c, a + b);
}

export function evaluateTargets(
  cases: CaseFigures[],
  stageAlone: StageAlone | null,
  handoff: PoolHandoffBenchResult | null,
  soak: SoakFigures | null,
  chromiumHandoff: HandoffByVariant | null = null,
): TargetResult[] {
  const out: TargetResult[] = [];
  const verdict = (ok: boolean | null): Verdict => (ok === null ? 'n/a' : ok ? 'meets' : 'short');
  const missing = (target: string, why = 'case not run (--quick or --only)') => out.push({ target, measuredOn: '–', measured: why, verdict: 'n/a' });

  const pooled = find(cases, 'pipeline', '720p-10s', 'pooled', 'max', 'none', true);
  const exec = find(cases, 'baseline-exec', '720p-10s', undefined, undefined, undefined, true);
  if (pooled && exec) {
    const bound = stageAlone ? ` (two-core bound from the stage costs ÷ exec: ${f2(twoCoreBoundFps(stageAlone) / exec.fps)}×)` : '';
    out.push({ target: 'pooled, max pacing: ≥ 2.0× baseline-exec fps', measuredOn: '720p-10s, warm, no probe', measured: `${f1(pooled.fps)} / ${f1(exec.fps)} fps = ${f2(pooled.ratioToExec)}×${bound}`, verdict: verdict(pooled.ok && pooled.ratioToExec >= 2) });
  } else missing('pooled, max pacing: ≥ 2.0× baseline-exec fps');
  if (pooled && exec) {
    out.push({ target: 'pooled, max pacing (issue 14): ≥ 2.3× baseline-exec fps', measuredOn: '720p-10s, warm, no probe', measured: `${f1(pooled.fps)} / ${f1(exec.fps)} fps = ${f2(pooled.ratioToExec)}×`, verdict: verdict(pooled.ok && pooled.ratioToExec >= 2.3) });
  } else missing('pooled, max pacing (issue 14): ≥ 2.3× baseline-exec fps');
  if (stageAlone?.scaleTsFps) {
    const ms = 1000 / stageAlone.scaleFps;
    const times = stageAlone.scaleFps / stageAlone.scaleTsFps;
    out.push({ target: 'scaler (issue 14): ≤ 1.0 ms per 720p → 480p frame in Chromium, ≥ 3× the TypeScript scaler beside it', measuredOn: '720p-10s, stages alone', measured: `${f2(ms)} ms/frame (${stageAlone.scaler ?? '?'}), TypeScript ${f2(1000 / stageAlone.scaleTsFps)} ms/frame: ${f2(times)}×`, verdict: verdict(ms <= 1 && times >= 3) });
  } else missing('scaler (issue 14): ≤ 1.0 ms per 720p → 480p frame in Chromium, ≥ 3× the TypeScript scaler beside it');
  if (pooled && stageAlone) {
    const slowest = Math.min(stageAlone.decodeFps, stageAlone.scaleFps, stageAlone.encodeFps);
    const name = slowest === stageAlone.decodeFps ? 'decode' : slowest === stageAlone.scaleFps ? 'scale' : 'encode';
    const ratio = pooled.fps / slowest;
    const bound = twoCoreBoundFps(stageAlone);
    const together = sideBySideFps(stageAlone);
    const sideBySide = together ? `; side by side, encode beside decode + scale: ${f1(together)} fps = ${f2(together / slowest)}× ${name} alone, pooled ${f2(pooled.fps / together)}× of it` : '';
    out.push({ target: 'pooled, max pacing: ≥ 0.9× the slowest stage alone', measuredOn: '720p-10s, warm, no probe', measured: `${f1(pooled.fps)} fps / ${name} alone ${f1(slowest)} fps = ${f2(ratio)}× (two-core bound from the stage costs: ${f1(bound)} fps = ${f2(bound / slowest)}× ${name}${sideBySide})`, verdict: verdict(pooled.ok && ratio >= 0.9) });
  } else missing('pooled, max pacing: ≥ 0.9× the slowest stage alone');

  const pooledNone = cases.filter((c) => c.spec.kind === 'pipeline' && c.spec.mode === 'pooled' && c.spec.schedule === 'none');
  if (pooledNone.length > 0) {
    const worst = pooledNone.reduce((a, b) => (nz(b.allocationsAfterWarmup) > nz(a.allocationsAfterWarmup) ? b : a));
    const allZero = pooledNone.every((c) => c.allocationsAfterWarmup === 0);
    const zero = pooledNone.filter((c) => c.allocationsAfterWarmup === 0).length;
    out.push({
      target: 'pooled: zero allocations per frame after the first 30 frames',
      measuredOn: `${pooledNone.length} pooled case(s) without switches`,
      measured: allZero
        ? `0 allocations after warm-up in every case (${pooledNone.map((c) => c.framesAfterWarmup).join(', ')} frames)`
        : `${zero} of ${pooledNone.length} cases 0; worst ${worst.allocationsAfterWarmup} allocation(s) in ${worst.framesAfterWarmup} frames (${worst.id})`,
      verdict: verdict(allZero),
    });
  } else missing('pooled: zero allocations per frame after the first 30 frames');

  const rt = find(cases, 'pipeline', '720p-10s', 'pooled', 'realtime', 'none');
  if (rt?.latency && rt.latencyAfterWarmup) {
    // Judged after the first 30 frames: the encoder's start delays the first few frames once.
    const steady = rt.latencyAfterWarmup;
    const ratio = steady.p99 / steady.p50;
    out.push({
      target: 'realtime, pooled: latency p99 ≤ 1.25× p50',
      measuredOn: `${rt.id}, frames ≥ 30`,
      measured: `p50 ${f1(steady.p50)} ms, p99 ${f1(steady.p99)} ms = ${f2(ratio)}× (all frames: ${f1(rt.latency.p50)} / ${f1(rt.latency.p99)} ms = ${f2(rt.latency.p99 / rt.latency.p50)}×)`,
      verdict: verdict(ratio <= 1.25),
    });
  } else missing('realtime, pooled: latency p99 ≤ 1.25× p50');

  // Memory from pages that ran nothing before (a speed case's warm-up leaves its garbage in the page).
  const p10 = find(cases, 'pipeline', '720p-10s', 'pooled', 'max', 'none', false);
  const p60 = find(cases, 'pipeline', '720p-60s', 'pooled', 'max', 'none', false);
  if (p10?.os && p60?.os) {
    const ratio = p60.os.peakRss / p10.os.peakRss;
    const a10 = find(cases, 'baseline-api', '720p-10s')?.os;
    const a60 = find(cases, 'baseline-api', '720p-60s')?.os;
    const api = a10 && a60 ? `; baseline-api (warm pages) ${mb(a10.peakRss)} → ${mb(a60.peakRss)} MB = ${f2(a60.peakRss / a10.peakRss)}×` : '';
    out.push({ target: 'peak OS memory (renderer RSS), pooled: 60 s input ≤ 1.1× 10 s input', measuredOn: '720p, max pacing, fresh pages', measured: `${mb(p10.os.peakRss)} → ${mb(p60.os.peakRss)} MB = ${f2(ratio)}×${api}`, verdict: verdict(ratio <= 1.1) });
  } else missing('peak OS memory (renderer RSS), pooled: 60 s input ≤ 1.1× 10 s input');

  // The accounting targets come from the lab probe's figures: bench/probe-accounting.ts accountingTargets.

  const clicks = cases.find((c) => c.spec.kind === 'pipeline' && c.spec.mode === 'pooled' && c.spec.schedule === 'clicks');
  if (clicks && clicks.manualSwitches > 0) {
    out.push({ target: 'switch at realtime 30 fps: request → first new-size frame p99 ≤ 66 ms', measuredOn: clicks.id, measured: `${clicks.manualSwitches} clicks: p50 ${f1(clicks.switchP50)} ms, p99 ${f1(clicks.switchP99)} ms`, verdict: verdict(clicks.switchP99 <= 66) });
  } else missing('switch at realtime 30 fps: request → first new-size frame p99 ≤ 66 ms');

  const storms = cases.filter((c) => c.spec.schedule === 'storm');
  if (storms.length > 0) {
    for (const storm of storms) {
      const grew = Math.max(nz(storm.wasmGrowth.decode), nz(storm.wasmGrowth.encode));
      const full = storm.switches >= 1000;
      const ok = storm.traps === 0 && storm.ok && grew <= 2 * MB && full;
      out.push({
        target: 'storm: 1000 switches, zero traps, each codec worker\'s WASM grows ≤ 2 MB',
        measuredOn: storm.id,
        measured: `${storm.switches} switches, ${storm.traps} traps, WASM growth after warm-up: decode ${f2(storm.wasmGrowth.decode / MB)} MB, encode ${f2(storm.wasmGrowth.encode / MB)} MB${storm.ok ? '' : `; failed: ${storm.failure}`}`,
        verdict: !full && storm.ok && storm.traps === 0 && grew <= 2 * MB ? 'n/a' : verdict(ok),
      });
    }
  } else missing('storm: 1000 switches, zero traps, each codec worker\'s WASM grows ≤ 2 MB');

  if (handoff) {
    out.push({ target: 'pool handoff (1080p, two threads): pooled p50 < 10 µs', measuredOn: 'Node worker_threads', measured: `${f1(handoff.pooled.p50Us)} µs (thread wake floor ${f1(handoff.wakeFloor.p50Us)} µs; consumer spinning, no wake: ${f1(handoff.pooledPoll.p50Us)} µs at ${f2(handoff.pooledPoll.cores)} cores busy)`, verdict: verdict(handoff.targets.pooledP50Under10Us) });
    if (chromiumHandoff) {
      const c = chromiumHandoff;
      out.push({ target: 'pool handoff (1080p, two threads): pooled p50 < 10 µs', measuredOn: 'Chromium dedicated workers', measured: `${f1(c.pooled.p50Us)} µs (thread wake floor ${f1(c['wake-floor'].p50Us)} µs; consumer spinning: ${f1(c['pooled-poll'].p50Us)} µs at ${f2(c['pooled-poll'].cores)} cores busy; alloc+copy+transfer ${f1(c['alloc-transfer'].p50Us)} µs)`, verdict: verdict(c.pooled.p50Us < 10) });
    }
    out.push({ target: 'pool handoff: ≥ 5× cheaper than allocate-and-copy', measuredOn: 'Node worker_threads', measured: `alloc+copy+transfer ${f2(handoff.ratioAllocTransferToPooledP50)}×, unpooled strategy ${f2(handoff.ratioUnpooledToPooledP50)}× (p50)`, verdict: verdict(handoff.targets.pooledAtLeast5xCheaper) });
  }
  if (soak) {
    out.push({ target: 'soak: memory slope after warm-up < 1 MB/min', measuredOn: `${soak.minutes} min, renderer RSS after ${soak.warmupMin} min`, measured: `${f2(soak.slopeMbPerMin)} MB/min (least squares over every sample; renderer RSS by minute: ${soak.rssMeanByMinuteMb.map((v) => v.toFixed(0)).join(', ')} MB)`, verdict: verdict(soak.failure === null && soak.slopeMbPerMin < 1) });
    out.push({ target: 'soak: latency p99, last minute within 20% of the first', measuredOn: `${soak.minutes} min`, measured: `${f1(soak.firstMinuteP99)} → ${f1(soak.lastMinuteP99)} ms (${(soak.p99Change * 100).toFixed(0)}%)`, verdict: verdict(soak.failure === null && Math.abs(soak.p99Change) <= 0.2) });
  }
  return out;
}

// ---------------------------------------------------------------- tables

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function speedTable(cases: CaseFigures[]): string {
  const header = ['case', 'run', 'frames', 'fps', '×exec (alike)', 'cores', 'latency p50/p99/max ms', 'after frame 30: p50/p99 ms', 'allocs after frame 30 (per frame)', 'MB alloc/frame', 'MB copied/frame', 'switches', 'switch p50/p99 ms', 're-inits', 're-init p50/max ms', 'traps'];
  const rows = cases.filter((c) => c.spec.kind !== 'stage-alone').map((c) => [
    c.ok ? c.id : `${c.id} (FAILED)`,
    runSetting(c.spec),
    String(c.frames),
    f1(c.fps),
    c.spec.kind === 'baseline-exec' ? '1.00' : f2(c.ratioToExec),
    c.os ? f2(c.os.rendererCores) : '–',
    c.latency ? `${f1(c.latency.p50)} / ${f1(c.latency.p99)} / ${f1(c.latency.max)}` : '–',
    c.latencyAfterWarmup ? `${f1(c.latencyAfterWarmup.p50)} / ${f1(c.latencyAfterWarmup.p99)}` : '–',
    c.spec.kind === 'pipeline' && Number.isFinite(c.allocsPerFrameAfterWarmup) ? `${c.allocationsAfterWarmup} (${c.allocsPerFrameAfterWarmup.toFixed(3)})` : '–',
    c.spec.kind === 'pipeline' ? f2(c.mbAllocatedPerFrame) : '–',
    c.spec.kind === 'pipeline' ? f2(c.mbCopiedPerFrame) : '–',
    c.spec.kind === 'pipeline' ? String(c.switches) : '–',
    c.switches > 0 ? `${f1(c.switchP50)} / ${f1(c.switchP99)}` : '–',
    c.spec.kind === 'pipeline' ? String(c.reinits) : '–',
    c.reinits > 0 ? `${f1(c.reinitP50)} / ${f1(c.reinitMax)}` : '–',
    String(c.traps),
  ]);
  return markdownTable(header, rows);
}

export function memoryTable(cases: CaseFigures[]): string {
  const header = ['case', 'output MB', 'pool committed/reserved/in-use MB', 'WASM dec/enc MB', 'main JS heap MB', 'browser (UA) idle/in run MB', 'renderer RSS base→peak MB', 'PSS peak MB', 'all Chromium RSS MB', 'growth OS / in-app MB', 'in-app share (pool as carved)'];
  const rows = cases.filter((c) => c.spec.kind !== 'stage-alone').map((c) => {
    const p = c.inApp.peak;
    const wasm = c.spec.kind === 'baseline-exec' ? `${mb(p.wasmOther)} (one worker)` : c.spec.kind === 'baseline-api' ? 'not visible' : `${mb(p.wasmDecode)} / ${mb(p.wasmEncode)}`;
    return [
      // A warm page held the warm-up run before: its base and peak are not a fresh page's.
      c.spec.warmUp ? `${c.id} (warm page)` : c.id,
      f1(c.outputMb),
      c.spec.kind === 'pipeline' ? `${mb(p.poolCommitted)} / ${mb(p.poolReserved)} / ${mb(p.poolInUse)}` : '–',
      wasm,
      mb(p.jsHeapUsed),
      `${mb(c.inApp.uaIdle)} / ${mb(c.inApp.uaDuring)}`,
      c.os ? `${mb(c.os.baselineRss)} → ${mb(c.os.peakRss)}` : '–',
      c.os ? mb(c.os.peakPss) : '–',
      c.os ? mb(c.os.allPeakRss) : '–',
      c.os ? `${mb(c.os.growthRss)} / ${mb(c.inApp.growth)}` : '–',
      Number.isFinite(c.accountedShare) ? `${(c.accountedShare * 100).toFixed(0)}%${Number.isFinite(c.accountedShareTouched) ? ` (${(c.accountedShareTouched * 100).toFixed(0)}%)` : ''}` : '–',
    ];
  });
  return markdownTable(header, rows);
}

export function targetsTable(targets: TargetResult[]): string {
  return markdownTable(['target', 'measured on', 'measured', 'verdict'], targets.map((t) => [t.target, t.measuredOn, t.measured, t.verdict]));
}

export function stageAloneTable(rows: { input: string; s: StageAlone }[], scaler: ScalerComparison | null): string {
  const lines = rows.map(({ input, s }) => [
    input, s.where, f1(s.decodeFps), `${f1(s.scaleFps)} (${s.scaler ?? '?'})`, s.scaleTsFps ? `${f1(s.scaleTsFps)} (${f2(s.scaleFps / s.scaleTsFps)}× slower)` : '–', f1(s.encodeFps), f1(twoCoreBoundFps(s)),
    s.encodeBesideFps && s.decodeScaleBesideFps ? `${f1(s.encodeBesideFps)} / ${f1(s.decodeScaleBesideFps)} (${f2(s.encodeBesideFps / s.encodeFps)}× encode alone)` : '–',
  ]);
  let out = markdownTable(['input', 'where', 'decode alone fps', 'scale alone fps (the pipeline\'s scaler)', 'TypeScript scaler, same frames', 'encode alone fps (480p x264)', 'two-core bound fps', 'side by side fps: encode / decode + scale (other worker)'], lines);
  if (scaler) {
    out += `\n\nTS bilinear scaler vs ffmpeg.wasm swscale (bilinear), ${scaler.source} → ${scaler.target}, ${scaler.frames} frames, ${scaler.where}: ` +
      `TS ${f2(scaler.tsMsPerFrame)} ms/frame, swscale ${f2(scaler.swscaleMsPerFrame)} ms/frame → TS is ${f2(scaler.speedup)}× swscale's speed.`;
  }
  return out;
}

