/**
 * Memory as the lab sees it: each worker's V8 heap and ArrayBuffer backing stores, the page's,
 * the OS's resident memory of the browser, and what none of them accounts for. The series come
 * from `npm run lab` (a Node-side probe over the DevTools Protocol) through a route of the
 * app's own server (/__lab/memory, Server-Sent Events), so the CSP stays 'self' only. Opened
 * any other way the route 404s and the panel says which series need the lab.
 */
import uPlot from 'uplot';
import type { LabAccount, LabGc, LabInApp, LabSample, LabStatus } from '../../../lab/protocol.ts';
import { fill, h } from '../dom.ts';
import { formatBytes, formatMs } from '../format.ts';
import type { RunTelemetry } from '../telemetry.ts';

/** 10 min at 10 Hz; the oldest points are dropped past it. */
const KEEP = 6000;
const ROLES = ['decode', 'scale', 'encode'] as const;

interface Series {
  key: string; label: string; covers: string; color: string; dash?: number[]; width?: number; show?: boolean;
  /** Only samples that read the renderer's smaps carry it (lab/probe.ts SPLIT_EVERY): the line joins them. */
  sparse?: boolean;
  value(s: LabSample): number | null;
}

const sumRole = (s: LabSample, role: string, pick: 'used' | 'backing'): number | null => {
  const ws = s.workers.filter((w) => w.role === role);
  return ws.length === 0 ? null : ws.reduce((a, w) => a + w[pick], 0);
};
const otherWorkers = (s: LabSample, pick: 'used' | 'backing'): number | null => {
  const ws = s.workers.filter((w) => !(ROLES as readonly string[]).includes(w.role));
  return ws.length === 0 ? null : ws.reduce((a, w) => a + w[pick], 0);
};

const ROLE_COLORS: Record<string, string> = { decode: '#7aa2f7', scale: '#2ac3de', encode: '#ff9e64', other: '#c0caf5' };

function series(): Series[] {
  // Samples without a split of their own carry no account (unaccounted null): the account's kinds are drawn from the others only.
  const accounted = (s: LabSample) => s.account.unaccounted !== null;
  return [
    { key: 'renderer', label: 'OS: renderer', covers: "spans: the resident memory (PSS; RSS where the OS gives no PSS) of the renderer process that runs the page and its workers, from /proc. Misses: the browser's other processes (a hidden series)", color: '#f7768e', width: 2, value: (s) => s.account.renderer },
    { key: 'unaccounted', label: 'unaccounted', covers: 'spans: renderer − every kind below, as it is, no fitted constant; drawn only for samples that read the renderer\'s smaps with their heaps (up to 2 per s; fewer when the renderer\'s memory map is busy). What it holds: V8 and Oilpan heap pages committed but not counted as used, V8\'s own non-heap memory, thread stacks', color: '#db4b4b', dash: [4, 3], width: 2, sparse: true, value: (s) => s.account.unaccounted },
    { key: 'pool', label: 'pool', covers: "spans: the frame arena's shared WASM memory — resident pages (PSS of its mapping) on Linux, else the app's committed size. Misses nothing of the arena; counted once (no isolate's buffers include it)", color: '#9ece6a', sparse: true, value: (s) => (accounted(s) ? s.account.pool : null) },
    { key: 'wasm', label: 'codec WASM', covers: "spans: every other WebAssembly memory of the renderer (decoder, both encoders, scaler) — resident pages on Linux, else the codecs' committed sizes from the app (which miss the idle encoder lane)", color: '#e0af68', sparse: true, value: (s) => (accounted(s) ? s.account.wasm : null) },
    ...ROLES.flatMap((role): Series[] => [
      { key: `${role}Heap`, label: `${role} heap`, covers: `spans: the ${role} worker's V8 heap, live objects (Runtime.getHeapUsage usedSize; every instance summed). Misses: its committed-but-free pages (in the table), buffers, WASM memory`, color: ROLE_COLORS[role]!, value: (s) => sumRole(s, role, 'used') },
      { key: `${role}Backing`, label: `${role} buffers`, covers: `spans: the ${role} worker's ArrayBuffer backing stores (backingStorageSize). Misses: SharedArrayBuffers and WASM memory (not in it, measured)`, color: ROLE_COLORS[role]!, dash: [2, 2], value: (s) => sumRole(s, role, 'backing') },
    ]),
    { key: 'otherHeap', label: 'other workers', covers: "spans: heaps and buffers of the page's other dedicated workers (e.g. the codec compiler)", color: ROLE_COLORS.other!, show: false, value: (s) => { const a = otherWorkers(s, 'used'); const b = otherWorkers(s, 'backing'); return a === null ? null : a + (b ?? 0); } },
    { key: 'pageHeap', label: 'page heap', covers: "spans: the page's own V8 heap, live objects (usedSize)", color: '#bb9af7', value: (s) => s.page?.used ?? null },
    { key: 'pageBacking', label: 'page buffers', covers: "spans: the page's ArrayBuffer backing stores (segments' bytes until they become Blobs, previews…)", color: '#bb9af7', dash: [2, 2], value: (s) => s.page?.backing ?? null },
    { key: 'native', label: 'native heaps', covers: "spans: PartitionAlloc's resident pages in the renderer (Chromium's malloc, Blink's partitions, freed pages the allocator keeps) minus the ArrayBuffers counted as buffers, from smaps. Misses: which component allocated them (memory-infra names them, but not while a worker runs)", color: '#ff007c', dash: [3, 3], sparse: true, value: (s) => (accounted(s) ? s.account.nativeHeaps : null) },
    { key: 'blink', label: 'Oilpan', covers: "spans: Blink's garbage-collected C++ heaps of the page and every worker, live bytes (embedderHeapUsedSize)", color: '#73daca', dash: [6, 2], show: false, value: (s) => s.account.blinkHeaps },
    { key: 'browserCode', label: 'OS: code, shared', covers: "spans: the renderer's file-backed pages (Chromium's binary, libraries, fonts), shared memory (IPC, compositor) and JIT code, from smaps. PSS splits shared pages, so it moves when other renderers start or end", color: '#565f89', dash: [1, 3], show: false, sparse: true, value: (s) => (s.account.files === null ? null : s.account.files + (s.account.sharedMemory ?? 0) + (s.account.jitCode ?? 0)) },
    { key: 'others', label: 'OS: other processes', covers: "spans: the browser's other processes together (browser, GPU, network, utilities, spare renderers), PSS. Misses: what inside them", color: '#a9b1d6', dash: [8, 4], show: false, value: (s) => s.account.otherProcesses },
  ];
}

