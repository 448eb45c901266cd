/**
 * The probe: samples, at ≥ 10 Hz, each dedicated worker's V8 heap (Runtime.getHeapUsage on
 * its own session), the page's, and the OS's resident memory of the browser's process tree.
 * It needs only a `TargetBus` (lab/cdp.ts) and the browser's pid, so the lab, tests and the
 * bench can each start one on a browser they own:
 *
 *   const probe = startProbe(bus, { rootPid });  …  const samples = await probe.stop();
 */
import type { TargetBus, WorkerTarget } from './cdp.ts';
import { account } from './accounting.ts';
import { CostMeter } from './cost.ts';
import type { GcWatcher } from './gc-watch.ts';
import { OsMemoryReader, type OsMemory } from './os-memory.ts';
import type { LabAccount, LabCost, LabGc, LabInApp } from './protocol.ts';
import { readRendererSplit, type RendererSplit } from './smaps.ts';

/** One isolate's heap, as Runtime.getHeapUsage gives it (bytes). */
export interface HeapFigure {
  /** Live objects on the V8 heap. */
  used: number;
  /** V8 heap pages committed (what the collector's sawtooth moves within). */
  total: number;
  /** ArrayBuffer backing stores outside the V8 heap, as that isolate accounts them (see README "Lab"). */
  backing: number;
  /** Oilpan: Blink's garbage-collected C++ objects of that isolate (embedderHeapUsedSize). */
  blink: number;
  /** Round trip of the request, ms. */
  ms: number;
}

export interface WorkerFigure extends HeapFigure {
  /** The worker's DevTools target id (stable for its life). */
  id: string;
  url: string;
  /** decode / scale / encode / compile… from the script name, or the name itself. */
  role: string;
  /** Collections since the probe first saw it (gc-watch.ts), when matched. */
  gc?: LabGc;
}

export interface ProbeSample {
  /** Wall clock, ms since the epoch (the page can line it up with performance.timeOrigin + now()). */
  t: number;
  page: HeapFigure | null;
  workers: WorkerFigure[];
  os: OsMemory | null;
  /** The app's own figures at this sample (options.inApp), if any. */
  inApp: LabInApp | null;
  /** Each kind counted once; unaccounted = renderer − measured (lab/accounting.ts). */
  account: LabAccount;
  /** How long taking this sample took, ms. */
  tookMs: number;
  /** The page's collections (gc-watch.ts). */
  pageGc?: LabGc;
  /** What the probe cost over the last second (cost.ts). */
  cost?: LabCost;
}

export interface ProbeOptions {
  /** The browser's pid: the OS figures cover it and all its descendants. Omit for no OS figures. */
  rootPid?: number;
  /** Period, ms (default 100: 10 Hz). */
  intervalMs?: number;
  /** A worker that has not answered within this is left out of that sample (default 1000 ms). */
  timeoutMs?: number;
  /**
   * Ask each worker for its heap at most this often, ms (default 0: every sample); between,
   * a sample reuses the worker's last answer. Each DevTools command leaves ≈ 180 B in a worker
   * inside exec until it returns to its event loop (README "Known limits"), so a long run
   * (the soak) asks the workers less often than it reads the renderer.
   */
  workerEveryMs?: number;
  /** Samples kept (oldest dropped past it; default 200 000, about 5.5 h at 10 Hz). */
  keep?: number;
  /** Reads the app's own figures (pool, WASM memories) for the accounting; optional. */
  inApp?: () => Promise<LabInApp | null>;
  /** Live GC counts (needs a FlatPage: tracing is a browser-level domain); optional. */
  gc?: GcWatcher;
  /**
   * The page's renderer when the caller knows it before any worker runs (the bench: a fresh
   * browser, one page); otherwise it is found once it runs dedicated workers, and samples
   * before that have no renderer figure nor split.
   */
  pageRenderer?: number;
}

interface HeapUsage { usedSize: number; totalSize: number; backingStorageSize?: number; embedderHeapUsedSize?: number }

