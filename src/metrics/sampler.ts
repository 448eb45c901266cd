/**
 * Main-thread sampler: turns the shared counters into time series held in preallocated
 * ring columns (uPlot-style columnar Float64Arrays). `sample()` allocates nothing once
 * constructed; `series()` copies a column out in time order (allocates; UI side only).
 *
 * Columns (per stage `<name>` in STAGE_NAMES, rates are per second over the last interval):
 *   t                          sample time, ms (performance.now() of the sampling thread)
 *   <name>.fps                 frames finished per second
 *   <name>.allocsPerSec        counted allocations per second
 *   <name>.allocBytesPerSec    bytes allocated per second
 *   <name>.copyBytesPerSec     bytes copied per second
 *   <name>.reuseRatio          poolHits / (poolHits + poolMisses) in the interval (NaN if none)
 *   <name>.busyFraction        busyMs / interval
 *   <name>.waitFraction        waitMs / interval
 *   <name>.p50Ms <name>.p99Ms  stage time quantiles over the interval (NaN if no frames)
 *   e2e.p50Ms e2e.p99Ms        end-to-end latency quantiles over the interval
 *   e2e.maxMs                  largest end-to-end latency ever (ms)
 *   plus one column per `gauges` entry (its value at sampling time, e.g. pool bytes).
 */
import { HIST_BUCKETS, histogramQuantile } from './histogram.ts';
import { HIST_COUNT, HIST_E2E, Metrics, StageCounter, StageGauge, stageHistogram } from './metrics-block.ts';
import { STAGE_COUNT, STAGE_NAMES, type StageId } from './stages.ts';

const PER_STAGE = [
  'fps',
  'allocsPerSec',
  'allocBytesPerSec',
  'copyBytesPerSec',
  'reuseRatio',
  'busyFraction',
  'waitFraction',
  'p50Ms',
  'p99Ms',
] as const;

/** Previous raw values kept per stage: frames, allocs, hits, misses, bytesAlloc, bytesCopied, busy, wait. */
const PREV_STRIDE = 8;

export interface SamplerOptions {
  /** Samples kept per column (ring). Default 1200 (e.g. 2 min at 10 Hz). */
  capacity?: number;
  /** Extra gauge columns sampled as-is. */
  gauges?: Record<string, () => number>;
}

export class MetricsSampler {
  readonly capacity: number;
  readonly columns: ReadonlyMap<string, Float64Array>;
  /** Number of valid samples (≤ capacity). */
  length = 0;
  /** Index the next sample is written at. */
  private head = 0;
  private lastT = NaN;
  private readonly metrics: Metrics;
  private readonly gauges: [string, () => number][];
  private readonly prev: Float64Array;
  private readonly prevHist: Int32Array;
  private readonly delta: Int32Array;
  private readonly stageCols: Float64Array[][];
  private readonly tCol: Float64Array;
  private readonly e2eCols: [Float64Array, Float64Array, Float64Array];
  private readonly gaugeCols: Float64Array[];

  constructor(metrics: Metrics, options: SamplerOptions = {}) {
    this.metrics = metrics;
    this.capacity = options.capacity ?? 1200;
    this.gauges = Object.entries(options.gauges ?? {});
    const cols = new Map<string, Float64Array>();
    const make = (name: string): Float64Array => {
      const c = new Float64Array(this.capacity).fill(NaN);
      cols.set(name, c);
      return c;
    };
    this.tCol = make('t');
    this.stageCols = [];
    for (let s = 0; s < STAGE_COUNT; s++) {
      this.stageCols.push(PER_STAGE.map((f) => make(`${STAGE_NAMES[s] ?? s}.${f}`)));
    }
    this.e2eCols = [make('e2e.p50Ms'), make('e2e.p99Ms'), make('e2e.maxMs')];
    this.gaugeCols = this.gauges.map(([name]) => make(name));
    this.columns = cols;
    this.prev = new Float64Array(STAGE_COUNT * PREV_STRIDE);
    this.prevHist = new Int32Array(HIST_COUNT * HIST_BUCKETS);
    this.delta = new Int32Array(HIST_BUCKETS);
  }

