/**
 * Memory as the lab sees it: each worker's V8 heap and ArrayBuffer backing stores, the page's,
 * the OS's resident memory of the browser, and what none of them accounts for. The series come
 * from `npm run lab` (a Node-side probe over the DevTools Protocol) through a route of the
 * app's own server (/__lab/memory, Server-Sent Events), so the CSP stays 'self' only. Opened
 * any other way the route 404s and the panel says which series need the lab.
 */
import uPlot from 'uplot';
import type { LabInApp, LabSample, LabStatus } from '../../../lab/protocol.ts';
import { fill, h } from '../dom.ts';
import { formatBytes, formatMs } from '../format.ts';
import type { RunTelemetry } from '../telemetry.ts';

/** 10 min at 10 Hz; the oldest points are dropped past it. */
const KEEP = 6000;
const ROLES = ['decode', 'scale', 'encode'] as const;

interface Series { key: string; label: string; covers: string; color: string; dash?: number[]; width?: number; show?: boolean; value(s: LabSample): number | null }

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
  return [
    { key: 'renderer', label: 'OS: renderer', covers: "resident memory (PSS; RSS where the OS gives no PSS) of the renderer process that runs the page and its workers, from /proc", color: '#f7768e', width: 2, value: (s) => s.account.renderer },
    { key: 'unaccounted', label: 'unaccounted', covers: 'renderer − (page and worker V8 heaps + backing stores + pool + codec WASM): compiled code, Blink, malloc, segments… shown as it is, no fitted constant', color: '#db4b4b', dash: [4, 3], width: 2, value: (s) => s.account.unaccounted },
    { key: 'pool', label: 'pool', covers: "the frame arena's committed shared WASM memory, from the app (counted once: no isolate's backing stores include it)", color: '#9ece6a', value: (s) => (s.inApp ? s.account.pool : null) },
    { key: 'wasm', label: 'codec WASM', covers: "the codec workers' ffmpeg linear memories, from the app (not in backingStorageSize)", color: '#e0af68', value: (s) => (s.inApp ? s.account.wasm : null) },
    ...ROLES.flatMap((role): Series[] => [
      { key: `${role}Heap`, label: `${role} heap`, covers: `${role} worker's V8 heap, live objects (Runtime.getHeapUsage usedSize; all instances of that worker summed)`, color: ROLE_COLORS[role]!, value: (s) => sumRole(s, role, 'used') },
      { key: `${role}Backing`, label: `${role} buffers`, covers: `${role} worker's ArrayBuffer backing stores (backingStorageSize: ordinary ArrayBuffers only, not SharedArrayBuffers nor WASM memory)`, color: ROLE_COLORS[role]!, dash: [2, 2], value: (s) => sumRole(s, role, 'backing') },
    ]),
    { key: 'otherHeap', label: 'other workers', covers: 'heaps and backing stores of the page\'s other dedicated workers (e.g. the codec compiler)', color: ROLE_COLORS.other!, show: false, value: (s) => { const a = otherWorkers(s, 'used'); const b = otherWorkers(s, 'backing'); return a === null ? null : a + (b ?? 0); } },
    { key: 'pageHeap', label: 'page heap', covers: "the page's own V8 heap, live objects (usedSize)", color: '#bb9af7', value: (s) => s.page?.used ?? null },
    { key: 'pageBacking', label: 'page buffers', covers: "the page's ArrayBuffer backing stores (segments' bytes until they become Blobs, decoded previews…)", color: '#bb9af7', dash: [2, 2], value: (s) => s.page?.backing ?? null },
    { key: 'others', label: 'OS: other processes', covers: "the browser's other processes together (browser, GPU, network, utilities, spare renderers), PSS", color: '#a9b1d6', dash: [8, 4], show: false, value: (s) => s.account.otherProcesses },
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
        'the OS\'s resident memory of the browser (RSS, PSS) and the bytes none of them accounts for. ',
        'A page cannot read its workers\' heaps, so a launcher that owns the browser reads them over the DevTools Protocol. ',
        'Start the app with ', h('code', {}, 'npm run lab'), ' (it opens this page in a Chromium it launches, and charts them here at 10 Hz).'),
      h('p', { class: 'muted' }, 'The charts above (pool, codec WASM, main JS heap) work without it.'));
  }

  private build(status: LabStatus): void {
    const box = h('figure', { class: 'chart', 'data-chart': 'lab-memory' });
    const notes = h('details', { class: 'notes' }, h('summary', {}, 'What these series count'),
      h('ul', {},
        h('li', {}, status.backingNote),
        h('li', {}, `Sampled every ${status.intervalMs} ms by the lab (Runtime.getHeapUsage on each worker's own DevTools session; /proc for the OS).`),
        h('li', {}, status.gc.note),
        status.osLimits ? h('li', {}, status.osLimits) : null));
    fill(this.body, box, this.table, notes);
    this.plot = new uPlot({
      width: 600,
      height: 260,
      series: [
        { label: 'time', value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleTimeString()) },
        ...this.specs.map((s): uPlot.Series => ({
          label: s.label, stroke: s.color, width: s.width ?? 1.25, dash: s.dash, show: s.show ?? true, spanGaps: false, scale: 'bytes',
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
    const row = (who: string, used: number | null, total: number | null, backing: number | null, extra: string) =>
      h('tr', {}, h('th', {}, who), h('td', {}, used === null ? '–' : formatBytes(used)), h('td', {}, total === null ? '–' : formatBytes(total)),
        h('td', {}, backing === null ? '–' : formatBytes(backing)), h('td', {}, extra));
    const a = s.account;
    const share = a.unaccounted !== null && a.renderer ? ` (${((a.unaccounted / a.renderer) * 100).toFixed(0)}% of the renderer)` : '';
    fill(this.table,
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'heap used'), h('th', {}, 'heap total'), h('th', {}, 'buffers'), h('th', {}, 'answered in · GC'))),
      h('tbody', {},
        row('page', s.page?.used ?? null, s.page?.total ?? null, s.page?.backing ?? null, s.page ? formatMs(s.page.ms) : 'no answer'),
        ...[...s.workers].sort((x, y) => x.role.localeCompare(y.role)).map((w) =>
          row(`${w.role} worker`, w.used, w.total, w.backing, `${formatMs(w.ms)}${w.gc ? ` · ${w.gc.count} GCs, ${formatMs(w.gc.pauseMs)}` : ''}`)),
        h('tr', { 'data-row': 'os' }, h('th', {}, 'OS'), h('td', { colspan: 4 },
          s.os ? `renderer ${a.renderer === null ? '–' : formatBytes(a.renderer)} · all ${s.os.processes.length} processes PSS ${s.os.pss === null ? '–' : formatBytes(s.os.pss)}, RSS ${formatBytes(s.os.rss)}` : 'not available here')),
        h('tr', { 'data-row': 'account' }, h('th', {}, 'accounted'), h('td', { colspan: 4, 'data-testid': 'lab-unaccounted' },
          `measured ${formatBytes(a.measured)} (heaps ${formatBytes(a.pageHeap + a.workerHeaps)}, buffers ${formatBytes(a.backingStores)}, pool ${formatBytes(a.pool)}, codec WASM ${formatBytes(a.wasm)}) · unaccounted ${a.unaccounted === null ? '–' : formatBytes(a.unaccounted)}${share}`)),
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
