/**
 * The page's own health and the memory only the browser can see: main-thread long tasks
 * during runs, and the occasional browser-wide memory measurement.
 */
import { h } from '../dom.ts';
import { formatBytes, formatMs } from '../format.ts';
import type { RunTelemetry } from '../telemetry.ts';
import type { UiRun } from '../engine.ts';

/** A slot held longer than this by one stage is reported in the status bar (the leak detector's deadline). */
const SLOW_SLOT_MS = 2000;
/** measureUserAgentSpecificMemory takes seconds by default: ask rarely, one at a time. */
const BROWSER_MEMORY_INTERVAL_MS = 15_000;

type MeasureMemory = () => Promise<{ bytes: number }>;

export class PageHealth {
  private readonly slowNote = h('span', { class: 'warn', 'data-testid': 'slow-slots' });
  private readonly longTaskNote = h('span', { class: 'muted' });
  readonly element = h('span', { 'data-testid': 'health' }, this.longTaskNote, ' ', this.slowNote);
  readonly memoryNotes = h('details', { class: 'notes' }, h('summary', {}, 'What each memory series covers'), h('ul', {}, ...memoryNoteItems()));
  longTasks = 0;
  longTaskMaxMs = 0;
  browserMemoryNote = '';
  /** performance.now() spans of runs: long tasks count only inside them. */
  private readonly runWindows: { start: number; end: number }[] = [];
  private measuring = false;
  private lastMeasuredAt = -Infinity;

  /** The slowest slot held past SLOW_SLOT_MS in the current run, for the status bar (once a second). */
  private lastSlowCheck = 0;

  checkSlowSlots(run: UiRun): void {
    const now = performance.now();
    if (now - this.lastSlowCheck < 1000) return;
    this.lastSlowCheck = now;
    const slow = run.slowSlots(SLOW_SLOT_MS);
    if (slow.length === 0) {
      this.slowNote.textContent = '';
      return;
    }
    const worst = slow.reduce((a, b) => (b.heldForMs > a.heldForMs ? b : a));
    this.slowNote.textContent = `${slow.length} slot${slow.length === 1 ? '' : 's'} held over ${formatMs(SLOW_SLOT_MS)}: the longest ${formatMs(worst.heldForMs)} by ${worst.stage} (frame ${worst.frameIndex}, link ${worst.link})`;
  }

  /** Starts a run's window; call the returned function when the run ends. */
  runStarted(): () => void {
    const w = { start: performance.now(), end: Infinity };
    this.runWindows.push(w);
    return () => { w.end = performance.now(); };
  }

  observeLongTasks(): void {
    if (!PerformanceObserver.supportedEntryTypes.includes('longtask')) return;
    new PerformanceObserver((list) => {
      // Entries arrive after the fact: judge each by when it started, not by the state now.
      for (const entry of list.getEntries()) {
        if (!this.runWindows.some((w) => entry.startTime >= w.start && entry.startTime <= w.end)) continue;
        this.longTasks++;
        this.longTaskMaxMs = Math.max(this.longTaskMaxMs, entry.duration);
      }
      // Long tasks outside a run also land here: with none inside, there is no longest to name.
      const counted = this.longTasks === 0 ? 'none' : `${this.longTasks} (longest ${formatMs(this.longTaskMaxMs)})`;
      this.longTaskNote.textContent = `main-thread tasks over 50 ms during runs: ${counted}`;
    }).observe({ type: 'longtask', buffered: false });
  }

  /** Asks for the browser-wide figure now and then; it lands in `tel` at its next sample. */
  maybeMeasureBrowserMemory(tel: RunTelemetry): void {
    const measure = (performance as Performance & { measureUserAgentSpecificMemory?: MeasureMemory }).measureUserAgentSpecificMemory;
    if (!measure || !crossOriginIsolated || this.measuring) return;
    const now = performance.now();
    if (now - this.lastMeasuredAt < BROWSER_MEMORY_INTERVAL_MS) return;
    this.measuring = true;
    this.lastMeasuredAt = now;
    measure.call(performance).then((result) => {
      const took = performance.now() - now;
      tel.noteBrowserWide(result.bytes);
      this.browserMemoryNote = `browser-wide ${formatBytes(result.bytes)}, measurement took ${formatMs(took)}`;
      this.memoryNotes.querySelector('[data-note="browserWide"]')?.setAttribute('data-last', this.browserMemoryNote);
    }, () => { /* not available here: the series stays empty */ }).finally(() => {
      this.measuring = false;
      this.lastMeasuredAt = performance.now();
    });
  }
}

function memoryNoteItems(): HTMLElement[] {
  return [
    ...([
      ['pool committed / reserved / in use', 'The frame arena: shared WASM memory the pool took (committed), carved into slots (reserved), and holding frames now (in use). Invisible to performance.memory.'],
      ['decode / encode WASM', "Each codec worker's ffmpeg linear memory (memory.buffer.byteLength), reported by the worker. Misses the workers' JS heaps. With the WebCodecs backend there is none: the browser's decoder and encoder keep their frames in native memory (the renderer and GPU processes), which no series here shows: npm run lab shows it as OS memory."],
      ['main JS heap', 'performance.memory.usedJSHeapSize of this page: counts ordinary ArrayBuffers; misses SharedArrayBuffers, WASM memory and all workers; cached ~50 ms.'],
      ['browser-wide', 'performance.measureUserAgentSpecificMemory(): workers and ArrayBuffers, each SharedArrayBuffer once per context holding it, shared WASM at its committed size; ignores non-shared WASM memory. Takes seconds by default, so it is asked at most every 15 s, one at a time: points, not a line.'],
      ['allocated /s', 'Bytes of frame buffers allocated per second by all stages, counted where every allocation goes through. In unpooled mode this is garbage the GC must reclaim later.'],
    ] as const).map(([k, v]) => h('li', { 'data-note': k === 'browser-wide' ? 'browserWide' : k }, h('strong', {}, k), ': ', v)),
  ];
}
