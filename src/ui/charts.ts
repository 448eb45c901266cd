/**
 * The live charts (uPlot): memory, latency, buffer reuse, throughput. Data comes from each
 * run's ring-buffered columns; `invalidate()` asks for a redraw and redraws are coalesced to
 * at most one per animation frame. Every chart marks each run's resolution switches.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.ts';
import { formatBytes } from './format.ts';
import { MEMORY_KINDS, type MemoryKind } from './compare/report.ts';
import type { RunTelemetry, SampleColumn } from './telemetry.ts';
import { LATENCY_WINDOW_FRAMES } from './compare/warmup.ts';

type Table = (number | null)[][];

interface SeriesSpec {
  label: string;
  /** Tooltip: what the series covers and misses. */
  covers?: string;
  color: string;
  scale?: string;
  points?: boolean;
  width?: number;
}

interface ChartSpec {
  key: string;
  title: string;
  /** Tooltip on the title: what the chart spans. */
  spans: string;
  /** Series one run contributes, in the order of its tables' y columns. */
  series: SeriesSpec[];
  /** The run's tables (each [x, ...ys]); their y columns concatenated match `series`. */
  tables(t: RunTelemetry): Table[];
  axes: uPlot.Axis[];
  scales: uPlot.Scales;
}

const MEMORY_COLORS: Record<MemoryKind, string> = {
  poolCommitted: '#7aa2f7', poolReserved: '#2ac3de', poolInUse: '#9ece6a', wasmDecode: '#e0af68',
  wasmScale: '#c0a36e', wasmEncode: '#ff9e64', jsHeap: '#bb9af7', browserWide: '#f7768e',
};
const RUN_DASH: (number[] | undefined)[] = [undefined, [6, 4], [2, 3], [10, 3, 2, 3]];
const RUN_LETTER = ['A', 'B', 'C', 'D'];
const RUN_MARKER = ['rgba(255,80,80,0.75)', 'rgba(80,160,255,0.75)', 'rgba(80,200,120,0.75)', 'rgba(220,160,40,0.75)'];

// `side` only when given: uPlot reads an explicit `side: undefined` as a horizontal axis (a blank band under the plot).
const bytesAxis = (scale: string, side?: number): uPlot.Axis => ({
  scale, ...(side === undefined ? {} : { side }), size: 84, values: (_u, ticks) => ticks.map((v) => (v === null ? "" : formatBytes(v))),
});

/** Seconds from the run's start, said on the axis. */
const X_AXIS: uPlot.Axis = { space: 40, values: (_u, ticks) => ticks.map((v) => (v === null ? '' : `${+v.toPrecision(4)} s`)) };

const col = (t: RunTelemetry, name: SampleColumn, map?: (v: number) => number) => t.samples.column(name, map);

