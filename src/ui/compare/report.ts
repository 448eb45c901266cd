/**
 * Run reports for the comparison table: pure functions from what a run recorded to the
 * numbers the table shows and the files it exports. No DOM, no engine: unit-tested in Node.
 */
import type { SwitchSchedule } from '../../pipeline/switch-schedule.ts';
import type { StageTotals } from '../../metrics/stage-totals.ts';
import { WARMUP_FRAMES } from './warmup.ts';

export type MemoryKind = 'poolCommitted' | 'poolReserved' | 'poolInUse' | 'wasmDecode' | 'wasmScale' | 'wasmEncode' | 'jsHeap' | 'browserWide';

/** What each memory kind covers and misses (DESIGN.md "Metrics"); shared by charts and table. */
export const MEMORY_KINDS: readonly { kind: MemoryKind; label: string; covers: string }[] = [
  { kind: 'poolCommitted', label: 'pool committed', covers: 'shared WASM memory the frame arena took from the system; invisible to performance.memory' },
  { kind: 'poolReserved', label: 'pool reserved', covers: 'arena bytes carved into frame slots (pooled) or transport buffers; excludes free arena space' },
  { kind: 'poolInUse', label: 'pool in use', covers: 'slot bytes holding a frame right now (when the pool reports it)' },
  { kind: 'wasmDecode', label: 'decode WASM', covers: "decode worker's ffmpeg linear memory; misses that worker's JS heap" },
  { kind: 'wasmScale', label: 'scale WASM', covers: "scale worker's WASM memory, if it has any; misses that worker's JS heap" },
  { kind: 'wasmEncode', label: 'encode WASM', covers: "encode worker's ffmpeg linear memory; misses that worker's JS heap" },
  { kind: 'jsHeap', label: 'main JS heap', covers: 'performance.memory on this page: ordinary ArrayBuffers included; misses SharedArrayBuffers, WASM memory and workers; cached ~50 ms' },
  { kind: 'browserWide', label: 'browser-wide', covers: 'measureUserAgentSpecificMemory: workers and ArrayBuffers, each SAB once per context holding it, shared WASM at committed size; misses non-shared WASM memory; slow: asked at most every 15 s, so a shorter run may have no reading' },
];

/** Everything a finished run recorded that the report needs. */
export interface RunRecord {
  label: string;
  mode: string;
  codec: string;
  pacing: string;
  /** The switch schedule the run followed, and the rung it started at. */
  schedule?: SwitchSchedule;
  startRung?: string;
  fileName: string;
  /** Frames the encoder consumed. */
  frames: number;
  /** Wall time the frames flowed (first to last frame out), ms. */
  activeMs: number;
  /** Totals summed over stages, at the end of the run. */
  totals: StageTotals;
  /** Totals summed over stages when the warm-up ended (null if the run never got past it). */
  warmup: StageTotals | null;
  /** Latency of each frame (decoded → taken by the encoder), ms, in frame order. */
  latenciesMs: readonly number[];
  /** The frame index of each latency (same length); without it, list position is the index. */
  latencyFrames?: readonly number[];
  /** Largest latency the block recorded over the whole run, lead-in included. */
  maxLatencyMs: number;
  /** Peak of each memory kind over the run's samples, bytes (NaN when never measured). */
  peakMemory: Partial<Record<MemoryKind, number>>;
  /** Per switch: request to first new-size frame out of the scaler, ms. */
  switchLatencyMs: readonly number[];
  /** Per encoder re-init after a switch (segments after the first), ms. */
  reinitMs: readonly number[];
  /** Per switch: last old-size frame into the old encoder → first new-size frame into the new one, ms. */
  gapMs?: readonly number[];
  /** Realtime runs: per frame after the lead-in, taken by the encoder − due time, ms (empty otherwise). */
  latenessMs?: readonly number[];
  /** The source's frame interval, ms (NaN or absent: unknown). */
  frameIntervalMs?: number;
  /** Frames the live drop policy dropped (see DropFigures); absent: read from the run's detail. */
  dropped?: DropFigures;
  /** Per switch: request → first encoded bytes of the new size out of the encoder, ms; absent: read from the run's detail. */
  viewerSwitchMs?: readonly number[];
  /** Frame → its encoded bytes out (after the lead-in), from the encoder's histogram; absent: not measured. */
  outMs?: OutFigures;
  /** Slots stages held when the run ended, before the controller took them back (null: unknown). */
  heldAtEnd?: number | null;
  framesInFlight?: number;
  encoders?: number;
  segments: number;
  outcome: string;
}

