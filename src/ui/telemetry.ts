/**
 * Per-run telemetry on the main thread: samples the run's shared counters a few times a
 * second into ring-buffered columns (for the charts) and keeps what the report needs.
 * Sampling is cheap (a few hundred loads); charts copy out of the rings when they redraw.
 */
import { HIST_E2E, HIST_OUT, StageCounter, type Metrics } from '../metrics/metrics-block.ts';
import { histogramCount, histogramQuantile } from '../metrics/histogram.ts';
import { MetricsSampler } from '../metrics/sampler.ts';
import { StageId } from '../metrics/stages.ts';
import type { UiRun } from './engine.ts';
import { stageTotals, type StageTotals } from '../metrics/stage-totals.ts';
import type { MemoryKind, RunRecord } from './compare/report.ts';
import { LATENCY_WINDOW_FRAMES, WARMUP_FRAMES } from './compare/warmup.ts';

export { WARMUP_FRAMES };

/** A fixed-capacity ring of float columns sharing one write head. */
export class ColumnRing<K extends string> {
  readonly capacity: number;
  length = 0;
  private head = 0;
  private readonly cols: Record<K, Float64Array>;

  constructor(names: readonly K[], capacity: number) {
    this.capacity = capacity;
    this.cols = {} as Record<K, Float64Array>;
    for (const name of names) this.cols[name] = new Float64Array(capacity).fill(NaN);
  }

  /** Appends a row; missing columns get NaN. Allocation-free. */
  push(row: Partial<Record<K, number>>): void {
    const at = this.head;
    for (const name in this.cols) this.cols[name][at] = row[name] ?? NaN;
    this.head = (at + 1) % this.capacity;
    if (this.length < this.capacity) this.length++;
  }

  /** A column oldest first, NaN as null (uPlot's gap). Allocates. */
  column(name: K, map: (v: number) => number = (v) => v): (number | null)[] {
    const c = this.cols[name];
    const out: (number | null)[] = new Array<number | null>(this.length);
    const start = (this.head - this.length + this.capacity) % this.capacity;
    for (let i = 0; i < this.length; i++) {
      const v = c[(start + i) % this.capacity]!;
      out[i] = Number.isNaN(v) ? null : map(v);
    }
    return out;
  }

  /** Every column oldest first (for the JSON report). Allocates. */
  all(): Record<K, (number | null)[]> {
    const out = {} as Record<K, (number | null)[]>;
    for (const name in this.cols) out[name] = this.column(name);
    return out;
  }

  max(name: K): number {
    const c = this.cols[name];
    let m = NaN;
    for (let i = 0; i < this.length; i++) {
      const v = c[i]!;
      if (!Number.isNaN(v) && !(v <= m)) m = v;
    }
    return m;
  }
}

/** The last `capacity` latencies (a ring) and their nearest-rank quantiles. */
export class LatencyWindow {
  private readonly values: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  length = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  /** Allocation-free. */
  push(ms: number): void {
    this.values[this.head] = ms;
    this.head = (this.head + 1) % this.values.length;
    if (this.length < this.values.length) this.length++;
  }

  /** Nearest-rank quantile (0 < q ≤ 1) of the values in the window, NaN when empty; sorts a copy (two small views a call). */
  quantile(q: number): number {
    const n = this.length;
    if (n === 0) return NaN;
    const sorted = this.sorted.subarray(0, n);
    sorted.set(this.values.subarray(0, n));
    sorted.sort();
    return sorted[Math.max(1, Math.ceil(q * n)) - 1]!;
  }
}

export const SAMPLE_COLUMNS = [
  't', 'poolCommitted', 'poolReserved', 'poolInUse', 'allocBytesPerSec',
  'wasmDecode', 'wasmScale', 'wasmEncode', 'jsHeap', 'browserWide',
  'p50', 'p99', 'reuse', 'allocsPerSec',
  'fpsDecode', 'fpsScale', 'fpsEncode', 'fpsPreview', 'framesDone',
] as const;
export type SampleColumn = (typeof SAMPLE_COLUMNS)[number];

const MEMORY_COLUMNS: readonly MemoryKind[] = ['poolCommitted', 'poolReserved', 'poolInUse', 'wasmDecode', 'wasmScale', 'wasmEncode', 'jsHeap', 'browserWide'];

interface ChromeMemory { usedJSHeapSize: number }

function jsHeapBytes(): number {
  const memory = (performance as Performance & { memory?: ChromeMemory }).memory;
  return memory ? memory.usedJSHeapSize : NaN;
}

