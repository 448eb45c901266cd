/**
 * The dashboard: input, controls, status, live charts, preview, output segments, and the
 * pooled-vs-unpooled comparison. One page, plain DOM.
 */
import { LADDER_RUNGS, distinctRungs, type LadderRung } from '../pipeline/ladder.ts';
import type { RecordedSwitch, SwitchSchedule } from '../pipeline/switch-schedule.ts';
import type { MediaInfo } from '../codec/probe.ts';
import { UNAVAILABLE_ENCODERS } from '../codec/ffmpeg-args.ts';
import { download, fill, h } from './dom.ts';
import { formatBytes, formatDuration, formatMs, formatNumber } from './format.ts';
import type { AllocationModeChoice, Engine, RunSettings, SegmentView, UiRun } from './engine.ts';
import { RunTelemetry } from './telemetry.ts';
import { ChartBoard } from './charts.ts';
import { Preview } from './preview.ts';
import { zipStored } from './zip.ts';
import { bestOf, buildReport, reportCsv, reportJson, reportRows, type RunReport } from './compare/report.ts';

const SAMPLE_INTERVAL_MS = 200;
/** measureUserAgentSpecificMemory takes seconds by default: ask rarely, one at a time. */
const BROWSER_MEMORY_INTERVAL_MS = 15_000;
const MAX_REPORT_COLUMNS = 4;

const RUNG_LABEL: Record<LadderRung, string> = { '240': '240p', '360': '360p', '480': '480p', '720': '720p', '1080': '1080p', native: 'native' };

interface ListedSegment extends SegmentView { runLabel: string; url: string }

type MeasureMemory = () => Promise<{ bytes: number }>;

export class App {
  private readonly engine: Engine;
  private file: File | null = null;
  private info: MediaInfo | null = null;
  private probing = false;
  private current: UiRun | null = null;
  private currentTel: RunTelemetry | null = null;
  private busy = false;
  private stopRequested = false;
  private runCounter = 0;
  private reports: RunReport[] = [];
  private segments: ListedSegment[] = [];
  private selectedRung: LadderRung = '480';
  private longTasks = 0;
  private longTaskMaxMs = 0;
  /** performance.now() spans of runs: long tasks count only inside them. */
  private readonly runWindows: { start: number; end: number }[] = [];
  private measuringBrowserMemory = false;
  private lastBrowserMemoryAt = -Infinity;
  private browserMemoryNote = '';
  /** How the last run ended (for end-to-end checks). */
  private lastRun: Record<string, unknown> | null = null;