/** Frames the live *drop* policy dropped in a run (realtime pacing). */
export interface DropFigures {
  total: number;
  /** Per ladder rung in force when dropped ('other': off the ladder); rungs with none left out. */
  byRung: Record<string, number>;
  /** The policy's bound, ms; null: *block* (never drops). */
  boundMs: number | null;
}

/** A run's place in what produced it: a single run, Compare's cold run (not counted), or a measured round. */
export type RunRole = 'single' | 'cold' | 'measured';

export interface RunReport {
  /** The engine's full report of the run (switches, segments, per-stage totals, series); JSON only. */
  detail?: unknown;
  role?: RunRole;
  /** Compare's round (1-based) for a measured run. */
  round?: number;
  label: string;
  mode: string;
  codec: string;
  pacing: string;
  schedule?: SwitchSchedule;
  startRung?: string;
  fileName: string;
  outcome: string;
  frames: number;
  throughputFps: number;
  /** Frames left out of the latency figures and stalls (the lead-in). */
  leadInFrames: number;
  /** Latency after the lead-in; `maxWholeRun` includes it (the block's maximum). */
  latencyMs: { p50: number; p95: number; p99: number; max: number; maxWholeRun: number };
  allocationsPerFrame: number;
  allocationsPerFrameAfterWarmup: number;
  mbAllocated: number;
  bytesCopiedPerFrame: number;
  /** Codec glue copies ÷ frames (NaN when the report predates it). */
  codecBytesCopiedPerFrame?: number;
  /** Codec glue events per frame: input reads, log lines, views made (NaN when the report predates them). */
  gluePerFrame?: { inputReads: number; logLines: number; viewsMade: number };
  peakMemory: Partial<Record<MemoryKind, number>>;
  /** Frames over 3× this run's own median latency (a table of several runs counts against one bar: see stallBar). */
  stalls: number;
  /** Each frame's latency after the lead-in, ms (0.01 ms steps), so a table counts every run's stalls against one bar; absent in files from before. */
  latencySamplesMs?: number[];
  /** The source's frame interval, ms: the stall bar's floor (absent in files from before). */
  frameIntervalMs?: number;
  reuseRatio: number;
  switches: number;
  switchLatencyMs: { p50: number; p99: number };
  reinitMs: { p50: number; p99: number };
  gapMs?: { p50: number; p99: number };
  latenessMs?: { p50: number; p99: number; max: number };
  dropped?: DropFigures;
  /** Request → first encoded bytes of the new size out of the encoder, ms. */
  viewerSwitchMs?: { p50: number; p99: number };
  /** End to end: released by the source → its encoded bytes out, after the lead-in. */
  outMs?: OutFigures;
  heldAtEnd?: number | null;
  framesInFlight?: number;
  encoders?: number;
  segments: number;
}

/**
 * End to end per frame, from a histogram (log buckets 25% wide, so each figure is a bucket's
 * middle, within ±12%): p99 only from 100 frames, like every tail row.
 */
export interface OutFigures { p50: number; p99: number; max: number; count: number }

/** Nearest-rank quantile (0 < q ≤ 1) of unsorted values; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  const sorted = Float64Array.from(finite).sort();
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * A tail quantile only when there are enough values for it to be one: q = 0.99 needs 100, 0.95
 * needs 20; with fewer it would just be the maximum of a handful of samples (five switches
 * make a "p99" that flips a verdict), so it is NaN ("–" in the table).
 */
