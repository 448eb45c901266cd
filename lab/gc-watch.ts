/**
 * Live garbage-collection counts per worker, from V8's own trace events.
 *
 * Measured (lab/experiments/gc-trace.ts, Chromium 156): a worker session has no GC figure
 * (no Performance.getMetrics, nothing in Runtime.getHeapUsage), and a browser trace delivers
 * its events only when it ends. So the watcher traces in back-to-back windows (category
 * disabled-by-default-v8.gc, WINDOW_MS each) and counts, per thread, the collections' top
 * events: V8.GC_SCAVENGER and V8.GC_MINOR_MARK_SWEEPER (minor), V8.GC_MARK_COMPACTOR
 * (major), their durations summed as pause time. Between two windows (while the trace is
 * flushed) nothing is traced: `coverage` says which share of the wall time was.
 *
 * Threads to workers: the trace names threads, not targets, and every worker thread is
 * "DedicatedWorker thread". So the renderer's worker threads (/proc/<pid>/task, ascending
 * thread id) are matched to the page's worker targets by start order (attach order), and only
 * while there are as many of one as of the other; otherwise no worker gets counts that window
 * (`note` says so). The page's own collections are those of the renderer's main thread (tid = pid).
 */
import type { EventEmitter } from 'node:events';
import type { FlatPage } from './cdp.ts';
import { workerThreadIds } from './os-memory.ts';
import type { LabGc } from './protocol.ts';

export const WINDOW_MS = 1000;

interface TraceEvent { name: string; ph: string; pid: number; tid: number; dur?: number }

const MINOR = new Set(['V8.GC_SCAVENGER', 'V8.GC_MINOR_MARK_SWEEPER']);
const MAJOR = 'V8.GC_MARK_COMPACTOR';

/** One window's collections per thread of `pid`. */
export function countCollections(events: readonly TraceEvent[], pid: number): Map<number, Omit<LabGc, 'upTo'>> {
  const perThread = new Map<number, Omit<LabGc, 'upTo'>>();
  for (const e of events) {
    if (e.pid !== pid) continue;
    const minor = MINOR.has(e.name);
    if (e.ph !== 'X' || (!minor && e.name !== MAJOR)) continue;
    const c = perThread.get(e.tid) ?? { minor: 0, major: 0, pauseMs: 0 };
    if (minor) c.minor++;
    else c.major++;
    c.pauseMs += (e.dur ?? 0) / 1000;
    perThread.set(e.tid, c);
  }
  return perThread;
}

export class GcWatcher {
  /** Totals since the watcher started, by worker target id; 'page' for the page. */
  readonly totals = new Map<string, LabGc>();
  /** Traced share of the wall time since start (the gaps are the flushes). */
  coverage = 0;
  /** Why worker counts are missing right now, if they are. */
  note = '';
  private running = true;
  private readonly done: Promise<void>;
  private traced = 0;
  private readonly started = performance.now();
  /** Worker target ids in attach order, kept by the caller's bus. */
  constructor(private readonly page: FlatPage, private readonly rendererPid: () => number | null, private readonly workerIds: () => string[]) {
    this.done = this.loop();
  }

  private async window(): Promise<TraceEvent[]> {
    const emitter = this.page.client as unknown as EventEmitter;
    const events: TraceEvent[] = [];
    const onData = (p: { value: TraceEvent[] }) => { events.push(...p.value); };
    emitter.on('Tracing.dataCollected', onData);
    try {
      await this.page.sendBrowser('Tracing.start', { traceConfig: { includedCategories: ['disabled-by-default-v8.gc'], excludedCategories: ['*'] }, transferMode: 'ReportEvents' });
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const complete = new Promise<void>((r) => emitter.once('Tracing.tracingComplete', () => r()));
      this.traced += performance.now() - t0;
      await this.page.sendBrowser('Tracing.end');
      await complete;
      return events;
    } finally {
      emitter.removeListener('Tracing.dataCollected', onData);
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let events: TraceEvent[];
      try {
        events = await this.window();
      } catch (e) {
        this.note = `tracing failed: ${e instanceof Error ? e.message : String(e)}`;
        await new Promise((r) => setTimeout(r, WINDOW_MS));
        continue;
      }
      this.coverage = this.traced / (performance.now() - this.started);
      const pid = this.rendererPid();
      if (pid === null) continue;
      this.add(countCollections(events, pid), pid, workerThreadIds(pid), this.workerIds());
    }
  }

  /** Adds one window's counts: `workerThreads` ascending, `ids` the worker targets in attach order. */
  add(perThread: Map<number, Omit<LabGc, 'upTo'>>, pid: number, workerThreads: number[], ids: string[]): void {
    const upTo = Date.now();
    const bump = (key: string, c: Omit<LabGc, 'upTo'> | undefined) => {
      const t = this.totals.get(key) ?? { minor: 0, major: 0, pauseMs: 0, upTo };
      if (c) { t.minor += c.minor; t.major += c.major; t.pauseMs += c.pauseMs; }
      t.upTo = upTo;
      this.totals.set(key, t);
    };
    bump('page', perThread.get(pid));
    if (workerThreads.length !== ids.length) {
      this.note = `the renderer has ${workerThreads.length} worker threads and the page ${ids.length} worker targets: not matched this window`;
      return;
    }
    this.note = '';
    workerThreads.forEach((tid, i) => bump(ids[i]!, perThread.get(tid)));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