export class RunTelemetry {
  readonly run: UiRun;
  readonly label: string;
  readonly samples = new ColumnRing(SAMPLE_COLUMNS, 1800);
  /** Latency points for the scatter (t in s since start, ms). */
  readonly points = new ColumnRing(['t', 'ms'] as const, 6000);
  /** Every frame's latency and its frame index, for the report (grows; ~16 bytes a frame). */
  private latencies = new Float64Array(4096);
  private latencyFrames = new Float64Array(4096);
  private latencyCount = 0;
  /** Realtime runs: per frame after the lead-in, taken by the encoder − due (start + index × interval), ms. */
  private readonly lateness: number[] = [];
  /** Realtime: the newest frame's lateness at the encoder, and the source's frame interval (null before one). */
  behind: { lateMs: number; intervalMs: number } | null = null;
  /** The chart's rolling p50/p99 come from the last LATENCY_WINDOW_FRAMES frames. */
  private readonly window = new LatencyWindow(LATENCY_WINDOW_FRAMES);
  private firstFrameAt = NaN;
  private lastFrameAt = NaN;
  private sampler: MetricsSampler | null = null;
  private recentCursor = 0;
  private readonly recentT = new Float64Array(2048);
  private readonly recentMs = new Float64Array(2048);
  private readonly recentFrame = new Float64Array(2048);
  private warmup: StageTotals | null = null;
  private prevTotals: StageTotals | null = null;
  private prevAt = NaN;
  private pendingBrowserWide = NaN;
  private switchXs: number[] = [];
  /** The scaler's output size after the last switch (null: still the start rung's). */
  outputSize: { width: number; height: number } | null = null;

  constructor(run: UiRun, label: string) {
    this.run = run;
    this.label = label;
  }

  /** Seconds since the run started, for a shared-clock time. */
  x(sharedMs: number): number {
    return (sharedMs - this.run.startedAt) / 1000;
  }

  /** Records a browser-wide measurement (arrives rarely; plotted at the next sample). */
  noteBrowserWide(bytes: number): void {
    this.pendingBrowserWide = bytes;
  }

  /** Takes one sample (call a few times a second while the run lives, and once at its end). */
  sample(): void {
    const m = this.run.metrics();
    if (!m) return;
    this.sampler ??= new MetricsSampler(m, { capacity: 64 });
    const nowPerf = performance.now();
    const now = performance.timeOrigin + nowPerf;
    this.sampler.sample(nowPerf);
    this.drainLatencies(m);
    const t = stageTotals(m);
    this.takeWarmup(m);
    let reuse = NaN;
    let allocsPerSec = NaN;
    let allocBytesPerSec = NaN;
    if (this.prevTotals && now > this.prevAt) {
      const p = this.prevTotals;
      const dt = (now - this.prevAt) / 1000;
      const hits = t.poolHits - p.poolHits;
      const misses = t.poolMisses - p.poolMisses;
      reuse = hits + misses > 0 ? hits / (hits + misses) : NaN;
      allocsPerSec = (t.allocations - p.allocations) / dt;
      allocBytesPerSec = (t.bytesAllocated - p.bytesAllocated) / dt;
    }
    this.prevTotals = t;
    this.prevAt = now;
    const pool = this.run.pool();
    const s = this.sampler;
    this.samples.push({
      t: this.x(now),
      poolCommitted: pool?.committedBytes,
      poolReserved: pool?.reservedBytes,
      poolInUse: pool?.inUseBytes,
      allocBytesPerSec,
      wasmDecode: this.run.wasmBytes('decode'),
      wasmScale: this.run.wasmBytes('scale'),
      wasmEncode: this.run.wasmBytes('encode'),
      jsHeap: jsHeapBytes(),
      browserWide: this.pendingBrowserWide,
      p50: this.window.quantile(0.5),
      p99: this.window.quantile(0.99),
      reuse,
      allocsPerSec,
      fpsDecode: s.latest('decode.fps'),
      fpsScale: s.latest('scale.fps'),
      fpsEncode: s.latest('encode.fps'),
      fpsPreview: s.latest('preview.fps'),
      framesDone: t.frames,
    });
    this.pendingBrowserWide = NaN;
    const switches = this.run.switches();
    this.switchXs = switches.map((e) => this.x(e.firstOutAt > 0 ? e.firstOutAt : e.requestedAt));
    const last = switches[switches.length - 1];
    if (last) this.outputSize = last.to;
  }

  /** The counters as they stood at the lead-in's last frame (copied by the sink that finished it). */
  private takeWarmup(m: Metrics): void {
    if (this.warmup) return;
    const atLeadIn = m.atLeadIn();
    if (atLeadIn) this.warmup = stageTotals(atLeadIn);
  }

  /** Times of the resolution switches so far (s since start), as of the last sample. */
  switchTimes(): readonly number[] {
    return this.switchXs;
  }