/** The latest in-app figures of the run in progress (null between runs). */
function inAppOf(tel: RunTelemetry | null): LabInApp | null {
  if (!tel) return null;
  const last = (name: 'poolCommitted' | 'wasmDecode' | 'wasmScale' | 'wasmEncode'): number | null => {
    const col = tel.samples.column(name);
    for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null && col[i] !== undefined) return col[i]!;
    return null;
  };
  return {
    poolCommitted: last('poolCommitted'), wasmDecode: last('wasmDecode'), wasmScale: last('wasmScale'), wasmEncode: last('wasmEncode'),
    framesDone: tel.framesDone(), phase: tel.run.phase,
  };
}

export class LabMemoryPanel {
  readonly element: HTMLElement;
  private readonly body = h('div', { class: 'lab-body' });
  private readonly table = h('table', { class: 'lab-table', 'data-testid': 'lab-memory-table' });
  private readonly specs = series();
  private readonly cols: (number | null)[][] = [[], ...this.specs.map(() => [])];
  private plot: uPlot | null = null;
  private frameRequested = false;
  private last: LabSample | null = null;
  /** The last account with an `unaccounted` (only some samples carry one). */
  private lastAccount: LabAccount | null = null;
  private status: LabStatus | null = null;
  /** 'checking' → 'live' (feed connected) | 'absent' (no lab) | 'lost' (feed ended). */
  state: 'checking' | 'live' | 'absent' | 'lost' = 'checking';
  samples = 0;

  constructor(private readonly currentRun: () => RunTelemetry | null) {
    this.element = h('section', { class: 'panel wide lab-memory', 'data-testid': 'lab-memory', 'data-state': 'checking' },
      h('h2', {}, 'Memory, as the browser and the OS see it'), this.body);
    fill(this.body, h('p', { class: 'muted' }, 'Looking for the lab…'));
    void this.connect();
  }

  private setState(state: LabMemoryPanel['state']): void {
    this.state = state;
    this.element.dataset.state = state;
  }

