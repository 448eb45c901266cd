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
  /** Samples kept (oldest dropped past it; default 200 000, about 5.5 h at 10 Hz). */
  keep?: number;
  /** Reads the app's own figures (pool, WASM memories) for the accounting; optional. */
  inApp?: () => Promise<LabInApp | null>;
  /** Live GC counts (needs a FlatPage: tracing is a browser-level domain); optional. */
  gc?: GcWatcher;
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
 * gives up after `timeoutMs` (a split after SPLIT_TIMEOUT_MS), so 10 Hz needs up to ~10–20 in flight.
 */
const IN_FLIGHT = 20;

/**
 * Every SPLIT_EVERY-th sample also reads the renderer's smaps split (lab/smaps.ts), in parallel
 * with its heap requests, and only those samples carry the split kinds and `unaccounted`: the
 * backing stores swing by tens of MB between two collections, so a split read at another moment
 * than the heaps made "unaccounted" swing as much (measured: 33 → 128 MB between samples).
 */
export const SPLIT_EVERY = 5;

/**
 * How long a sample waits for its split. Reading smaps waits on the renderer's memory-map
 * lock, which an unpooled run (a buffer mapped and unmapped per frame) holds often, so at load
 * some runs get few splits (once none in a run's first 9 s); waiting 3 s instead held every
 * later sample back as long (samples are published in order) and broke the 10 Hz feed.
 */
const SPLIT_TIMEOUT_MS = 1000;

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
  readonly cost = new CostMeter();

  constructor(private readonly bus: TargetBus, private readonly opts: ProbeOptions = {}) {
    this.os = opts.rootPid ? new OsMemoryReader(opts.rootPid) : null;
    this.done = this.loop();
  }

  /** Starts this sample's split read when due (one at a time); null when not due or not on Linux. */
  private splitNow(): Promise<RendererSplit | null> | null {
    const pid = this.os?.pageRenderer ?? null;
    if (pid === null || this.splitReading || this.os?.platform !== 'linux' || this.started++ % SPLIT_EVERY !== 0) return null;
    this.splitReading = true;
    return readRendererSplit(pid).finally(() => { this.splitReading = false; });
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
    const splitRead = this.splitNow();
    // The OS is read alongside the heaps, not after them; a split slower than the timeout (its
    // read waits on the renderer's memory-map lock) leaves this sample unaccounted.
    const [os, split, inApp, page, ...heaps] = await Promise.all([
      this.os ? withTimeout(this.os.read(), timeout) : null,
      splitRead ? withTimeout(splitRead, Math.max(timeout, SPLIT_TIMEOUT_MS)) : null,
      inAppRead,
      heapOf(() => this.bus.sendPage<HeapUsage>('Runtime.getHeapUsage'), timeout),
      ...targets.map((w) => heapOf(() => this.bus.sendWorker<HeapUsage>(w, 'Runtime.getHeapUsage'), timeout)),
    ]);
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