  /** Takes one sample. The first call only sets the baseline (rates need an interval). */
  sample(nowMs: number = performance.now()): void {
    const m = this.metrics;
    const first = Number.isNaN(this.lastT);
    const dtMs = nowMs - this.lastT;
    const at = this.head;
    if (!first) this.tCol[at] = nowMs;
    for (let s = 0; s < STAGE_COUNT; s++) {
      const stage = s as StageId;
      const p = s * PREV_STRIDE;
      const v0 = m.counter(stage, StageCounter.frames);
      const v1 = m.counter(stage, StageCounter.allocations);
      const v2 = m.counter(stage, StageCounter.poolHits);
      const v3 = m.counter(stage, StageCounter.poolMisses);
      const v4 = m.gauge(stage, StageGauge.bytesAllocated);
      const v5 = m.gauge(stage, StageGauge.bytesCopied);
      const v6 = m.gauge(stage, StageGauge.busyMs);
      const v7 = m.gauge(stage, StageGauge.waitMs);
      if (!first) {
        const perSec = 1000 / dtMs;
        const c = this.stageCols[s]!;
        c[0]![at] = (v0 - this.prev[p]!) * perSec;
        c[1]![at] = (v1 - this.prev[p + 1]!) * perSec;
        c[4]![at] = ratio(v2 - this.prev[p + 2]!, v3 - this.prev[p + 3]!);
        c[2]![at] = (v4 - this.prev[p + 4]!) * perSec;
        c[3]![at] = (v5 - this.prev[p + 5]!) * perSec;
        c[5]![at] = (v6 - this.prev[p + 6]!) / dtMs;
        c[6]![at] = (v7 - this.prev[p + 7]!) / dtMs;
        this.windowQuantiles(stageHistogram(stage), c[7]!, c[8]!, at);
      } else {
        this.windowQuantiles(stageHistogram(stage), null, null, at);
      }
      this.prev[p] = v0;
      this.prev[p + 1] = v1;
      this.prev[p + 2] = v2;
      this.prev[p + 3] = v3;
      this.prev[p + 4] = v4;
      this.prev[p + 5] = v5;
      this.prev[p + 6] = v6;
      this.prev[p + 7] = v7;
    }
    if (!first) {
      this.windowQuantiles(HIST_E2E, this.e2eCols[0], this.e2eCols[1], at);
      this.e2eCols[2][at] = m.histogramMaxMs(HIST_E2E);
      for (let g = 0; g < this.gauges.length; g++) this.gaugeCols[g]![at] = this.gauges[g]![1]();
      this.head = (at + 1) % this.capacity;
      if (this.length < this.capacity) this.length++;
    } else {
      this.windowQuantiles(HIST_E2E, null, null, at);
    }
    this.lastT = nowMs;
  }

  /** Most recent value of a column (NaN before the second sample). */
  latest(name: string): number {
    const c = this.columns.get(name);
    if (c === undefined || this.length === 0) return NaN;
    return c[(this.head - 1 + this.capacity) % this.capacity] ?? NaN;
  }

  /** A column's samples, oldest first (copies; for charts and reports). */
  series(name: string): Float64Array {
    const c = this.columns.get(name);
    if (c === undefined) throw new RangeError(`no column ${name}`);
    const out = new Float64Array(this.length);
    const start = (this.head - this.length + this.capacity) % this.capacity;
    for (let i = 0; i < this.length; i++) out[i] = c[(start + i) % this.capacity] ?? NaN;
    return out;
  }

  private windowQuantiles(h: number, p50: Float64Array | null, p99: Float64Array | null, at: number): void {
    const ints = this.metrics.ints;
    const off = this.metrics.histogramOffset(h);
    const prevOff = h * HIST_BUCKETS;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      const v = ints[off + i] ?? 0;
      this.delta[i] = v - (this.prevHist[prevOff + i] ?? 0);
      this.prevHist[prevOff + i] = v;
    }
    if (p50 !== null) p50[at] = histogramQuantile(this.delta, 0.5);
    if (p99 !== null) p99[at] = histogramQuantile(this.delta, 0.99);
  }
}

function ratio(hits: number, misses: number): number {
  const n = hits + misses;
  return n === 0 ? NaN : hits / n;
}
