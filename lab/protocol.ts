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
}

export interface LabHeap { used: number; total: number; backing: number; ms: number }
export interface LabWorker extends LabHeap { id: string; url: string; role: string; gc?: { count: number; pauseMs: number } }
export interface LabProcess { pid: number; type: string; rss: number; pss: number | null; /** Runs dedicated workers (the page's renderer). */ workers?: boolean }
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
  pageHeap: number;
  workerHeaps: number;
  backingStores: number;
  pool: number;
  wasm: number;
  /** Sum of the five above. */
  measured: number;
  /** renderer − measured, as it is (negative when committed memory is not yet resident). */
  unaccounted: number | null;
}