export function tailQuantile(values: readonly number[], q: number): number {
  let n = 0;
  for (const v of values) if (Number.isFinite(v)) n++;
  return n >= Math.ceil(1 / (1 - q) - 1e-9) ? quantile(values, q) : NaN;
}

const viewerSummary = (values: readonly number[]): { p50: number; p99: number } =>
  ({ p50: quantile(values, 0.5), p99: tailQuantile(values, 0.99) });

/**
 * The engine's report of the run (RunReport.detail, a PipelineRunReport as JSON) holds the drop
 * counters and each switch's first encoded bytes: the table reads them from there when the
 * report was built without them (reports saved before these rows existed have neither).
 */
type DetailSwitch = { toFirstBytesMs?: unknown; toEncoderMs?: unknown };
function detailOf(r: RunReport): { drops?: Partial<DropFigures>; switches?: DetailSwitch[] } | null {
  return typeof r.detail === 'object' && r.detail !== null ? r.detail as { drops?: Partial<DropFigures>; switches?: DetailSwitch[] } : null;
}

/** The run's drop figures (its own, else from its detail), or null when it has none. */
export function dropsOf(r: RunReport): DropFigures | null {
  if (r.dropped) return r.dropped;
  const d = detailOf(r)?.drops;
  if (!d || typeof d.total !== 'number') return null;
  return { total: d.total, byRung: { ...(d.byRung ?? {}) } as Record<string, number>, boundMs: typeof d.boundMs === 'number' ? d.boundMs : null };
}

/** Request → first encoded bytes of the new size, per switch (its own summary, else from its detail). */
export function viewerSwitchOf(r: RunReport): { p50: number; p99: number } {
  if (r.viewerSwitchMs) return r.viewerSwitchMs;
  const values = (detailOf(r)?.switches ?? []).map((s) => s.toFirstBytesMs).filter((v): v is number => typeof v === 'number');
  return viewerSummary(values);
}

/** Request → first new-size frame taken by its encoder, per switch, from the run's detail (reports saved before it: none). */
export function encoderSwitchOf(r: RunReport): { p50: number; p99: number } {
  const values = (detailOf(r)?.switches ?? []).map((s) => s.toEncoderMs).filter((v): v is number => typeof v === 'number');
  return viewerSummary(values);
}

/** "45 (240p: 14, 360p: 15)": a drop count with the rungs it happened at. */
export function formatDrops(total: number, byRung: Record<string, number>): string {
  const parts = Object.entries(byRung).filter(([, n]) => n > 0).map(([rung, n]) => `${/^\d+$/.test(rung) ? `${rung}p` : rung}: ${n}`);
  return parts.length > 0 ? `${total} (${parts.join(', ')})` : String(total);
}

const STALL_FACTOR = 3;

/** Frames slower than `factor` × the median latency. */
export function countStalls(latenciesMs: readonly number[], factor = STALL_FACTOR): number {
  return countOver(latenciesMs, factor * quantile(latenciesMs, 0.5));
}

function countOver(values: readonly number[], bar: number): number {
  if (!Number.isFinite(bar)) return 0;
  let n = 0;
  for (const v of values) if (v > bar) n++;
  return n;
}

/**
 * One stall bar for every run in a table: 3× the median of their latency p50s, and never under
 * one frame interval of the source. Each run's own 3× median held the mode with the lower median
 * to a lower bar (a 40 ms frame was a stall beside a 10 ms median and not beside a 20 ms one);
 * and at realtime, where a frame waits 1–4 ms, 3× that counted a third of the frames. NaN when
 * a run has no samples (a file from before).
 */
export function stallBar(reports: readonly RunReport[]): { ms: number; byInterval: boolean; threeMedians: number } {
  if (reports.length === 0 || reports.some((r) => !r.latencySamplesMs)) return { ms: NaN, byInterval: false, threeMedians: NaN };
  const threeMedians = STALL_FACTOR * quantile(reports.map((r) => r.latencyMs.p50), 0.5);
  const interval = quantile(reports.map((r) => r.frameIntervalMs ?? NaN), 0.5);
  const byInterval = interval > threeMedians; // false when the interval is unknown (NaN)
  return { ms: byInterval ? interval : threeMedians, byInterval, threeMedians };
}