  private async connect(): Promise<void> {
    const status = await fetch('/__lab/memory/status', { cache: 'no-store' })
      .then((r) => (r.ok && (r.headers.get('content-type') ?? '').includes('json') ? r.json() as Promise<LabStatus> : null))
      .catch(() => null);
    if (!status?.lab) return this.showAbsent();
    // The probe reads the app's own figures (pool, codec WASM) through this, once per sample.
    (globalThis as unknown as { __framepoolLabInApp: () => LabInApp | null }).__framepoolLabInApp = () => inAppOf(this.currentRun());
    this.setState('live');
    this.status = status;
    this.build(status);
    const source = new EventSource('/__lab/memory');
    source.addEventListener('backlog', (ev) => { for (const s of JSON.parse((ev as MessageEvent<string>).data) as LabSample[]) this.add(s); this.invalidate(); });
    source.addEventListener('sample', (ev) => { this.add(JSON.parse((ev as MessageEvent<string>).data) as LabSample); this.invalidate(); });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) this.setState('lost');
    });
  }

  private showAbsent(): void {
    this.setState('absent');
    fill(this.body,
      h('p', { 'data-testid': 'lab-memory-missing' },
        'These series need the lab: each worker\'s JS heap (used / total) and ArrayBuffer backing stores, the page\'s own heap, ',
        'the OS\'s resident memory of the browser (RSS, PSS) and the bytes none of them accounts for, each worker\'s garbage collections, and what watching costs. ',
        'A page cannot read its workers\' heaps, so a launcher that owns the browser reads them over the DevTools Protocol. ',
        'Start the app with ', h('code', {}, 'npm run lab'), ' (it opens this page in a Chromium it launches, and charts them here at 10 Hz).'),
      h('p', { class: 'muted' }, 'The charts above (pool, codec WASM, main JS heap) work without it.'));
  }

  private build(status: LabStatus): void {
    const box = h('figure', { class: 'chart', 'data-chart': 'lab-memory' });
    const notes = h('details', { class: 'notes' }, h('summary', {}, 'What these series count'),
      h('ul', {},
        h('li', {}, status.backingNote),
        h('li', {}, `Sampled every ${status.intervalMs} ms by the lab (Runtime.getHeapUsage on each worker's own DevTools session; /proc for the OS). ` +
          "Committed WASM memory is not resident memory: on Linux the pool and WASM series are their mappings' resident pages, so they can sit far below the app's own charts."),
        h('li', {}, status.gc.note),
        status.osLimits ? h('li', {}, status.osLimits) : null));
    fill(this.body, box, this.table, notes);
    this.plot = new uPlot({
      width: 600,
      height: 260,
      series: [
        { label: 'time', value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleTimeString()) },
        ...this.specs.map((s): uPlot.Series => ({
          label: s.label, stroke: s.color, width: s.width ?? 1.25, dash: s.dash, show: s.show ?? true, spanGaps: s.sparse ?? false, scale: 'bytes',
          points: { show: false }, value: (_u, v) => (v === null ? '–' : formatBytes(v)),
        })),
      ],
      axes: [
        { stroke: axisColor() },
        { scale: 'bytes', size: 84, stroke: axisColor(), values: (_u, ticks) => ticks.map((v) => (v === null ? '' : formatBytes(v))), grid: { stroke: 'rgba(128,128,128,0.18)' } },
      ],
      scales: { x: { time: true }, bytes: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max) * 1.05] } },
      legend: { live: false },
      cursor: { points: { show: false } },
    }, this.cols as unknown as uPlot.AlignedData, box);
    const items = box.querySelectorAll<HTMLElement>('.u-legend .u-series');
    this.specs.forEach((s, i) => { const item = items[i + 1]; if (item) item.title = `${s.label}: ${s.covers}`; });
    new ResizeObserver(() => {
      const width = Math.max(300, Math.floor(box.clientWidth - 4));
      if (this.plot && Math.abs(this.plot.width - width) > 2) this.plot.setSize({ width, height: 260 });
    }).observe(box);
  }

  private add(s: LabSample): void {
    this.samples++;
    this.last = s;
    this.cols[0]!.push(s.t / 1000);
    this.specs.forEach((spec, i) => this.cols[i + 1]!.push(spec.value(s)));
    if (this.cols[0]!.length > KEEP) for (const c of this.cols) c.splice(0, c.length - KEEP);
  }

  /** One redraw per animation frame however many samples arrived. */
  private invalidate(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.plot?.setData(this.cols as unknown as uPlot.AlignedData);
      this.renderTable();
    });
  }

  private renderTable(): void {
    const s = this.last;
    if (!s) return;
    const bytes = (v: number | null | undefined) => (v === null || v === undefined ? '–' : formatBytes(v));
    const gcText = (g: LabGc | undefined) => (g ? `${g.minor} minor, ${g.major} major · ${formatMs(g.pauseMs)} paused` : '–');
    const row = (who: string, heap: LabSample['page'], gc: LabGc | undefined) =>
      h('tr', {}, h('th', {}, who), h('td', {}, bytes(heap?.used)), h('td', {}, bytes(heap?.total)), h('td', {}, bytes(heap?.backing)),
        h('td', {}, bytes(heap?.blink)), h('td', {}, heap ? formatMs(heap.ms) : 'no answer'), h('td', { 'data-cell': 'gc' }, gcText(gc)));
    const a = s.account;
    const c = s.cost;
    const answering = this.status?.answering;
    const th = (text: string, title: string) => h('th', { title }, text);
    if (a.unaccounted !== null) this.lastAccount = a;
    const acc = this.lastAccount ?? a;
    const osSplit = acc.files === null ? '' : `, native heaps ${bytes(acc.nativeHeaps)}, binary and libraries ${bytes(acc.files)}, shared memory ${bytes(acc.sharedMemory)}, JIT code ${bytes(acc.jitCode)}`;
    const share = acc.unaccounted !== null && acc.renderer ? ` (${((acc.unaccounted / acc.renderer) * 100).toFixed(0)}% of the renderer's ${formatBytes(acc.renderer)}, read ${Math.max(0, (Date.now() - (acc.splitAt ?? Date.now())) / 1000).toFixed(1)} s ago)` : '';
    fill(this.table,
      h('thead', {}, h('tr', {}, h('th', {}, ''),
        th('heap used', 'V8 heap, live objects (usedSize): drops at each collection'),
        th('heap total', 'V8 heap pages committed (totalSize)'),
        th('buffers', 'ArrayBuffer backing stores (backingStorageSize): not SharedArrayBuffers, not WASM memory'),
        th('Oilpan', "Blink's C++ heap, live (embedderHeapUsedSize)"),
        th('answered in', 'round trip of this reading: the worker answers when its thread next gets the CPU'),
        th('GC since seen', 'collections on that thread since the lab first saw it, from V8 trace events in 1 s windows: lag up to 2 s, miss the flush gaps'))),
      h('tbody', {},
        row('page', s.page, s.pageGc),
        ...[...s.workers].sort((x, y) => x.role.localeCompare(y.role)).map((w) => row(`${w.role} worker`, w, w.gc)),
        h('tr', { 'data-row': 'os' }, h('th', {}, 'OS'), h('td', { colspan: 6 },
          s.os ? `renderer ${bytes(a.renderer)} · all ${s.os.processes.length} processes PSS ${bytes(s.os.pss)}, RSS ${formatBytes(s.os.rss)} (PSS re-read once a second, RSS every sample)` : 'not available here')),
        h('tr', { 'data-row': 'account' }, h('th', {}, 'accounted'), h('td', { colspan: 6, 'data-testid': 'lab-unaccounted' },
          `measured ${formatBytes(acc.measured)} (heaps ${formatBytes(acc.pageHeap + acc.workerHeaps)}, buffers ${formatBytes(acc.backingStores)}, Oilpan ${formatBytes(acc.blinkHeaps)}, ` +
          `pool ${formatBytes(acc.pool)} and WASM ${formatBytes(acc.wasm)} ${acc.wasmBasis}${osSplit}) · unaccounted ${bytes(acc.unaccounted)}${share}`)),
        h('tr', { 'data-row': 'cost', 'data-testid': 'lab-cost' }, h('th', { title: 'CPU the lab spends watching, per second of wall time' }, 'what this view costs'), h('td', { colspan: 6 },
          c ? `${c.samplesPerS.toFixed(1)} samples/s, a worker answers in ${c.answerMsP50 === null ? '–' : formatMs(c.answerMsP50)} (median) · the lab's Node process ${c.probeCpuMsPerS.toFixed(0)} ms CPU/s` +
            ` · the browser ${c.browserCpuMsPerS === null ? '–' : `${c.browserCpuMsPerS.toFixed(0)} ms CPU/s in all (the pipeline's work too)`}` : 'measuring…',
          answering ? ` · answering the probe cost the idle browser ${Math.max(0, answering.probingCpuMsPerS - answering.pausedCpuMsPerS).toFixed(0)} ms CPU/s (${answering.pausedCpuMsPerS.toFixed(0)} paused → ${answering.probingCpuMsPerS.toFixed(0)} probing, ${answering.seconds} s each at the lab's start; noisy on a loaded machine)` : '')),
      ));
  }

  /** Facts for end-to-end checks. */
  debug(): { state: string; samples: number } {
    return { state: this.state, samples: this.samples };
  }
}

function axisColor(): string {
  return matchMedia('(prefers-color-scheme: dark)').matches ? '#b8bcc6' : '#444a55';
}
