/**
 * The lab feed's wire format, shared by the Node side (lab/) and the page's panel
 * (src/ui/panels/lab-memory-panel.ts). Types only.
 */

/** GET /__lab/memory/status */
export interface LabStatus {
  lab: true;
  /** The probe's period, ms. */
  intervalMs: number;
  /** What the OS figures cannot give on this system ('' on Linux: RSS and PSS). */
  osLimits: string;
  /** Whether per-worker garbage-collection counts are in the samples, and why not if not. */
  gc: { available: boolean; note: string };
  /** What backingStorageSize was found to include (README "Lab"). */
  backingNote: string;
  /**
   * The browser's CPU spent answering the probe, measured when the lab started: the idle app,
   * the probe paused then running, ms of CPU per s each (null until measured or off Linux).
   */
  answering: { pausedCpuMsPerS: number; probingCpuMsPerS: number; seconds: number } | null;
}

export interface LabHeap {
  used: number;
  total: number;
  backing: number;
  /** Oilpan (Blink's garbage-collected C++ heap) of that isolate, live bytes: embedderHeapUsedSize. */
  blink: number;
  ms: number;
}
/** A worker's collections since the probe first saw it, from V8's trace events (lab/gc-watch.ts). */
export interface LabGc {
  minor: number;
  major: number;
  /** Sum of the collections' pauses on that worker's thread, ms. */
  pauseMs: number;
  /** When the trace window these counts end with closed (ms since the epoch): counts lag by up to a window. */
  upTo: number;
}
export interface LabWorker extends LabHeap { id: string; url: string; role: string; gc?: LabGc }
export interface LabProcess {
  pid: number;
  type: string;
  rss: number;
  pss: number | null;
  /** PSS split (smaps_rollup): private anonymous, file-backed (binary, libraries, fonts), shared memory. */
  pssAnon?: number;
  pssFile?: number;
  pssShmem?: number;
  /** CPU time (user + system) since the process started, ms. */
  cpuMs?: number;
  /** The page's renderer (the last one seen running its dedicated workers). */
  workers?: boolean;
}
export interface LabOs { processes: LabProcess[]; rss: number; pss: number | null }

/** One `sample` event of GET /__lab/memory (the probe's ProbeSample). */
export interface LabSample {
  t: number;
  page: LabHeap | null;
  workers: LabWorker[];
  os: LabOs | null;
  inApp: LabInApp | null;
  account: LabAccount;
  tookMs: number;
  /** The page's GC counts (workers carry their own). */
  pageGc?: LabGc;
  /** What the probe cost in the last second (lab/cost.ts), when measured. */
  cost?: LabCost;
}

/** CPU the probe costs, per second of wall time, over the last window. */
export interface LabCost {
  /** The Node process running the probe (and the dev server), ms of CPU per s. */
  probeCpuMsPerS: number;
  /** The browser's processes (all of them: the page's own work too), ms of CPU per s; null where the OS gives no CPU times. */
  browserCpuMsPerS: number | null;
  /** Samples published per second over the window, and worker answers per second (each worker counted). */
  samplesPerS: number;
  /** The median round trip of a worker's heap reading, ms. */
  answerMsP50: number | null;
}

/**
 * What the app measures itself, read from the page at each probe sample
 * (`window.__framepoolLabInApp()`, installed by the lab panel): memory that is not in any
 * isolate's heap nor in backingStorageSize. Null fields: no run, or not reported.
 */
export interface LabInApp {
  poolCommitted: number | null;
  wasmDecode: number | null;
  wasmScale: number | null;
  wasmEncode: number | null;
  framesDone: number | null;
  phase: string;
}

/** Where the bytes of the page's renderer are, each counted once (lab/accounting.ts). */
export interface LabAccount {
  /** The page's renderer process (the one running its dedicated workers). */
  rendererPid: number | null;
  /** That renderer's PSS (RSS where PSS is missing). */
  renderer: number | null;
  /** The browser's other processes together (browser, GPU, network, utilities, spare renderers). */
  otherProcesses: number | null;
  /** V8 heaps, committed pages (totalSize), page and workers. */
  pageHeap: number;
  workerHeaps: number;
  /** ArrayBuffer backing stores (backingStorageSize), page and workers. */
  backingStores: number;
  /** Oilpan heaps (embedderHeapUsedSize), page and workers. */
  blinkHeaps: number;
  /**
   * The pool's arena and the codecs' WASM memories. 'resident' (Linux): the PSS of their
   * mappings in the renderer (lab/smaps.ts); 'committed': the app's byteLength figures, which
   * count pages never touched (other systems).
   */
  pool: number;
  wasm: number;
  wasmBasis: 'resident' | 'committed';
  /** The app's committed figures, whatever the basis (for the chart). */
  poolCommitted: number;
  wasmCommitted: number;
  /** From the renderer's smaps (Linux; null elsewhere): binary and libraries, shared memory, JIT code. */
  files: number | null;
  sharedMemory: number | null;
  jitCode: number | null;
  /** PartitionAlloc's resident pages (smaps) minus the backing stores: malloc, Blink's partitions, allocator slack. */
  nativeHeaps: number | null;
  /** The rest of the renderer's private memory (smaps), in which V8's and Oilpan's heaps live: context, not summed. */
  otherPrivate: number | null;
  /** When that split was read (ms since the epoch): it is refreshed less often than the heaps. */
  splitAt: number | null;
  /** Sum of every kind above. */
  measured: number;
  /** renderer − measured, as it is (negative when committed heap pages are not resident). */
  unaccounted: number | null;
}