/** Largest finite value (no spread: lists can be longer than the argument limit). */
function maxOf(values: readonly number[], start: number): number {
  let max = Number.isFinite(start) ? start : -Infinity;
  for (const v of values) if (v > max) max = v;
  return max === -Infinity ? NaN : max;
}

const perFrame = (value: number, frames: number): number => (frames > 0 ? value / frames : NaN);

/** The latencies of frames past the lead-in (frame index ≥ `leadIn`). */
export function afterLeadIn(r: Pick<RunRecord, 'latenciesMs' | 'latencyFrames'>, leadIn = WARMUP_FRAMES): number[] {
  const frames = r.latencyFrames;
  if (!frames || frames.length !== r.latenciesMs.length) return r.latenciesMs.slice(leadIn);
  return r.latenciesMs.filter((_v, i) => frames[i]! >= leadIn);
}

export function buildReport(r: RunRecord): RunReport {
  const t = r.totals;
  const w = r.warmup;
  const reuseDen = t.poolHits + t.poolMisses;
  const measured = afterLeadIn(r);
  return {
    label: r.label,
    mode: r.mode,
    codec: r.codec,
    pacing: r.pacing,
    ...(r.schedule ? { schedule: r.schedule } : {}),
    ...(r.startRung ? { startRung: r.startRung } : {}),
    fileName: r.fileName,
    outcome: r.outcome,
    frames: r.frames,
    throughputFps: r.activeMs > 0 ? (r.frames * 1000) / r.activeMs : NaN,
    leadInFrames: WARMUP_FRAMES,
    latencyMs: {
      p50: quantile(measured, 0.5),
      p95: tailQuantile(measured, 0.95),
      p99: tailQuantile(measured, 0.99),
      max: maxOf(measured, NaN),
      maxWholeRun: maxOf(r.latenciesMs, r.maxLatencyMs),
    },
    allocationsPerFrame: perFrame(t.allocations, r.frames),
    allocationsPerFrameAfterWarmup: w ? perFrame(t.allocations - w.allocations, r.frames - w.frames) : NaN,
    mbAllocated: t.bytesAllocated / (1024 * 1024),
    bytesCopiedPerFrame: perFrame(t.bytesCopied, r.frames),
    codecBytesCopiedPerFrame: perFrame(t.codecBytesCopied ?? NaN, r.frames),
    gluePerFrame: {
      inputReads: perFrame(t.glue?.inputReads ?? NaN, r.frames),
      logLines: perFrame(t.glue?.logLines ?? NaN, r.frames),
      viewsMade: perFrame(t.glue?.viewsMade ?? NaN, r.frames),
    },
    peakMemory: { ...r.peakMemory },
    stalls: countStalls(measured),
    latencySamplesMs: measured.map((v) => Math.round(v * 100) / 100),
    ...(Number.isFinite(r.frameIntervalMs) ? { frameIntervalMs: r.frameIntervalMs } : {}),
    reuseRatio: reuseDen > 0 ? t.poolHits / reuseDen : NaN,
    switches: r.switchLatencyMs.length,
    switchLatencyMs: { p50: quantile(r.switchLatencyMs, 0.5), p99: tailQuantile(r.switchLatencyMs, 0.99) },
    reinitMs: { p50: quantile(r.reinitMs, 0.5), p99: tailQuantile(r.reinitMs, 0.99) },
    gapMs: { p50: quantile(r.gapMs ?? [], 0.5), p99: tailQuantile(r.gapMs ?? [], 0.99) },
    latenessMs: { p50: quantile(r.latenessMs ?? [], 0.5), p99: tailQuantile(r.latenessMs ?? [], 0.99), max: maxOf(r.latenessMs ?? [], NaN) },
    ...(r.dropped ? { dropped: r.dropped } : {}),
    ...(r.viewerSwitchMs ? { viewerSwitchMs: viewerSummary(r.viewerSwitchMs) } : {}),
    ...(r.outMs ? { outMs: { ...r.outMs, p99: r.outMs.count >= 100 ? r.outMs.p99 : NaN } } : {}),
    heldAtEnd: r.heldAtEnd ?? null,
    ...(r.framesInFlight ? { framesInFlight: r.framesInFlight } : {}),
    ...(r.encoders ? { encoders: r.encoders } : {}),
    segments: r.segments,
  };
}

