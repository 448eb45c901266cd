/**
 * The dashboard: input, controls, status, live charts, preview and output segments; it runs
 * one pipeline at a time for itself (Start) and for the Compare panel. The comparison table
 * lives in panels/results-panel.ts, the Compare flow in panels/compare-panel.ts. Plain DOM.
 */
import { LADDER_RUNGS, distinctRungs, type LadderRung } from '../pipeline/ladder.ts';
import type { MediaInfo } from '../codec/probe.ts';
import { fill, h } from './dom.ts';
import { behindRealtimeText, formatMs } from './format.ts';
import type { Engine, RunSettings, SegmentView, UiRun } from './engine.ts';
import { OutputPanel } from './panels/output-panel.ts';
import { PageHealth } from './panels/page-health.ts';
import { expectedFrames, fetchSample, renderFileInfo, SCALER_LABEL, webCodecsEncodersChecked, wireDrop, type BackendReaders } from './panels/input.ts';
import { RunSettingsPanel } from './panels/run-settings.ts';
import { RunTelemetry } from './telemetry.ts';
import { ChartBoard } from './charts.ts';
import { LabMemoryPanel } from './panels/lab-memory-panel.ts';
import { Preview } from './preview.ts';
import { buildReport } from './compare/report.ts';
import { recordedSwitches } from './compare/schedule.ts';
import { ResultsPanel } from './panels/results-panel.ts';
import { ComparePanel } from './panels/compare-panel.ts';
import type { Dashboard, Recording, SessionKind } from './panels/shared.ts';

const SAMPLE_INTERVAL_MS = 200;
const LADDER_LOCKED_TITLE = 'Off during Compare: every run replays the same switch schedule, and a click would make the runs differ';

const RUNG_LABEL: Record<LadderRung, string> = { '240': '240p', '360': '360p', '480': '480p', '720': '720p', '1080': '1080p', native: 'native' };

export class App implements Dashboard {
  private readonly engine: Engine;
  file: File | null = null;
  private info: MediaInfo | null = null;
  private readers: BackendReaders = {};
  private probing = false;
  private current: UiRun | null = null;
  private currentTel: RunTelemetry | null = null;
  private busy = false;
  private session: SessionKind | null = null;
  stopRequested = false;
  completedRuns = 0;
  lastRecording: Recording | null = null;
  private runCounter = 0;
  private selectedRung: LadderRung = '480';
  /** The ladder selection when the current session began. */
  private rungBeforeSession: LadderRung = '480';
  /** The scaler's output size at the last sample ("1280×720"), or null before a session's first. */
  private lastOutputSize: string | null = null;
  /** How the last run ended (for end-to-end checks). */
  private lastRun: Record<string, unknown> | null = null;

  private readonly charts = new ChartBoard();
  private readonly preview = new Preview();
  private readonly results = new ResultsPanel({
    showError: (text) => this.showError(text),
    clearError: () => this.clearError(),
    chartsPng: () => this.charts.toPng(),
  });
  private readonly compare = new ComparePanel(this, this.results);
  private readonly output = new OutputPanel();
  private readonly health = new PageHealth();
  private readonly labMemory = new LabMemoryPanel(() => this.currentTel);
  private readonly runSettings = new RunSettingsPanel();
  private readonly el = {
    status: h('p', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'status' }, 'Choose a video to begin.'),
    progress: h('progress', { max: 1, value: 0, 'data-testid': 'progress' }),
    progressText: h('span', { class: 'muted', 'data-testid': 'progress-text' }),
    error: h('div', { class: 'error', role: 'alert', 'data-testid': 'error', hidden: true }),
    notice: h('div', { class: 'notice', role: 'status', 'data-testid': 'notice', hidden: true }),
    fileInput: h('input', { type: 'file', accept: 'video/*,.mp4,.webm,.mkv,.mov', 'data-testid': 'file-input' }),
    sampleButton: h('button', { type: 'button', 'data-testid': 'use-sample' }, 'Use the sample'),
    fileInfo: h('dl', { class: 'file-info', 'data-testid': 'file-info' }),
    ladder: h('div', { class: 'ladder', role: 'group', 'aria-label': 'output resolution' }),
    outputSize: h('span', { class: 'muted', 'data-testid': 'output-size' }),
    start: h('button', { type: 'button', class: 'primary', 'data-testid': 'start' }, 'Start'),
    stop: h('button', { type: 'button', 'data-testid': 'stop', disabled: true }, 'Stop'),
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