  private readonly charts = new ChartBoard();
  private readonly preview = new Preview();
  private readonly el = {
    status: h('p', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'status' }, 'Choose a video to begin.'),
    progress: h('progress', { max: 1, value: 0, 'data-testid': 'progress' }),
    progressText: h('span', { class: 'muted', 'data-testid': 'progress-text' }),
    error: h('div', { class: 'error', role: 'alert', 'data-testid': 'error', hidden: true }),
    notice: h('div', { class: 'notice', role: 'status', 'data-testid': 'notice', hidden: true }),
    fileInput: h('input', { type: 'file', accept: 'video/*,.mp4,.webm,.mkv,.mov', 'data-testid': 'file-input' }),
    sampleButton: h('button', { type: 'button', 'data-testid': 'use-sample' }, 'Use the sample'),
    fileInfo: h('dl', { class: 'file-info', 'data-testid': 'file-info' }),
    mode: h('select', { 'data-testid': 'mode', 'aria-label': 'allocation mode' },
      h('option', { value: 'pooled' }, 'pooled (recycled slots)'), h('option', { value: 'unpooled' }, 'unpooled (new buffer per frame)')),
    codec: h('select', { 'data-testid': 'codec', 'aria-label': 'codec' },
      ...(['h264', 'vp8', 'vp9'] as const).map((codec) => {
        // The pinned core cannot encode some codecs (VP9: ffmpeg.wasm#679): shown, disabled, with why.
        const unavailable = UNAVAILABLE_ENCODERS[codec];
        return h('option', { value: codec, disabled: unavailable !== undefined, title: unavailable },
          `${CODEC_LABELS[codec]}${unavailable ? ' (unavailable)' : ''}`);
      })),
    pacing: h('select', { 'data-testid': 'pacing', 'aria-label': 'pacing' },
      h('option', { value: 'max' }, 'max speed'), h('option', { value: 'realtime' }, 'realtime (source frame rate)')),
    switching: h('select', { 'data-testid': 'switching', 'aria-label': 'automatic switching' },
      h('option', { value: 'manual' }, 'manual (ladder buttons)'), h('option', { value: 'every' }, 'every N frames'), h('option', { value: 'storm' }, 'storm (seeded random)')),
    everyN: h('input', { type: 'number', min: 1, value: 30, 'data-testid': 'every-n', 'aria-label': 'frames between switches' }),
    seed: h('input', { type: 'number', min: 0, value: 42, 'data-testid': 'seed', 'aria-label': 'storm seed' }),
    ladder: h('div', { class: 'ladder', role: 'group', 'aria-label': 'output resolution' }),
    outputSize: h('span', { class: 'muted', 'data-testid': 'output-size' }),
    start: h('button', { type: 'button', class: 'primary', 'data-testid': 'start' }, 'Start'),
    stop: h('button', { type: 'button', 'data-testid': 'stop', disabled: true }, 'Stop'),
    compare: h('button', { type: 'button', 'data-testid': 'compare' }, 'Compare pooled vs unpooled'),
    segmentList: h('tbody', { 'data-testid': 'segments' }),
    downloadAll: h('button', { type: 'button', 'data-testid': 'download-all', disabled: true }, 'Download all (.zip)'),
    reportTable: h('table', { class: 'report', 'data-testid': 'report' }),
    exportJson: h('button', { type: 'button', disabled: true, 'data-testid': 'export-json' }, 'Report JSON'),
    exportCsv: h('button', { type: 'button', disabled: true, 'data-testid': 'export-csv' }, 'Report CSV'),
    exportPng: h('button', { type: 'button', 'data-testid': 'export-png' }, 'Charts PNG'),
    memoryNotes: h('details', { class: 'notes' }),
    health: h('span', { class: 'muted', 'data-testid': 'health' }),
    dropOverlay: h('div', { class: 'drop-overlay', hidden: true }, 'Drop the video anywhere'),
  };
  private readonly ladderButtons = new Map<LadderRung, HTMLButtonElement>();

  constructor(engine: Engine) {
    this.engine = engine;
  }

  mount(root: HTMLElement): void {
    const e = this.el;
    for (const [i, rung] of LADDER_RUNGS.entries()) {
      const b = h('button', { type: 'button', 'data-rung': rung, 'aria-keyshortcuts': String(i + 1), title: `key ${i + 1}` },
        RUNG_LABEL[rung], h('kbd', {}, String(i + 1)));
      b.addEventListener('click', () => this.chooseRung(rung));
      this.ladderButtons.set(rung, b);
      e.ladder.append(b);
    }
    fill(e.memoryNotes, h('summary', {}, 'What each memory series covers'),
      h('ul', {}, ...memoryNoteItems()));

    const isolation = crossOriginIsolated ? '' : 'This page is not cross-origin isolated, so shared memory is unavailable: serve it with COOP/COEP headers (npm run dev / npm run preview do).';
    root.replaceChildren(
      h('header', { class: 'top' },
        h('h1', {}, 'FramePool Lab'),
        h('p', { class: 'tagline' }, 'Frames through ffmpeg.wasm workers and a SharedArrayBuffer pool — watch memory, latency and reuse while the resolution switches.'),
      ),
      h('div', { class: 'statusbar' }, e.status, h('div', { class: 'progress-wrap' }, e.progress, e.progressText), e.health),
      e.error,
      e.notice,
      h('main', { class: 'layout' },
        h('section', { class: 'panel input' },
          h('h2', {}, '1 · Input'),
          h('p', { class: 'muted' }, 'Drop a video anywhere on the page, pick one, or use the bundled sample.'),
          h('div', { class: 'row' }, h('label', { class: 'file-button' }, 'Choose a video…', e.fileInput), e.sampleButton),
          e.fileInfo,
        ),
        h('section', { class: 'panel controls' },
          h('h2', {}, '2 · Run'),
          h('div', { class: 'grid2' },
            h('label', {}, 'Allocation', e.mode),
            h('label', {}, 'Codec', e.codec),
            h('label', {}, 'Pacing', e.pacing),
            h('label', {}, 'Switching', e.switching),
            h('label', { class: 'every' }, 'Every N frames', e.everyN),
            h('label', { class: 'seed' }, 'Storm seed', e.seed),
          ),
          h('div', { class: 'ladder-row' }, h('span', {}, 'Resolution'), e.ladder, e.outputSize),
          h('div', { class: 'row buttons' }, e.start, e.stop, e.compare),
        ),
        this.preview.element,
        h('section', { class: 'panel wide charts-panel' }, h('h2', {}, 'Live'), this.charts.element, e.memoryNotes),
        h('section', { class: 'panel results' },
          h('h2', {}, 'Comparison'),
          h('div', { class: 'table-wrap' }, e.reportTable),
          h('div', { class: 'row buttons' }, e.exportJson, e.exportCsv, e.exportPng),
        ),
        h('section', { class: 'panel output' },
          h('h2', {}, 'Output segments'),
          h('div', { class: 'table-wrap' }, h('table', { class: 'segments' },
            h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, '#'), h('th', {}, 'resolution'), h('th', {}, 'frames'), h('th', {}, 'size'), h('th', {}, 're-init'), h('th', {}, ''))),
            e.segmentList)),
          h('div', { class: 'row buttons' }, e.downloadAll),
        ),
      ),
      e.dropOverlay,
    );
    if (isolation) this.showError(isolation);
    this.renderReport();
    this.wire();
    this.syncControls();
    this.observeLongTasks();
  }

  // ---- wiring ----

  private wire(): void {
    const e = this.el;
    e.fileInput.addEventListener('change', () => {
      const file = e.fileInput.files?.[0];
      if (file) void this.selectFile(file);
      e.fileInput.value = '';
    });
    e.sampleButton.addEventListener('click', () => void this.useSample());
    e.start.addEventListener('click', () => void this.startSingle());
    e.stop.addEventListener('click', () => this.stop());
    e.compare.addEventListener('click', () => void this.startCompare());
    e.switching.addEventListener('change', () => this.syncControls());
    e.downloadAll.addEventListener('click', () => this.downloadAll());
    e.exportJson.addEventListener('click', () => download(new Blob([reportJson(this.reportColumns(), { file: this.file?.name ?? null })], { type: 'application/json' }), 'framepool-report.json'));
    e.exportCsv.addEventListener('click', () => download(new Blob([reportCsv(this.reportColumns())], { type: 'text/csv' }), 'framepool-report.csv'));
    e.exportPng.addEventListener('click', () => void this.charts.toPng().then((b) => download(b, 'framepool-charts.png'), (err: unknown) => this.showError(String(err))));

    let depth = 0;
    window.addEventListener('dragenter', (ev) => {
      if (!ev.dataTransfer?.types.includes('Files')) return;
      depth++;
      e.dropOverlay.hidden = false;
    });
    window.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) e.dropOverlay.hidden = true;
    });
    window.addEventListener('dragover', (ev) => ev.preventDefault());
    window.addEventListener('drop', (ev) => {
      ev.preventDefault();
      depth = 0;
      e.dropOverlay.hidden = true;
      const file = ev.dataTransfer?.files[0];
      if (!file) return;
      if (this.busy) {
        this.showError('A run is in progress: stop it before choosing another file.');
        return;
      }
      void this.selectFile(file);
    });
    window.addEventListener('keydown', (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const target = ev.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
      const index = Number(ev.key) - 1;
      const rung = LADDER_RUNGS[index];
      if (rung && Number.isInteger(index)) {
        ev.preventDefault();
        this.chooseRung(rung);
      }
    });
  }

  private observeLongTasks(): void {
    if (!PerformanceObserver.supportedEntryTypes.includes('longtask')) return;
    new PerformanceObserver((list) => {
      // Entries arrive after the fact: judge each by when it started, not by the state now.
      for (const entry of list.getEntries()) {
        if (!this.runWindows.some((w) => entry.startTime >= w.start && entry.startTime <= w.end)) continue;
        this.longTasks++;
        this.longTaskMaxMs = Math.max(this.longTaskMaxMs, entry.duration);
      }
      this.el.health.textContent = `main-thread tasks over 50 ms during runs: ${this.longTasks} (longest ${formatMs(this.longTaskMaxMs)})`;
    }).observe({ type: 'longtask', buffered: false });
  }

  // ---- input ----

  private async useSample(): Promise<void> {
    if (this.busy) return;
    this.clearError();
    this.setStatus('Fetching the sample…');
    try {
      const response = await fetch('/sample.mp4');
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || type.includes('text/html')) throw new Error(`the server has no /sample.mp4 (HTTP ${response.status}); put one in public/ or choose your own video`);
      const blob = await response.blob();
      await this.selectFile(new File([blob], 'sample.mp4', { type: 'video/mp4' }));
    } catch (error) {
      this.setStatus('No sample.');
      this.showError(`Could not load the sample: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Takes a file and reads its description (the decode worker probes it; nothing runs). */
  private async selectFile(file: File): Promise<void> {
    if (this.busy) return;
    this.clearError();
    this.file = file;
    this.info = null;
    this.renderFileInfo();
    this.busy = true;
    this.syncControls();
    this.setStatus(`Reading ${file.name}…`);
    this.probing = true;
    const described = await this.engine.probe(file).then(
      (info) => ({ info, why: '' }),
      (error: unknown) => ({ info: null, why: error instanceof Error ? error.message : String(error) }),
    );
    this.probing = false;
    this.busy = false;
    if (this.file !== file) return;
    if (!described.info) {
      this.file = null;
      this.showError(`${file.name} cannot be used: ${described.why || 'the file could not be read as a video'}`);
      this.setStatus('Choose a video to begin.');
    } else {
      this.info = described.info;
      this.setStatus(`Ready: ${file.name}. Press Start, or Compare to run both modes.`);
      if (!this.rungAvailable(this.selectedRung)) this.selectedRung = this.availableRungs()[0] ?? '480';
    }
    this.renderFileInfo();
    this.syncControls();
  }

  private renderFileInfo(): void {
    const f = this.file;
    if (!f) {
      fill(this.el.fileInfo);
      return;
    }
    const i = this.info;
    const row = (k: string, v: string, key: string) => [h('dt', {}, k), h('dd', { 'data-field': key }, v)];
    const rotation = i && i.rotation ? ` (rotated ${i.rotation}°: ${i.displayWidth}×${i.displayHeight} shown)` : '';
    fill(this.el.fileInfo,
      ...row('file', f.name, 'name'),
      ...row('size', formatBytes(f.size), 'size'),
      ...(i ? [
        ...row('codec', `${i.videoCodec} · ${i.pixelFormat}`, 'codec'),
        ...row('resolution', `${i.width}×${i.height}${rotation}`, 'resolution'),
        ...row('frame rate', `${formatNumber(i.frameRate, 2)} fps`, 'frame-rate'),
        ...row('duration', `${formatDuration(i.durationSec)}${i.frameCount ? ` · ${i.frameCount} frames` : ''}`, 'duration'),
        ...row('audio', i.hasAudio ? 'present — audio is ignored' : 'none', 'audio'),
      ] : [h('dd', { class: 'muted' }, 'reading…')]),
    );
  }

  // ---- controls ----

  private settings(): RunSettings {
    const e = this.el;
    return {
      mode: e.mode.value as AllocationModeChoice,
      codec: e.codec.value as RunSettings['codec'],
      pacing: e.pacing.value as RunSettings['pacing'],
      schedule: this.schedule(),
      startRung: this.selectedRung,
    };
  }

  private schedule(): SwitchSchedule {
    const n = Math.max(1, Math.floor(Number(this.el.everyN.value) || 30));
    switch (this.el.switching.value) {
      case 'every': return { kind: 'every', frames: n };
      case 'storm': return { kind: 'storm', seed: Math.floor(Number(this.el.seed.value) || 0), everyFrames: n, maxSwitches: 100_000 };
      default: return { kind: 'manual' };
    }
  }

  private availableRungs(): LadderRung[] {
    const i = this.info;
    return i ? distinctRungs({ width: i.displayWidth, height: i.displayHeight }) : [...LADDER_RUNGS];
  }

  private rungAvailable(rung: LadderRung): boolean {
    const run = this.current;
    if (run && run.ladder.length > 0) return run.ladder.some((l) => l.rung === rung);
    return this.availableRungs().includes(rung);
  }

  private chooseRung(rung: LadderRung): void {
    if (!this.rungAvailable(rung)) return;
    const run = this.current;
    if (run && (run.phase === 'running' || run.phase === 'starting')) {
      run.requestRung(rung);
    }
    this.selectedRung = rung;
    this.syncControls();
  }

  private syncControls(): void {
    const e = this.el;
    const running = this.busy;
    for (const c of [e.mode, e.codec, e.pacing, e.switching, e.everyN, e.seed, e.fileInput, e.sampleButton]) c.disabled = running;
    e.start.disabled = running || !this.info;
    e.compare.disabled = running || !this.info;
    e.stop.disabled = !this.current || this.probing || this.stopRequested;
    const kind = e.switching.value;
    e.everyN.closest('label')!.hidden = kind === 'manual';
    e.seed.closest('label')!.hidden = kind !== 'storm';
    for (const [rung, b] of this.ladderButtons) {
      b.disabled = !this.rungAvailable(rung) || (running && !this.current);
      b.setAttribute('aria-pressed', String(rung === this.selectedRung));
      const size = this.sizeOf(rung);
      b.title = `${size ? `${size} · ` : ''}key ${LADDER_RUNGS.indexOf(rung) + 1}`;
    }
    e.downloadAll.disabled = this.segments.length === 0;
    const hasReports = this.reports.length > 0;
    e.exportJson.disabled = !hasReports;
    e.exportCsv.disabled = !hasReports;
  }

  private sizeOf(rung: LadderRung): string {
    const entry = this.current?.ladder.find((l) => l.rung === rung);
    if (entry) return `${entry.size.width}×${entry.size.height}`;
    return '';
  }

  // ---- runs ----

  private async startSingle(): Promise<void> {
    if (!this.file || this.busy) return;
    this.beginSession();
    const tel = await this.execute(this.settings(), `run ${++this.runCounter}`, []);
    this.endSession(tel ? [tel] : []);
  }

  /** Pooled then unpooled, same file, same schedule: the second replays the first's switches. */
  private async startCompare(): Promise<void> {
    if (!this.file || this.busy) return;
    this.beginSession();
    const base = this.settings();
    const n = ++this.runCounter;
    const first = await this.execute({ ...base, mode: 'pooled' }, `run ${n}a pooled`, []);
    if (!first || this.stopRequested || first.run.phase === 'failed') {
      this.endSession(first ? [first] : []);
      return;
    }
    const a = first.run;
    const recorded: RecordedSwitch[] = [];
    for (const s of a.switches()) {
      const match = a.ladder.find((l) => l.size.width === s.to.width && l.size.height === s.to.height);
      if (match) recorded.push({ frameIndex: s.frameIndex, rung: match.rung });
    }
    const second = await this.execute({ ...base, mode: 'unpooled', schedule: { kind: 'recorded', switches: recorded } }, `run ${n}b unpooled`, [first]);
    this.endSession(second ? [first, second] : [first]);
  }

  private beginSession(): void {
    this.clearError();
    this.busy = true;
    this.stopRequested = false;
    for (const s of this.segments) URL.revokeObjectURL(s.url);
    this.segments = [];
    fill(this.el.segmentList);
    this.syncControls();
  }

  private endSession(done: RunTelemetry[]): void {
    this.busy = false;
    this.current = null;
    this.currentTel = null;
    this.stopRequested = false;
    for (const tel of done) {
      const report = buildReport({ ...tel.record(), fileName: this.file?.name ?? '' });
      report.detail = tel.detail();
      this.reports.push(report);
    }
    if (this.reports.length > 16) this.reports.splice(0, this.reports.length - 16);
    this.renderReport();
    this.charts.invalidate();
    this.syncControls();
  }

  /** Runs one pipeline to its end, sampling it for the charts; returns its telemetry. */
  private async execute(settings: RunSettings, label: string, overlay: RunTelemetry[]): Promise<RunTelemetry | null> {
    const file = this.file;
    if (!file) return null;
    const run = this.engine.createRun(file, settings);
    const tel = new RunTelemetry(run, label);
    this.current = run;
    this.currentTel = tel;
    this.charts.setRuns([...overlay, tel]);
    this.preview.attach(run);
    this.syncControls();
    const total = this.expectedFrames();
    run.addEventListener('phase', () => this.onPhase(run, label));
    run.addEventListener('info', () => this.syncControls());
    run.addEventListener('segment', (ev) => this.addSegment((ev as CustomEvent<SegmentView>).detail, label));
    const runWindow = { start: performance.now(), end: Infinity };
    this.runWindows.push(runWindow);
    const timer = setInterval(() => {
      tel.sample();
      this.charts.invalidate();
      this.updateProgress(tel, total);
      this.showOutputSize(run, tel);
      this.maybeMeasureBrowserMemory(tel);
    }, SAMPLE_INTERVAL_MS);
    this.onPhase(run, label);
    try {
      await run.run();
    } finally {
      clearInterval(timer);
      runWindow.end = performance.now();
    }
    tel.sample();
    this.updateProgress(tel, total);
    this.charts.invalidate();
    this.preview.attach(null);
    if (run.failure) this.showError(`The run failed in the ${run.failure.stage} stage: ${run.failure.message}`);
    if (run.notice) this.showNotice(run.notice);
    this.lastRun = { phase: run.phase, heldSlotsAtEnd: run.heldSlotsAtEnd, notice: run.notice, failure: run.failure };
    run.release(); // sampled for the last time: its frame memory can go
    return tel;
  }

  private expectedFrames(): number | null {
    const i = this.info;
    if (!i) return null;
    if (i.frameCount) return i.frameCount;
    return i.durationSec > 0 && i.frameRate > 0 ? Math.round(i.durationSec * i.frameRate) : null;
  }

  private onPhase(run: UiRun, label: string): void {
    const frames = this.currentTel?.framesDone() ?? 0;
    switch (run.phase) {
      case 'idle':
      case 'starting': this.setStatus(`${label} (${run.settings.mode}): loading the codec and opening the file…`); break;
      case 'running': this.setStatus(`${label} (${run.settings.mode}): decoding → scaling → encoding (${run.settings.codec}, ${run.settings.pacing} pacing)…`); break;
      case 'stopping': this.setStatus(`${label}: stopping…`); break;
      case 'done': this.setStatus(`${label} done: ${frames} frames, ${run.segments.length} segment${run.segments.length === 1 ? '' : 's'} in ${formatMs(run.endedAt - run.startedAt)}.${run.notice ? ' The file ended early: see the note below.' : ''}`); break;
      case 'failed': this.setStatus(`${label} failed: ${run.failure?.message ?? 'unknown error'}`); break;
    }
    this.syncControls();
  }

  /** The scaler's current output size, and the ladder button that matches it. */
  private showOutputSize(run: UiRun, tel: RunTelemetry): void {
    const size = tel.outputSize ?? run.ladder.find((l) => l.rung === run.settings.startRung)?.size;
    if (!size) return;
    this.el.outputSize.textContent = `output now ${size.width}×${size.height}`;
    const rung = run.ladder.find((l) => l.size.width === size.width && l.size.height === size.height)?.rung;
    if (rung && rung !== this.selectedRung) {
      this.selectedRung = rung;
      this.syncControls();
    }
  }

  private updateProgress(tel: RunTelemetry, total: number | null): void {
    const done = tel.framesDone();
    const p = this.el.progress;
    // A file may understate its length (repeated timestamps): past it, show the count alone.
    if (total && total > 0 && done <= total) {
      p.max = total;
      p.value = Math.min(done, total);
      this.el.progressText.textContent = `${done} / ${total} frames`;
    } else {
      p.removeAttribute('value');
      this.el.progressText.textContent = `${done} frames`;
    }
  }

  private stop(): void {
    if (!this.current) return;
    this.stopRequested = true;
    this.current.stop();
    this.syncControls();
  }

  private maybeMeasureBrowserMemory(tel: RunTelemetry): void {
    const measure = (performance as Performance & { measureUserAgentSpecificMemory?: MeasureMemory }).measureUserAgentSpecificMemory;
    if (!measure || !crossOriginIsolated || this.measuringBrowserMemory) return;
    const now = performance.now();
    if (now - this.lastBrowserMemoryAt < BROWSER_MEMORY_INTERVAL_MS) return;
    this.measuringBrowserMemory = true;
    this.lastBrowserMemoryAt = now;
    measure.call(performance).then((result) => {
      const took = performance.now() - now;
      tel.noteBrowserWide(result.bytes);
      this.browserMemoryNote = `browser-wide ${formatBytes(result.bytes)}, measurement took ${formatMs(took)}`;
      this.el.memoryNotes.querySelector('[data-note="browserWide"]')?.setAttribute('data-last', this.browserMemoryNote);
    }, () => { /* not available here: the series stays empty */ }).finally(() => {
      this.measuringBrowserMemory = false;
      this.lastBrowserMemoryAt = performance.now();
    });
  }

  // ---- output ----

  private addSegment(s: SegmentView, runLabel: string): void {
    const url = URL.createObjectURL(new Blob([s.bytes as Uint8Array<ArrayBuffer>], { type: s.mimeType }));
    const listed: ListedSegment = { ...s, runLabel, url };
    this.segments.push(listed);
    const fileName = `${runLabel.replace(/\s+/g, '-')}-${s.fileName}`;
    this.el.segmentList.append(h('tr', { 'data-width': s.width, 'data-height': s.height },
      h('td', {}, runLabel),
      h('td', {}, String(s.index)),
      h('td', { 'data-field': 'resolution' }, `${s.width}×${s.height}`),
      h('td', {}, String(s.frames)),
      h('td', {}, formatBytes(s.bytes.byteLength)),
      h('td', {}, s.index === 0 ? '—' : formatMs(s.reinitMs)),
      h('td', {}, h('a', { href: url, download: fileName, 'data-testid': 'segment-download', title: `download ${fileName}` }, 'save')),
    ));
    this.syncControls();
  }

  private downloadAll(): void {
    if (this.segments.length === 0) return;
    const zip = zipStored(this.segments.map((s) => ({ name: `${s.runLabel.replace(/\s+/g, '-')}/${s.fileName}`, bytes: s.bytes })));
    download(new Blob([zip], { type: 'application/zip' }), 'framepool-segments.zip');
  }

  // ---- report ----

  private reportColumns(): RunReport[] {
    return this.reports.slice(-MAX_REPORT_COLUMNS);
  }

  private renderReport(): void {
    const reports = this.reportColumns();
    const table = this.el.reportTable;
    if (reports.length === 0) {
      fill(table, h('tbody', {}, h('tr', {}, h('td', { class: 'muted' }, 'Finished runs appear here. Compare runs pooled and unpooled back to back.'))));
      return;
    }
    const head = h('thead', {}, h('tr', {}, h('th', {}, 'metric'), ...reports.map((r) => h('th', { 'data-mode': r.mode }, r.label, h('br'), h('small', {}, `${r.mode} · ${r.codec} · ${r.outcome.startsWith('failed') ? 'failed' : r.outcome}`)))));
    const body = h('tbody');
    for (const row of reportRows(reports)) {
      const best = bestOf(row);
      body.append(h('tr', { 'data-key': row.key },
        h('th', {}, row.label, row.unit ? h('span', { class: 'unit' }, ` (${row.unit})`) : null),
        ...row.values.map((v, i) => h('td', { class: best[i] ? 'best' : undefined, 'data-value': Number.isFinite(v) ? String(v) : '' }, formatCell(row.key, v))),
      ));
    }
    fill(table, head, body);
  }

  // ---- status ----

  private setStatus(text: string): void {
    this.el.status.textContent = text;
  }

  private showError(text: string): void {
    fill(this.el.error, h('strong', {}, 'Problem: '), text);
    this.el.error.hidden = false;
  }

  private showNotice(text: string): void {
    fill(this.el.notice, h('strong', {}, 'Note: '), text);
    this.el.notice.hidden = false;
  }

  private clearError(): void {
    this.el.notice.hidden = true;
    fill(this.el.notice);
    this.el.error.hidden = true;
    fill(this.el.error);
  }

  /** Facts for end-to-end tests. */
  debugState(): Record<string, unknown> {
    return {
      points: this.charts.pointCounts(),
      redraws: this.charts.redraws,
      longTasks: this.longTasks,
      longTaskMaxMs: this.longTaskMaxMs,
      previewDrawn: this.preview.drawn,
      reports: this.reports,
      phase: this.current?.phase ?? 'idle',
      browserMemory: this.browserMemoryNote,
      liveStageWorkers: this.engine.liveStageWorkers(),
      lastRun: this.lastRun,
    };
  }
}

const CODEC_LABELS = { h264: 'H.264 (x264)', vp8: 'VP8 (libvpx)', vp9: 'VP9' } as const;

function formatCell(key: string, v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (key === 'switches' || key === 'segments') return String(v);
  if (key.startsWith('latency') || key.startsWith('switch') || key.startsWith('reinit')) return formatNumber(v, v < 10 ? 2 : 1);
  if (key === 'bytesCopiedPerFrame') return formatBytes(v);
  if (key === 'reuseRatio') return formatNumber(v, 3);
  if (key.startsWith('allocationsPerFrame')) return formatNumber(v, 3);
  if (Number.isInteger(v)) return String(v);
  return formatNumber(v, 1);
}

function memoryNoteItems(): HTMLElement[] {
  return [
    ...([
      ['pool committed / reserved / in use', 'The frame arena: shared WASM memory the pool took (committed), carved into slots (reserved), and holding frames now (in use). Invisible to performance.memory.'],
      ['decode / encode WASM', "Each codec worker's ffmpeg linear memory (memory.buffer.byteLength), reported by the worker. Misses the workers' JS heaps."],
      ['main JS heap', 'performance.memory.usedJSHeapSize of this page: counts ordinary ArrayBuffers; misses SharedArrayBuffers, WASM memory and all workers; cached ~50 ms.'],
      ['browser-wide', 'performance.measureUserAgentSpecificMemory(): workers and ArrayBuffers, each SharedArrayBuffer once per context holding it, shared WASM at its committed size; ignores non-shared WASM memory. Takes seconds by default, so it is asked at most every 15 s, one at a time: points, not a line.'],
      ['allocated /s', 'Bytes of frame buffers allocated per second by all stages, counted where every allocation goes through. In unpooled mode this is garbage the GC must reclaim later.'],
    ] as const).map(([k, v]) => h('li', { 'data-note': k === 'browser-wide' ? 'browserWide' : k }, h('strong', {}, k), ': ', v)),
  ];
}