/** One table row: a metric's name, what it spans, unit and each report's value (numbers stay numbers). */
export interface ReportRow {
  key: string;
  label: string;
  /** What the figure spans (from where to where, over which frames). */
  spans: string;
  unit: string;
  values: number[];
  /** Which way is better, for highlighting: -1 lower, 1 higher, 0 neither. */
  better: -1 | 0 | 1;
  /** The modes differ here by how they work (allocations, copies), not by chance. */
  byConstruction: boolean;
}

const MB = 1024 * 1024;
const LATENCY_SPANS = `decoded → taken by the encoder (after the first ${WARMUP_FRAMES} frames)`;
const SWITCH_SPANS = 'request → first new-size frame out of the scaler';
const OUT_SPANS = `released by the source (decoded; realtime: at its due time) → its encoded bytes out of the encoder (latency + encoding), after the first ${WARMUP_FRAMES} frames; misses the page's and a player's delay; ±12% (histogram)`;
const REINIT_SPANS = "the new encoder's start (ffmpeg.wasm: exec → its second frame asked; WebCodecs: configure → first chunk out), plus the old one's close when one encoder does both (one ffmpeg.wasm lane; WebCodecs reconfigure)";
const GAP_SPANS = 'last old-size frame into the old encoder → first new-size frame into the new one';
/** Tail rows say how many values they need (see tailQuantile). */
const needs = (spans: string, n: number): string => `${spans}; shown from ${n} values on (fewer: –)`;
const LATENESS_SPANS = `frame taken by the encoder − when it was due (start + index × frame interval), after the first ${WARMUP_FRAMES} frames; realtime runs only`;
const VIEWER_SPANS = "request (the click, or the scheduled frame taken by the scaler) → first encoded bytes of the new size out of its encoder; misses the page's and the player's own delay";
const TO_ENCODER_SPANS = 'request (the click, or the scheduled frame taken by the scaler) → first new-size frame taken by its encoder; misses the encoding and everything after';
const DROP_SPANS = 'frames dropped, realtime with the drop policy: by the scaler when they would have reached the encoders over 3 frame intervals late, or by an encoder as it took one already over (block never drops; max pacing always blocks); per rung in force when dropped';

const formatBar = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));