/** decode.worker.ts?worker_file… → decode; anything else → its file name. */
export function workerRole(url: string): string {
  const file = url.split(/[?#]/)[0]!.split('/').pop() ?? url;
  const m = /^([\w-]+?)(?:[.-]worker)?(?:-[\w-]{8,})?\.(?:ts|js|mjs)$/.exec(file);
  return m?.[1] ?? (file || 'worker');
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.catch(() => null),
    new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function heapOf(send: () => Promise<HeapUsage>, timeoutMs: number): Promise<HeapFigure | null> {
  const t0 = performance.now();
  const r = await withTimeout(send(), timeoutMs);
  if (!r) return null;
  return { used: r.usedSize, total: r.totalSize, backing: r.backingStorageSize ?? 0, blink: r.embedderHeapUsedSize ?? 0, ms: performance.now() - t0 };
}

/**
 * Samples started but not answered, at most. Under load a busy worker answers in 100–900 ms
 * (the inspector interrupts it when its thread next gets the CPU) and each part of a sample
 * gives up after `timeoutMs`, so 10 Hz needs up to ~10–20 in flight.
 */
const IN_FLIGHT = 20;

/**
 * Every SPLIT_EVERY-th sample starts a read of the renderer's smaps split (lab/smaps.ts) in the
 * background, and the first sample started after that read ends takes it: only samples with a
 * split carry the split kinds and `unaccounted`, and their heaps are read right after the split,
 * because the backing stores swing by tens of MB between two collections (a split read at
 * another moment than the heaps made "unaccounted" swing as much: 33 → 128 MB between samples).
 *
 * Not awaited by any sample: reading smaps waits on the renderer's memory-map lock, which an
 * unpooled run (a buffer mapped and unmapped per frame) holds often, so under load a read took
 * over a second; a sample that waited for it (up to 1 s, then went without) held every later
 * sample back (they are published in order): at load 15 no sample of an unpooled bench run got
 * its split in time (0 of ~210) and, with the bench's own blocking PSS reads (fixed in
 * bench/os-memory.ts), the probe ran at 3.5 Hz; taken this way, 28 splits and 9.7 Hz at load 11.
 */
export const SPLIT_EVERY = 5;

/** A finished split older than this when a sample starts is dropped (the probe was paused, or starved). */
const SPLIT_FRESH_MS = 300;

async function isSettled(p: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([p.then(() => true, () => true), Promise.resolve(pending)])) !== pending;
}

export class Probe {
  readonly samples: ProbeSample[] = [];
  private readonly listeners = new Set<(s: ProbeSample) => void>();
  private running = true;
  private readonly done: Promise<void>;
  private readonly os: OsMemoryReader | null;
  private started = 0;
  private splitReading = false;
  /** A split read that has ended and that no sample has taken yet. */
  private splitDone: RendererSplit | null = null;
  /** Each worker's last heap answer and when workers were last asked (workerEveryMs). */
  private readonly lastHeaps = new Map<string, HeapFigure>();
  private workersAskedAt = -Infinity;
  readonly cost = new CostMeter();

  constructor(private readonly bus: TargetBus, private readonly opts: ProbeOptions = {}) {
    this.os = opts.rootPid ? new OsMemoryReader(opts.rootPid) : null;
    if (this.os && opts.pageRenderer) this.os.pageRenderer = opts.pageRenderer;
    this.done = this.loop();
  }

  /** Starts a split read in the background when due (one at a time, Linux only). */
  private startSplit(): void {
    const pid = this.os?.pageRenderer ?? null;
    if (pid === null || this.splitReading || this.os?.platform !== 'linux' || this.started++ % SPLIT_EVERY !== 0) return;
    this.splitReading = true;
    void readRendererSplit(pid).then((split) => { this.splitDone = split; }).finally(() => { this.splitReading = false; });
  }

  /** The split that ended since the last sample took one, if it is fresh. */
  private takeSplit(): RendererSplit | null {
    const split = this.splitDone;
    this.splitDone = null;
    return split && Date.now() - split.at <= SPLIT_FRESH_MS ? split : null;
  }

  /** Paused: no sample is started (to measure what sampling costs). */
  paused = false;

  /** The OS's figures now (null without a root pid). */
  async readOs(): Promise<OsMemory | null> {
    return (await this.os?.read()) ?? null;
  }

  /** Calls `listener` with every sample from now on; returns the unsubscribe. */
  onSample(listener: (s: ProbeSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes one sample now. */
  async sample(): Promise<ProbeSample> {
    const timeout = this.opts.timeoutMs ?? 1000;
    const t = Date.now();
    const t0 = performance.now();
    const targets = this.bus.workers();
    const inAppRead = this.opts.inApp ? withTimeout(this.opts.inApp(), timeout) : Promise.resolve(null);
    const split = this.takeSplit();
    this.startSplit();
    // The OS is read alongside the heaps, not after them.
    const askWorkers = t0 - this.workersAskedAt >= (this.opts.workerEveryMs ?? 0);
    if (askWorkers) this.workersAskedAt = t0;
    // A worker not asked this time gives its last answer (a new one is asked at once).
    const heapOfWorker = (w: WorkerTarget) => {
      const last = askWorkers ? undefined : this.lastHeaps.get(w.targetId);
      return last ? Promise.resolve(last) : heapOf(() => this.bus.sendWorker<HeapUsage>(w, 'Runtime.getHeapUsage'), timeout);
    };
    const [os, inApp, page, ...heaps] = await Promise.all([
      this.os ? withTimeout(this.os.read(), timeout) : null,
      inAppRead,
      heapOf(() => this.bus.sendPage<HeapUsage>('Runtime.getHeapUsage'), timeout),
      ...targets.map(heapOfWorker),
    ]);
    targets.forEach((w, i) => { const h = heaps[i]; if (h) this.lastHeaps.set(w.targetId, h as HeapFigure); });
    const workers: WorkerFigure[] = [];
    targets.forEach((w: WorkerTarget, i) => {
      const heap = heaps[i];
      if (heap && w.attached) workers.push({ id: w.targetId, url: w.url, role: workerRole(w.url), ...heap });
    });
    // On Linux only a sample with its own split accounts; elsewhere the app's committed figures do (accounting.ts).
    const accountable = this.os?.platform !== 'linux' || split !== null;
    const gc = this.opts.gc;
    if (gc) for (const w of workers) { const c = gc.totals.get(w.id); if (c) w.gc = { ...c }; }
    const pageHeap = (page ?? null) as HeapFigure | null;
    const sample: ProbeSample = {
      t, page: pageHeap, workers, os, inApp: inApp as LabInApp | null,
      account: account(pageHeap, workers, os, inApp as LabInApp | null, split, accountable), tookMs: performance.now() - t0,
    };
    const pageGc = gc?.totals.get('page');
    if (pageGc) sample.pageGc = { ...pageGc };
    return sample;
  }

  /**
   * A sample starts every period whether or not the last one has answered (up to IN_FLIGHT at
   * once): on a loaded machine a worker's answer can take longer than the period (the
   * inspector interrupts the isolate when its thread gets the CPU), and waiting for it would
   * halve the rate. Samples are kept and published in the order they started.
   */
  private async loop(): Promise<void> {
    const period = this.opts.intervalMs ?? 100;
    const keep = this.opts.keep ?? 200_000;
    const inFlight: Promise<ProbeSample>[] = [];
    const publish = (s: ProbeSample) => {
      const cost = this.cost.observe(s);
      if (cost) s.cost = cost;
      this.samples.push(s);
      if (this.samples.length > keep) this.samples.splice(0, this.samples.length - keep);
      for (const l of this.listeners) l(s);
    };
    let next = performance.now();
    while (this.running) {
      if (!this.paused) inFlight.push(this.sample());
      while (inFlight.length >= IN_FLIGHT) publish(await inFlight.shift()!);
      next += period;
      const wait = next - performance.now();
      // A timer that fires late (a loaded machine) keeps the schedule, so small delays do not add
      // up to a lower rate (measured: 8.2 Hz at load 20 when every delay reset it); more than a
      // period behind, it starts afresh rather than bursting to catch up.
      if (wait < -period) next = performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      // Publish whatever has answered, in order.
      while (inFlight.length > 0 && await isSettled(inFlight[0]!)) publish(await inFlight.shift()!);
    }
    for (const p of inFlight) publish(await p);
  }

  /** Stops sampling; resolves with every sample kept. */
  async stop(): Promise<ProbeSample[]> {
    this.running = false;
    await this.done;
    return this.samples;
  }
}

/** Starts a probe on `bus` (see the file's comment). */
export function startProbe(bus: TargetBus, opts: ProbeOptions = {}): Probe {
  return new Probe(bus, opts);
}