  private drainLatencies(m: Metrics): void {
    const { next, count } = m.readRecent(this.recentCursor, this.recentT, this.recentMs, this.recentFrame);
    this.recentCursor = next;
    const clock = this.run.settings.pacing === 'realtime' ? this.run.sourceClock() : null;
    if (clock) {
      const late = (i: number): number => this.recentT[i]! - (clock.startedAt + this.recentFrame[i]! * clock.intervalMs);
      // The report's lateness leaves out the lead-in, as every latency figure does; the progress line shows it live.
      for (let i = 0; i < count; i++) if (this.recentFrame[i]! >= WARMUP_FRAMES) this.lateness.push(late(i));
      if (count > 0) this.behind = { lateMs: late(count - 1), intervalMs: clock.intervalMs };
    }
    for (let i = 0; i < count; i++) {
      const at = this.recentT[i]!;
      const ms = this.recentMs[i]!;
      this.points.push({ t: this.x(at), ms });
      if (this.latencyCount === this.latencies.length) {
        const grown = new Float64Array(this.latencies.length * 2);
        grown.set(this.latencies);
        this.latencies = grown;
        const grownFrames = new Float64Array(grown.length);
        grownFrames.set(this.latencyFrames);
        this.latencyFrames = grownFrames;
      }
      this.latencyFrames[this.latencyCount] = this.recentFrame[i]!;
      this.latencies[this.latencyCount++] = ms;
      this.window.push(ms);
      if (Number.isNaN(this.firstFrameAt)) this.firstFrameAt = at;
      this.lastFrameAt = at;
    }
  }

  framesDone(): number {
    const m = this.run.metrics();
    return m ? m.counter(StageId.encode, StageCounter.frames) : 0;
  }

  /** The engine's full run report (switches, segments, per-stage totals) with this run's series. */
  detail(): unknown {
    const series: Record<string, ArrayLike<number>> = {};
    for (const [name, column] of Object.entries(this.samples.all())) series[name] = column.map((v) => v ?? NaN);
    return this.run.report(series);
  }

  /** Everything the report needs; call after the run's final sample() (it does not sample). */
  record(): RunRecord {
    const m = this.run.metrics();
    const t = m ? stageTotals(m) : { frames: 0, allocations: 0, bytesAllocated: 0, bytesCopied: 0, poolHits: 0, poolMisses: 0 };
    if (m) this.takeWarmup(m);
    const peakMemory: Partial<Record<MemoryKind, number>> = {};
    for (const kind of MEMORY_COLUMNS) peakMemory[kind] = this.samples.max(kind);
    const switches = this.run.switches();
    const settings = this.run.settings;
    let activeMs = this.lastFrameAt - this.firstFrameAt;
    if (!(activeMs > 0)) activeMs = this.run.endedAt - this.run.startedAt;
    return {
      label: this.label,
      mode: settings.mode,
      codec: settings.codec,
      pacing: settings.pacing,
      schedule: settings.schedule,
      startRung: settings.startRung,
      fileName: '',
      frames: t.frames,
      activeMs,
      totals: t,
      warmup: this.warmup,
      latenciesMs: Array.from(this.latencies.subarray(0, this.latencyCount)),
      latencyFrames: Array.from(this.latencyFrames.subarray(0, this.latencyCount)),
      maxLatencyMs: m ? m.histogramMaxMs(HIST_E2E) : NaN,
      ...(m ? { outMs: outFigures(m) } : {}),
      peakMemory,
      switchLatencyMs: switches.map((s) => s.firstOutAt - s.requestedAt).filter((v) => Number.isFinite(v) && v >= 0),
      reinitMs: this.run.segments.filter((s) => s.index > 0).map((s) => s.reinitMs),
      gapMs: this.run.segments.map((s) => s.gapMs).filter(Number.isFinite),
      latenessMs: this.lateness.slice(),
      frameIntervalMs: this.run.sourceClock()?.intervalMs ?? NaN,
      heldAtEnd: this.run.heldSlotsAtEnd,
      framesInFlight: settings.framesInFlight,
      encoders: settings.encoders,
      segments: this.run.segments.length,
      outcome: this.run.failure ? `failed (${this.run.failure.stage}): ${this.run.failure.message}` : this.run.phase,
    };
  }
}

/** The encoder's frame → bytes-out histogram (after the lead-in) as report figures. */
function outFigures(m: Metrics): { p50: number; p99: number; max: number; count: number } {
  const at = m.histogramOffset(HIST_OUT);
  const count = histogramCount(m.ints, at);
  return { p50: histogramQuantile(m.ints, 0.5, at), p99: histogramQuantile(m.ints, 0.99, at), max: count > 0 ? m.histogramMaxMs(HIST_OUT) : NaN, count };
}