/** The comparison table, one column per report. */
export function reportRows(reports: readonly RunReport[]): ReportRow[] {
  const row = (key: string, label: string, spans: string, unit: string, better: -1 | 0 | 1, get: (r: RunReport) => number, byConstruction = false): ReportRow =>
    ({ key, label, spans, unit, better, byConstruction, values: reports.map(get) });
  const paced = reports.length > 0 && reports.every((r) => r.pacing === 'realtime');
  const rows: ReportRow[] = [
    row('frames', 'frames', 'frames the encoder took', '', 0, (r) => r.frames),
    // At realtime the source's clock sets the rate: a 25.1 against 25.1 fps difference is the first
    // and last frames' latency, not speed, and a verdict on it ("unpooled higher") misleads.
    paced
      ? row('throughputFps', 'throughput', "frames ÷ first to last frame out; realtime: the source's rate, so not compared", 'fps', 0, (r) => r.throughputFps)
      : row('throughputFps', 'throughput', 'frames ÷ first to last frame out', 'fps', 1, (r) => r.throughputFps),
    row('latencyP50', 'latency p50', LATENCY_SPANS, 'ms', -1, (r) => r.latencyMs.p50),
    row('latencyP95', 'latency p95', needs(LATENCY_SPANS, 20), 'ms', -1, (r) => r.latencyMs.p95),
    row('latencyP99', 'latency p99', needs(LATENCY_SPANS, 100), 'ms', -1, (r) => r.latencyMs.p99),
    row('latencyMax', 'latency max', LATENCY_SPANS, 'ms', -1, (r) => r.latencyMs.max),
    row('outP50', 'end to end p50', OUT_SPANS, 'ms', -1, (r) => r.outMs?.p50 ?? NaN),
    row('outP99', 'end to end p99', needs(OUT_SPANS, 100), 'ms', -1, (r) => r.outMs?.p99 ?? NaN),
    row('allocationsPerFrame', 'allocations / frame', 'frame buffers allocated by all stages ÷ frames, whole run', '', -1, (r) => r.allocationsPerFrame, true),
    row('allocationsPerFrameAfterWarmup', 'allocations / frame after warm-up', `as above, after the first ${WARMUP_FRAMES} frames`, '', -1, (r) => r.allocationsPerFrameAfterWarmup, true),
    row('mbAllocated', 'allocated', 'frame-buffer bytes allocated by all stages, whole run', 'MiB', -1, (r) => r.mbAllocated, true),
    row('bytesCopiedPerFrame', 'bytes copied / frame', 'the hand-over copies between stages ÷ frames (the codec copies are the next row)', 'B', -1, (r) => r.bytesCopiedPerFrame, true),
    row('glueInputReadsPerFrame', 'codec glue: input reads / frame', 'ffmpeg.wasm\'s reads of the input file (each a Blob slice and a new ArrayBuffer: garbage) ÷ frames; WebCodecs\' reads through mediabunny are not counted', '', -1, (r) => r.gluePerFrame?.inputReads ?? NaN),
    row('glueLogLinesPerFrame', 'codec glue: log lines / frame', 'lines ffmpeg.wasm wrote to its log ÷ frames (kept in a fixed ring, no string per line unless a logger is set)', '', -1, (r) => r.gluePerFrame?.logLines ?? NaN),
    row('glueViewsPerFrame', 'codec glue: views / frame', 'typed-array views the frame devices had to make (a write split across frames) ÷ frames', '', -1, (r) => r.gluePerFrame?.viewsMade ?? NaN),
    row('codecBytesCopiedPerFrame', 'codec copies / frame', 'frame bytes copied into and out of the codecs ÷ frames: ffmpeg.wasm\'s devices to and from its WASM memory; WebCodecs\' VideoFrame.copyTo and the VideoFrame constructor (the same in both modes)', 'B', -1, (r) => r.codecBytesCopiedPerFrame ?? NaN),
  ];
  for (const { kind, label, covers } of MEMORY_KINDS) {
    if (reports.some((r) => Number.isFinite(r.peakMemory[kind] ?? NaN))) {
      rows.push(row(`peak.${kind}`, `peak ${label}`, `highest of the run's samples (5 a second): ${covers}`, 'MiB', -1, (r) => (r.peakMemory[kind] ?? NaN) / MB));
    }
  }
  const bar = stallBar(reports);
  const why = bar.byInterval
    ? `one frame interval of the source (3× the median of the runs' latency p50s, ${formatBar(bar.threeMedians)} ms, is less)`
    : `3× the median of the runs' latency p50s`;
  rows.push(
    Number.isFinite(bar.ms)
      ? row('stalls', 'stalls', `frames whose latency is over ${formatBar(bar.ms)} ms: ${why}; one bar for every run (after the first ${WARMUP_FRAMES} frames)`, 'frames', -1, (r) => countOver(r.latencySamplesMs!, bar.ms))
      : row('stalls', 'stalls', `frames over 3× the run's own median latency (after the first ${WARMUP_FRAMES} frames): a report saved before one bar for all runs`, 'frames', -1, (r) => r.stalls),
    row('reuseRatio', 'buffer reuse ratio', 'acquisitions served by a slot that held an earlier frame ÷ all acquisitions', '', 1, (r) => r.reuseRatio),
    row('switches', 'resolution switches', 'switches that reached the scaler', '', 0, (r) => r.switches),
    row('switchP50', 'switch cost p50', SWITCH_SPANS, 'ms', -1, (r) => r.switchLatencyMs.p50),
    row('switchP99', 'switch cost p99', needs(SWITCH_SPANS, 100), 'ms', -1, (r) => r.switchLatencyMs.p99),
    row('reinitP50', 'encoder re-init p50', REINIT_SPANS, 'ms', -1, (r) => r.reinitMs.p50),
    row('reinitP99', 'encoder re-init p99', needs(REINIT_SPANS, 100), 'ms', -1, (r) => r.reinitMs.p99),
    row('switchEncoderP50', 'switch: request → encoder p50', TO_ENCODER_SPANS, 'ms', -1, (r) => encoderSwitchOf(r).p50),
    row('switchEncoderP99', 'switch: request → encoder p99', needs(TO_ENCODER_SPANS, 100), 'ms', -1, (r) => encoderSwitchOf(r).p99),
    row('switchViewerP50', 'switch cost to the viewer p50', VIEWER_SPANS, 'ms', -1, (r) => viewerSwitchOf(r).p50),
    row('switchViewerP99', 'switch cost to the viewer p99', needs(VIEWER_SPANS, 100), 'ms', -1, (r) => viewerSwitchOf(r).p99),
    row('gapP50', 'switch gap at the encoder p50', GAP_SPANS, 'ms', -1, (r) => r.gapMs?.p50 ?? NaN),
    row('gapP99', 'switch gap at the encoder p99', needs(GAP_SPANS, 100), 'ms', -1, (r) => r.gapMs?.p99 ?? NaN),
    row('latenessP50', 'lateness p50 (realtime)', LATENESS_SPANS, 'ms', -1, (r) => r.latenessMs?.p50 ?? NaN),
    row('latenessP99', 'lateness p99 (realtime)', needs(LATENESS_SPANS, 100), 'ms', -1, (r) => r.latenessMs?.p99 ?? NaN),
    row('dropped', 'dropped', DROP_SPANS, 'frames', -1, (r) => (r.pacing === 'realtime' ? dropsOf(r)?.total ?? NaN : NaN)),
    row('heldAtEnd', 'slots held at the end', 'slots the stages still held when the run ended, counted before they were taken back: after a finished run, any is a leak', 'slots', -1, (r) => r.heldAtEnd ?? NaN),
    row('segments', 'segments', 'encoded segments (one per output size run)', '', 0, (r) => r.segments),
  );
  // Rows a run may not have at all (lateness at max pacing, a gap without switches): only when some run has them.
  const optional = new Set(['outP50', 'outP99', 'gapP50', 'gapP99', 'switchEncoderP50', 'switchEncoderP99', 'switchViewerP50', 'switchViewerP99', 'latenessP50', 'latenessP99', 'heldAtEnd']);
  // Drops only when some run could drop (the drop policy); a block run beside it shows its 0.
  const dropping = reports.some((r) => dropsOf(r)?.boundMs != null);
  return rows.filter((r) => (r.key === 'dropped' ? dropping : !optional.has(r.key) || r.values.some(Number.isFinite)));
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** CSV: a header of run labels, then one line per metric (empty cell for unknown). */
export function reportCsv(reports: readonly RunReport[]): string {
  const header = ['metric', 'unit', ...reports.map((r) => `${r.label} (${r.mode})`)];
  const lines = [header.map(csvCell).join(',')];
  for (const r of reportRows(reports)) {
    lines.push([r.label, r.unit, ...r.values.map((v) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : ''))].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/** "Better" for each value of a row: true where a value is the best of the row (ties all true). */
export function bestOf(row: ReportRow): boolean[] {
  if (row.better === 0 || row.values.length < 2) return row.values.map(() => false);
  const finite = row.values.filter(Number.isFinite);
  if (finite.length < 2) return row.values.map(() => false);
  const best = row.better < 0 ? Math.min(...finite) : Math.max(...finite);
  const worst = row.better < 0 ? Math.max(...finite) : Math.min(...finite);
  if (best === worst) return row.values.map(() => false);
  return row.values.map((v) => v === best);
}