function specs(): ChartSpec[] {
  const memKinds = MEMORY_KINDS.filter((k) => k.kind !== 'wasmScale');
  return [
    {
      key: 'memory',
      title: 'Memory',
      spans: `what the page itself can read: the frame pool, the codec workers' WASM memory, this page's JS heap (not the workers' heaps), sampled every 200 ms from the run's start (s); left axis bytes, right axis bytes allocated per second. Hover a legend entry for what it covers and misses`,
      series: [
        ...memKinds.map((k) => ({ label: k.label, covers: k.covers, color: MEMORY_COLORS[k.kind], scale: 'bytes', points: k.kind === 'browserWide' })),
        { label: 'allocated /s', covers: 'bytes of frame buffers allocated per second, all stages (counted where every allocation happens); unpooled garbage waits for the GC', color: '#8b919c', scale: 'rate', width: 1 },
      ],
      tables: (t) => [[col(t, 't'), ...memKinds.map((k) => col(t, k.kind)), col(t, 'allocBytesPerSec')]],
      axes: [X_AXIS, bytesAxis('bytes'), { ...bytesAxis('rate', 1), values: (_u, ticks) => ticks.map((v) => (v === null ? "" : `${formatBytes(v)}/s`)), grid: { show: false } }],
      // At least 1 KiB/s of range: a pooled run's flat zero would label its ticks "0 B/s, 1 B/s, 1 B/s".
      scales: { bytes: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.05] }, rate: { range: (_u, _min, max) => [0, Math.max(1024, max) * 1.05] } },
    },
    {
      key: 'latency',
      title: 'Latency per frame (decoded → taken by the encoder)',
      spans: 'each frame from the decoder committing it to the encoder taking it (log scale, ms), against seconds from the run\'s start; excludes decode and encode time',
      series: [
        { label: 'frame', covers: 'one point per frame: decoded (committed by the decoder) → taken by the encoder; excludes decode and encode time', color: 'rgba(120,140,255,0.45)', scale: 'ms', points: true },
        { label: `p50 (last ${LATENCY_WINDOW_FRAMES} frames)`, covers: `median of the last ${LATENCY_WINDOW_FRAMES} frames' latencies, at each sample`, color: '#9ece6a', scale: 'ms', width: 2 },
        { label: `p99 (last ${LATENCY_WINDOW_FRAMES} frames)`, covers: `99th percentile (nearest rank) of the last ${LATENCY_WINDOW_FRAMES} frames' latencies, at each sample`, color: '#f7768e', scale: 'ms', width: 2 },
      ],
      tables: (t) => [
        [t.points.column('t'), t.points.column('ms', (v) => (v > 0 ? v : 0.01))],
        [col(t, 't'), col(t, 'p50'), col(t, 'p99')],
      ],
      axes: [X_AXIS, { scale: 'ms', size: 76, values: (_u, ticks) => ticks.map((v) => (v === null ? "" : `${+v.toPrecision(3)} ms`)) }],
      scales: { ms: { distr: 3 } },
    },
    {
      key: 'reuse',
      title: 'Buffer reuse',
      spans: `all stages, per 200 ms sample from the run's start (s); left axis the reuse ratio (0–1), right axis frame-buffer allocations per second`,
      series: [
        { label: 'reuse ratio', covers: 'acquisitions served by a slot that held an earlier frame ÷ all acquisitions, per 200 ms sample, all stages', color: '#9ece6a', scale: 'ratio', width: 2 },
        { label: 'allocations /s', covers: 'frame-buffer allocations per second, all stages', color: '#ff9e64', scale: 'allocs', width: 2 },
      ],
      tables: (t) => [[col(t, 't'), col(t, 'reuse'), col(t, 'allocsPerSec')]],
      axes: [X_AXIS, { scale: 'ratio', size: 50 }, { scale: 'allocs', side: 1, size: 60, grid: { show: false }, values: (_u, ticks) => ticks.map((v) => (v === null || !Number.isInteger(v) ? '' : `${v}/s`)) }], // a count: no 0.25/s ticks
      scales: { ratio: { range: [0, 1.05] }, allocs: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    },
    {
      key: 'throughput',
      title: 'Throughput per stage',
      spans: `frames each stage finished per second over each 200 ms sample, from the run's start (s)`,
      series: [
        { label: 'decode fps', covers: `frames the decoder finished per second, over each 200 ms sample`, color: '#7aa2f7', scale: 'fps', width: 2 },
        { label: 'scale fps', covers: `frames the scaler finished per second, over each 200 ms sample`, color: '#2ac3de', scale: 'fps', width: 2 },
        { label: 'encode fps', covers: `frames the encoders finished per second, over each 200 ms sample`, color: '#ff9e64', scale: 'fps', width: 2 },
        { label: 'preview fps', covers: `frames the page took from the preview tap and drew per second, over each 200 ms sample (the preview draws at most 12 a second)`, color: '#bb9af7', scale: 'fps', width: 1 },
      ],
      tables: (t) => [[col(t, 't'), col(t, 'fpsDecode'), col(t, 'fpsScale'), col(t, 'fpsEncode'), col(t, 'fpsPreview')]],
      axes: [X_AXIS, { scale: 'fps', size: 50 }],
      scales: { fps: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    },
  ];
}