    const isolation = crossOriginIsolated ? '' : 'This page is not cross-origin isolated, so shared memory is unavailable: serve it with COOP/COEP headers (npm run dev / npm run preview do).';
    root.replaceChildren(
      h('header', { class: 'top' },
        h('h1', {}, 'FramePool Lab'),
        h('p', { class: 'tagline' }, 'Frames through ffmpeg.wasm workers and a SharedArrayBuffer pool — watch memory, latency and reuse while the resolution switches.'),
      ),
      h('div', { class: 'statusbar' }, e.status, h('div', { class: 'progress-wrap' }, e.progress, e.progressText), this.health.element),
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
          this.runSettings.element,
          h('p', { class: 'muted', 'data-testid': 'scaler' }, `Scaling: ${SCALER_LABEL}.`),
          h('div', { class: 'ladder-row' }, h('span', {}, 'Resolution'), e.ladder, e.outputSize),
          h('div', { class: 'row buttons' }, e.start, e.stop),
          this.compare.element,
        ),
        this.preview.element,
        h('section', { class: 'panel wide charts-panel' }, h('h2', {}, 'Live'), this.charts.element, this.health.memoryNotes),
        this.labMemory.element,
        this.results.element,
        this.output.element,
      ),
      e.dropOverlay,
    );
    if (isolation) this.showError(isolation);
    this.wire();
    this.syncControls();
    this.health.observeLongTasks();
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
    this.runSettings.onChange(() => this.syncControls());
    void webCodecsEncodersChecked.then(() => this.syncControls());

    wireDrop(e.dropOverlay, (file) => {
      if (this.busy) this.showError('A run is in progress: stop it before choosing another file.');
      else void this.selectFile(file);
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

  // ---- input ----

  private async useSample(): Promise<void> {
    if (this.busy) return;
    this.clearError();
    this.setStatus('Fetching the sample…');
    try {
      await this.selectFile(await fetchSample());
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
    this.readers = {};
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
      void this.describeBackends(file);
      this.setStatus(`Ready: ${file.name}. Press Start, or Compare to run both modes.`);
      if (!this.rungAvailable(this.selectedRung)) this.selectedRung = this.availableRungs()[0] ?? '480';
    }
    this.renderFileInfo();
    this.syncControls();
  }

  private renderFileInfo(): void {
    renderFileInfo(this.el.fileInfo, this.file, this.info, this.readers);
  }

  /** Asks each backend other than ffmpeg.wasm (which described the file) whether it can read it. */
  private async describeBackends(file: File): Promise<void> {
    this.readers = { ffmpeg: null };
    const why = await this.engine.readableBy(file, 'webcodecs');
    if (this.file !== file) return;
    this.readers = { ffmpeg: null, webcodecs: why };
    this.renderFileInfo();
  }

  // ---- controls ----

  settings(): RunSettings {
    return this.runSettings.read(this.selectedRung);
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
    if (this.session === 'compare' || !this.rungAvailable(rung)) return;
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
    this.runSettings.sync(running);
    for (const c of [e.fileInput, e.sampleButton]) c.disabled = running;
    e.start.disabled = running || !this.info;
    this.compare.setDisabled(running || !this.info);
    e.stop.disabled = !this.current || this.probing || this.stopRequested;
    const locked = this.session === 'compare';
    for (const [rung, b] of this.ladderButtons) {
      b.disabled = locked || !this.rungAvailable(rung) || (running && !this.current);
      b.setAttribute('aria-pressed', String(rung === this.selectedRung));
      const size = this.sizeOf(rung);
      b.title = locked ? LADDER_LOCKED_TITLE : `${size ? `${size} · ` : ''}key ${LADDER_RUNGS.indexOf(rung) + 1}`;
    }
  }

  private sizeOf(rung: LadderRung): string {
    const entry = this.current?.ladder.find((l) => l.rung === rung);
    if (entry) return `${entry.size.width}×${entry.size.height}`;
    return '';
  }

  // ---- runs ----

  private async startSingle(): Promise<void> {
    const file = this.file;
    if (!file || this.busy) return;
    this.beginSession('single');
    const settings = this.settings();
    const label = `run ${++this.runCounter}`;
    const tel = await this.execute(settings, label, [], `${label} (${settings.mode})`);
    if (tel) {
      if (settings.schedule.kind === 'manual') {
        // What Compare replays when switching is manual: these clicks, by frame index.
        this.lastRecording = { file, runLabel: label, startRung: settings.startRung, switches: recordedSwitches(tel.run.switches(), tel.run.ladder) };
      }
      const report = buildReport({ ...tel.record(), fileName: file.name });
      report.detail = tel.detail();
      report.role = 'single';
      this.results.addSingle(report, file.name);
    }
    this.endSession();
  }

  beginSession(kind: SessionKind): void {
    this.clearError();
    this.busy = true;
    this.session = kind;
    this.rungBeforeSession = this.selectedRung;
    this.lastOutputSize = null;
    this.stopRequested = false;
    this.output.clear();
    this.syncControls();
  }

  endSession(): void {
    // Compare's runs move the output size, but the ladder was locked: the selection goes back to
    // where Compare started, so pressing Compare again replays the same workload (it started the
    // second Compare from the last run's final rung: other sizes, other copies per frame).
    if (this.session === 'compare') this.selectedRung = this.rungBeforeSession;
    this.showEndedOutputSize();
    this.busy = false;
    this.session = null;
    this.current = null;
    this.currentTel = null;
    this.stopRequested = false;
    this.charts.invalidate();
    this.syncControls();
  }

  /** Runs one pipeline to its end, sampling it for the charts; returns its telemetry. */
  async execute(settings: RunSettings, label: string, overlay: RunTelemetry[], status: string): Promise<RunTelemetry | null> {
    const file = this.file;
    if (!file) return null;
    const run = this.engine.createRun(file, settings);
    const tel = new RunTelemetry(run, label);
    this.current = run;
    this.currentTel = tel;
    this.charts.setRuns([...overlay, tel]);
    this.preview.attach(run);
    this.syncControls();
    const total = expectedFrames(this.info);
    run.addEventListener('phase', () => this.onPhase(run, status));
    run.addEventListener('info', () => this.syncControls());
    run.addEventListener('segment', (ev) => this.output.add((ev as CustomEvent<SegmentView>).detail, label));
    const runEnded = this.health.runStarted();
    const timer = setInterval(() => {
      tel.sample();
      this.charts.invalidate();
      this.updateProgress(tel, total);
      this.showOutputSize(run, tel);
      this.health.maybeMeasureBrowserMemory(tel);
      this.health.checkSlowSlots(run);
    }, SAMPLE_INTERVAL_MS);
    this.onPhase(run, status);
    try {
      await run.run();
    } finally {
      clearInterval(timer);
      runEnded();
    }
    tel.sample();
    this.updateProgress(tel, total);
    this.charts.invalidate();
    this.preview.attach(null);
    if (run.failure) this.showError(`The run failed in the ${run.failure.stage} stage: ${run.failure.message}`);
    if (run.notice) this.showNotice(run.notice);
    this.lastRun = { phase: run.phase, heldSlotsAtEnd: run.heldSlotsAtEnd, heldAfterReclaim: run.heldAfterReclaim, notice: run.notice, failure: run.failure };
    if (run.phase === 'done') this.completedRuns++;
    run.release(); // sampled for the last time: its frame memory can go
    return tel;
  }

  private onPhase(run: UiRun, label: string): void {
    const frames = this.currentTel?.framesDone() ?? 0;
    switch (run.phase) {
      case 'idle':
      case 'starting': this.setStatus(`${label}: loading the codec and opening the file…`); break;
      case 'running': this.setStatus(`${label}: decoding → scaling → encoding (${run.settings.codec}, ${run.settings.pacing} pacing)…`); break;
      case 'stopping': this.setStatus(`${label}: stopping…`); break;
      case 'done': this.setStatus(`${label} ${this.stopRequested ? 'stopped' : 'done'}: ${frames} frames, ${run.segments.length} segment${run.segments.length === 1 ? '' : 's'} in ${formatMs(run.endedAt - run.startedAt)}.${run.notice ? ' See the note below.' : ''}`); break;
      case 'failed': this.setStatus(`${label} failed: ${run.failure?.message ?? 'unknown error'}`); break;
    }
    this.syncControls();
  }

  /** The scaler's current output size, and the ladder button that matches it. */
  private showOutputSize(run: UiRun, tel: RunTelemetry): void {
    const size = tel.outputSize ?? run.ladder.find((l) => l.rung === run.settings.startRung)?.size;
    if (!size) return;
    this.lastOutputSize = `${size.width}×${size.height}`;
    this.el.outputSize.textContent = `output now ${this.lastOutputSize}`;
    const rung = run.ladder.find((l) => l.size.width === size.width && l.size.height === size.height)?.rung;
    if (rung && rung !== this.selectedRung) {
      this.selectedRung = rung;
      this.syncControls();
    }
  }

  /** With no run going, "output now" would be untrue: the label names the last run's final size,
   * and after Compare (whose runs moved the size while the buttons were locked) the rung the next
   * run starts at, which the pressed button shows. */
  private showEndedOutputSize(): void {
    if (!this.lastOutputSize) return;
    const ended = `last run ended at ${this.lastOutputSize}`;
    this.el.outputSize.textContent = this.session === 'compare'
      ? `${ended}; the next starts at ${RUNG_LABEL[this.selectedRung]}`
      : ended;
  }

  private updateProgress(tel: RunTelemetry, total: number | null): void {
    const done = tel.framesDone();
    const behind = behindRealtimeText(tel.behind);
    const p = this.el.progress;
    // A file may understate its length (repeated timestamps): past it, show the count alone.
    if (total && total > 0 && done <= total) {
      p.max = total;
      p.value = Math.min(done, total);
      this.el.progressText.textContent = `${done} / ${total} frames${behind}`;
    } else {
      p.removeAttribute('value');
      this.el.progressText.textContent = `${done} frames${behind}`;
    }
    this.el.progressText.title = behind
      ? "The newest frame reached the encoder this long after its due time (frame 0's release + its index × the frame interval): the pipeline runs slower than the source here, usually the encoder at this size. Frames queue (Behind: block), so latency grows; a smaller size, or Behind: drop, keeps up."
      : '';
  }

  private stop(): void {
    if (!this.current) return;
    this.stopRequested = true;
    this.current.stop();
    this.syncControls();
  }

  // ---- status ----

  setStatus(text: string): void {
    this.el.status.textContent = text;
  }

  showError(text: string): void {
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
      longTasks: this.health.longTasks,
      longTaskMaxMs: this.health.longTaskMaxMs,
      previewDrawn: this.preview.drawn,
      reports: this.results.pageRuns(),
      compare: this.compare.debug(),
      phase: this.current?.phase ?? 'idle',
      browserMemory: this.health.browserMemoryNote,
      liveStageWorkers: this.engine.liveStageWorkers(),
      lastRun: this.lastRun,
    };
  }
}

