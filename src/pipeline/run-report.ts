/**
 * The run report: everything a finished (or failed) run measured, as plain JSON-safe data.
 * Built off the hot path, after the run, from the shared metrics block, the switch log and
 * the segments. Sampled time series are the caller's (the dashboard's sampler), passed in.
 */
import { OUTPUT_RING_BYTES } from './output-ring.ts';
import type { MediaInfo } from '../codec/probe.ts';
import { histogramQuantile } from '../metrics/histogram.ts';
import { HIST_E2E, HIST_OUT, Metrics, StageCounter, StageGauge, stageHistogram } from '../metrics/metrics-block.ts';
import { STAGE_NAMES, type StageId } from '../metrics/stages.ts';
import type { PipelineRun, RunFailure, RunOptions, RunPhase } from './controller.ts';
import { DROP_COUNTERS, type ControlBlock } from './control-block.ts';
import { LADDER_RUNGS, type LadderRung } from './ladder.ts';

export interface StageReport {
  frames: number;
  allocations: number;
  bytesAllocated: number;
  bytesCopied: number;
  poolHits: number;
  poolMisses: number;
  busyMs: number;
  waitMs: number;
  /** Per-frame time in this stage (histogram quantiles, ~12% bucket resolution), ms. */
  frameMs: { p50: number | null; p99: number | null; max: number };
}

export interface SwitchReport {
  /** First frame scaled at the new size. */
  frameIndex: number;
  from: { width: number; height: number };
  to: { width: number; height: number };
  manual: boolean;
  /** Shared-clock ms. */
  requestedAt: number;
  firstOutAt: number;
  /** Request → first new-size frame out of the scaler, ms. */
  switchMs: number;
  /**
   * What the switch costs the viewer: request (click, or the schedule's frame taken by the
   * scaler) → the first encoded bytes of the new-size segment out of its encoder, ms (null if
   * that segment never produced bytes). Misses the page's and the player's own delay.
   */
  toFirstBytesMs: number | null;
  /**
   * Request → the first new-size frame taken by its encoder (the segment's first frame in), ms
   * (null if the segment never took one, or its backend does not say). Misses the encoding.
   */
  toEncoderMs: number | null;
  /**
   * Encoder-side gap: the last old-size frame taken by the old encoder → the first new-size
   * frame taken by the new one, ms (null if the segment never took a frame, or its encoder
   * knew of no earlier frame: a single lane's fresh worker after a budget hand-over).
   */
  gapMs: number | null;
  /** The encoder segment this switch opened (null if the run ended before it closed). */
  segment: number | null;
  /** Encoder re-init: previous segment's close + this segment's open, ms. */
  encoderReinitMs: number | null;
  /** Encode worker's WASM memory when the previous / this segment closed, bytes. */
  encoderWasmBefore: number | null;
  encoderWasmAfter: number | null;
}

export interface SegmentReport {
  index: number;
  fileName: string;
  width: number;
  height: number;
  frames: number;
  firstFrameIndex: number;
  bytes: number;
  closeMs: number;
  openMs: number;
  reinitMs: number;
  wasmBytesAfter: number;
}

/** Frames the live *drop* policy dropped (realtime pacing only). */
export interface DropReport {
  total: number;
  /** Per ladder rung in force when dropped ('other': a size off the ladder); rungs with none left out. */
  byRung: Partial<Record<LadderRung | 'other', number>>;
  /** The bound: a frame that would reach the encoders later than this after it was due is dropped, ms (null: *block*, nothing dropped). */
  boundMs: number | null;
  /** Of the total, frames an encoder dropped as it took them (already over the bound); the rest the scaler dropped. */
  atEncoder: number;
  /** Segments whose every frame an encoder dropped: a container header and no frame, not kept. */
  emptySegments: number;
}