/** Axis text colour for the current scheme (canvas cannot read CSS variables). */
function axisColor(): string {
  return matchMedia('(prefers-color-scheme: dark)').matches ? '#b8bcc6' : '#444a55';
}

interface LiveChart {
  spec: ChartSpec;
  plot: uPlot;
  box: HTMLElement;
}

export class ChartBoard {
  readonly element: HTMLElement;
  private charts: LiveChart[] = [];
  private runs: RunTelemetry[] = [];
  private frameRequested = false;
  private layout = '';
  /** Charts waiting for a redraw (drawn one per animation frame). */
  private dirty: boolean[] = [];
  private readonly resize: ResizeObserver;
  /** Redraw count (tests and the page's own jank check read it). */
  redraws = 0;

  constructor() {
    this.element = h('div', { class: 'charts', 'data-testid': 'charts' });
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.element);
    // Axis text is drawn in the scheme's colour: rebuild when the scheme changes.
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { this.layout = ''; this.setRuns(this.runs); });
    this.setRuns([]);
  }

  /** Which runs the charts show (one live run, or two overlaid for Compare). Rebuilds the plots. */
  setRuns(runs: RunTelemetry[]): void {
    // Building four plots costs tens of ms: keep them when only the data source changes.
    const layout = runs.length > 1 ? runs.map((r) => r.label).join('\n') : 'single';
    if (layout === this.layout && this.charts.length > 0) {
      this.runs = runs;
      this.invalidate();
      return;
    }
    this.layout = layout;
    for (const c of this.charts) c.plot.destroy();
    this.element.replaceChildren();
    this.runs = runs;
    if (runs.length > 1) {
      this.element.append(h('p', { class: 'run-key muted' }, ...runs.map((run, r) =>
        `${RUN_LETTER[r]} = ${run.label} (${r === 0 ? 'solid' : 'dashed'} lines; ${r === 0 ? 'red' : 'blue'} switch markers)${r < runs.length - 1 ? ' · ' : ''}`)));
    } else {
      this.element.append(h('p', { class: 'run-key muted' }, 'Vertical lines mark resolution switches.'));
    }
    this.charts = specs().map((spec) => this.build(spec));
    this.dirty = this.charts.map(() => true);
    this.fit();
    this.invalidate();
  }

  /**
   * Asks for a redraw; many calls within one frame give one redraw. The charts redraw one per
   * animation frame (a full redraw of all four took 30–50 ms on 2 busy cores: a long task);
   * at 60 frames a second each chart still updates far more often than the 5 Hz samples.
   */
  invalidate(): void {
    this.dirty.fill(true);
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(this.drawNext);
  }

  private readonly drawNext = (): void => {
    this.frameRequested = false;
    const index = this.dirty.indexOf(true);
    if (index < 0 || this.runs.length === 0) return;
    this.dirty[index] = false;
    this.redrawChart(this.charts[index]!);
    if (this.dirty.includes(true)) {
      this.frameRequested = true;
      requestAnimationFrame(this.drawNext);
    } else {
      this.redraws++;
    }
  };

  /** Points currently plotted per chart (for tests). */
  pointCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.charts) {
      let n = 0;
      for (let i = 1; i < c.plot.data.length; i++) for (const v of c.plot.data[i] ?? []) if (v !== null && v !== undefined) n++;
      out[c.spec.key] = n;
    }
    return out;
  }

  /** All charts as one PNG, stacked with their titles. */
  async toPng(): Promise<Blob> {
    const canvases = this.charts.map((c) => ({ title: c.spec.title, canvas: c.plot.ctx.canvas }));
    const width = Math.max(...canvases.map((c) => c.canvas.width));
    const titleH = 28;
    const height = canvases.reduce((sum, c) => sum + c.canvas.height + titleH, 0);
    const out = h('canvas', { width, height });
    const ctx = out.getContext('2d')!;
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    ctx.fillStyle = dark ? '#16181d' : '#ffffff';
    ctx.fillRect(0, 0, width, height);
    let y = 0;
    for (const c of canvases) {
      ctx.fillStyle = dark ? '#e6e6e6' : '#111111';
      ctx.font = '16px system-ui, sans-serif';
      ctx.fillText(`${c.title} — ${this.runs.map((r) => r.label).join(' vs ')}`, 8, y + 20);
      y += titleH;
      ctx.drawImage(c.canvas, 0, y);
      y += c.canvas.height;
    }
    return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export failed'))), 'image/png'));
  }

  private build(spec: ChartSpec): LiveChart {
    const box = h('figure', { class: 'chart', 'data-chart': spec.key }, h('figcaption', { title: spec.spans }, spec.title));
    this.element.append(box);
    const series: uPlot.Series[] = [{ label: 'time (s)', value: (_u, v) => (v === null ? '–' : `${v.toFixed(1)} s`) }];
    const runs = this.runs.length > 0 ? this.runs : [null];
    runs.forEach((run, r) => {
      for (const s of spec.series) {
        series.push({
          label: run && this.runs.length > 1 ? `${s.label} ${RUN_LETTER[r]}` : s.label,
          stroke: s.color,
          width: s.points ? 0 : (s.width ?? 1.5),
          dash: RUN_DASH[r % RUN_DASH.length],
          scale: s.scale,
          spanGaps: !s.points,
          paths: s.points ? () => null : undefined,
          // Points-only: no path to fill; the fill gives the legend a solid marker (else it has none).
          fill: s.points ? s.color : undefined,
          points: s.points ? { show: true, size: 3, stroke: s.color, fill: s.color, width: 0 } : { show: false },
          value: spec.key === 'memory' ? (_u, v) => (v === null ? '–' : s.scale === 'rate' ? `${formatBytes(v)}/s` : formatBytes(v)) : undefined,
        });
      }
    });
    const plot = new uPlot({
      width: 400,
      height: 220,
      series,
      axes: spec.axes.map((a) => ({ stroke: axisColor(), ...a, grid: { stroke: 'rgba(128,128,128,0.18)', ...(a.grid ?? {}) }, ticks: { stroke: 'rgba(128,128,128,0.3)' } })),
      scales: { x: { time: false }, ...spec.scales },
      legend: { live: false },
      cursor: { points: { show: false } },
      plugins: [this.switchMarkers()],
    }, this.emptyData(series.length), box);
    // Tooltips on legend entries: what each series covers and misses.
    const items = box.querySelectorAll<HTMLElement>('.u-legend .u-series');
    runs.forEach((_run, r) => spec.series.forEach((s, i) => {
      const item = items[1 + r * spec.series.length + i];
      if (item && s.covers) item.title = `${s.label}: ${s.covers}`;
    }));
    return { spec, plot, box };
  }

  private emptyData(n: number): uPlot.AlignedData {
    return Array.from({ length: n }, () => []) as unknown as uPlot.AlignedData;
  }

  private switchMarkers(): uPlot.Plugin {
    return {
      hooks: {
        draw: [(u: uPlot) => {
          const ctx = u.ctx;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.lineWidth = Math.max(1, devicePixelRatio);
          this.runs.forEach((run, r) => {
            ctx.strokeStyle = RUN_MARKER[r % RUN_MARKER.length]!;
            ctx.setLineDash(r === 0 ? [] : [4, 3]);
            for (const x of run.switchTimes()) {
              const px = u.valToPos(x, 'x', true);
              if (px < left || px > left + width) continue;
              ctx.beginPath();
              ctx.moveTo(px, top);
              ctx.lineTo(px, top + height);
              ctx.stroke();
            }
          });
          ctx.restore();
        }],
      },
    };
  }

  private redrawChart(c: LiveChart): void {
    const tables = this.runs.flatMap((run) => c.spec.tables(run));
    const data = tables.length === 1 ? tables[0]! : uPlot.join(tables as uPlot.AlignedData[]);
    c.plot.setData(data as uPlot.AlignedData);
  }

  private fit(): void {
    for (const c of this.charts) {
      const width = Math.max(200, Math.floor(c.box.clientWidth - 4));
      if (Math.abs(c.plot.width - width) > 2) c.plot.setSize({ width, height: 220 });
    }
  }
}