export interface PipelineRunReport {
  kind: 'framepool-run';
  version: 1;
  options: Omit<RunOptions, 'fault'>;
  input: MediaInfo | null;
  phase: RunPhase;
  failure: RunFailure | null;
  startedAt: number;
  endedAt: number;
  stages: Record<'decode' | 'scale' | 'encode' | 'preview', StageReport>;
  endToEndMs: { p50: number | null; p95: number | null; p99: number | null; max: number };
  /** Released by the source → its encoded bytes out, after the lead-in (the encoder's histogram). */
  outMs: { p50: number | null; p99: number | null; max: number };
  switches: SwitchReport[];
  segments: SegmentReport[];
  /** The encoders' output rings (output-ring.ts): the most encoded bytes that waited for the page in any lane, and each lane's bound. */
  outputRing: { peakBytes: number; capacityBytes: number };
  drops: DropReport;
  /** Sampled time series by column name (the caller's sampler), NaN as null. */
  series: Record<string, (number | null)[]>;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

function stageReport(metrics: Metrics, stage: StageId): StageReport {
  const hist = metrics.histogramOffset(stageHistogram(stage));
  return {
    frames: metrics.counter(stage, StageCounter.frames),
    allocations: metrics.counter(stage, StageCounter.allocations),
    bytesAllocated: metrics.gauge(stage, StageGauge.bytesAllocated),
    bytesCopied: metrics.gauge(stage, StageGauge.bytesCopied),
    poolHits: metrics.counter(stage, StageCounter.poolHits),
    poolMisses: metrics.counter(stage, StageCounter.poolMisses),
    busyMs: metrics.gauge(stage, StageGauge.busyMs),
    waitMs: metrics.gauge(stage, StageGauge.waitMs),
    frameMs: {
      p50: finite(histogramQuantile(metrics.ints, 0.5, hist)),
      p99: finite(histogramQuantile(metrics.ints, 0.99, hist)),
      max: metrics.histogramMaxMs(stageHistogram(stage)),
    },
  };
}

/** Builds the report of `run` (call after `run()` resolved; works mid-run too). */
export function buildRunReport(run: PipelineRun, series: Record<string, ArrayLike<number>> = {}): PipelineRunReport {
  const { fault: _fault, ...options } = run.options;
  const metricsShared = run.metricsShared ?? run.shared?.metrics ?? null; // kept after release()
  const metrics = metricsShared ? Metrics.attach(metricsShared) : null;
  const segments: SegmentReport[] = run.segments.map((s) => ({
    index: s.index, fileName: s.fileName, width: s.width, height: s.height, frames: s.frames,
    firstFrameIndex: s.firstFrameIndex, bytes: s.byteLength, maxChunkBytes: s.maxChunkBytes,
    closeMs: s.closeMs, openMs: s.openMs, reinitMs: s.reinitMs, wasmBytesAfter: s.wasmBytesAfter,
  }));
  const firstBytesAt = new Map(run.segments.map((s) => [s.index, s.firstBytesAt]));
  const firstTakenAt = new Map(run.segments.map((s) => [s.index, s.firstTakenAt]));
  const gapMs = new Map(run.segments.map((s) => [s.index, s.gapMs]));
  const events = run.switches();
  const switches: SwitchReport[] = events.map((e, i) => {
    // The segment a switch opened: of the new size, first frame from the switch's frame on and
    // before the next switch (not at it: the drop policy's last check may drop a first frame).
    const until = events[i + 1]?.frameIndex ?? Infinity;
    const segment = segments.find((s) => s.width === e.to.width && s.height === e.to.height && s.firstFrameIndex >= e.frameIndex && s.firstFrameIndex < until) ?? null;
    const previous = segment && segment.index > 0 ? segments.find((s) => s.index === segment.index - 1) : undefined;
    return {
      frameIndex: e.frameIndex, from: e.from, to: e.to, manual: e.manual,
      requestedAt: e.requestedAt, firstOutAt: e.firstOutAt, switchMs: e.firstOutAt - e.requestedAt,
      toFirstBytesMs: segment ? finite((firstBytesAt.get(segment.index) ?? NaN) - e.requestedAt) : null,
      toEncoderMs: segment ? finite((firstTakenAt.get(segment.index) ?? NaN) - e.requestedAt) : null,
      gapMs: segment ? finite(gapMs.get(segment.index) ?? NaN) : null,
      segment: segment?.index ?? null,
      encoderReinitMs: segment?.reinitMs ?? null,
      encoderWasmBefore: previous?.wasmBytesAfter ?? null,
      encoderWasmAfter: segment?.wasmBytesAfter ?? null,
    };
  });
  const empty: StageReport = {
    frames: 0, allocations: 0, bytesAllocated: 0, bytesCopied: 0, poolHits: 0, poolMisses: 0,
    busyMs: 0, waitMs: 0, frameMs: { p50: null, p99: null, max: 0 },
  };
  const stages = Object.fromEntries(STAGE_NAMES.map((name, id) => [name, metrics ? stageReport(metrics, id as StageId) : empty])) as PipelineRunReport['stages'];
  const e2e = metrics?.histogramOffset(HIST_E2E) ?? 0;
  const q = (p: number) => (metrics ? finite(histogramQuantile(metrics.ints, p, e2e)) : null);
  const qOut = (p: number) => (metrics ? finite(histogramQuantile(metrics.ints, p, metrics.histogramOffset(HIST_OUT))) : null);
  return {
    kind: 'framepool-run', version: 1, options, input: run.info, phase: run.phase, failure: run.failure,
    startedAt: run.startedAt, endedAt: run.endedAt, stages,
    outputRing: { peakBytes: run.outputRingPeakBytes, capacityBytes: OUTPUT_RING_BYTES },
    endToEndMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: metrics?.histogramMaxMs(HIST_E2E) ?? 0 },
    outMs: { p50: qOut(0.5), p99: qOut(0.99), max: metrics?.histogramMaxMs(HIST_OUT) ?? 0 },
    switches, segments, drops: { ...dropReport(run.control), emptySegments: run.emptySegments },
    series: Object.fromEntries(Object.entries(series).map(([name, column]) => [name, Array.from(column, finite)])),
  };
}

/** The drop counters of a run's control block. */
function dropReport(control: ControlBlock | null): Omit<DropReport, 'emptySegments'> {
  const byRung: DropReport['byRung'] = {};
  let total = 0;
  for (let i = 0; i < DROP_COUNTERS && control; i++) {
    const n = control.droppedAt(i);
    if (n > 0) byRung[LADDER_RUNGS[i] ?? 'other'] = n;
    total += n;
  }
  const bound = control?.dropAfterMs ?? 0;
  return { total, byRung, boundMs: bound > 0 ? bound : null, atEncoder: control?.encoderDropped ?? 0 };
}
