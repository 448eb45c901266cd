/**
 * The stage workers of a run as the controller sees them: the host that starts them, each
 * one tracked (counted once, terminated once, its death turned into a rejection), calls that
 * fail when the worker dies, and the one-off file description (probeInput).
 */
import type * as Comlink from 'comlink';
import { codecBackend, DEFAULT_WEBCODECS_OPTIONS, type CodecBackendSetup } from '../codec/backends.ts';
import type { MediaInfo } from '../codec/probe.ts';
import type { RunInput, StageKind, StageWorkerApis } from './stage-protocol.ts';
import { seconds, SetupTimeout, WorkerLost } from './stages/stage-errors.ts';

export const DEFAULT_SETUP_TIMEOUT_MS = 30_000;

/** A running stage worker as the controller sees it. */
export interface StageWorker<K extends StageKind> {
  api: Comlink.Remote<StageWorkerApis[K]>;
  terminate(): void;
  /**
   * Calls `listener` if the worker goes away by itself (crash, exit, fatal error), with a
   * short reason. Not called for terminate(). Hosts that cannot observe this may omit it:
   * the watchdog still ends the run.
   */
  onExit?(listener: (reason: string) => void): void;
  /**
   * Resolves once `onExit` can see this worker die (browser: the worker holds its life lock).
   * The controller starts no stage on a worker before this. Omitted: watched from the start.
   */
  ready?: Promise<void>;
}

/** Where workers and the compiled codec come from: the browser (Vite workers) or Node (worker_threads). */
export interface PipelineHost {
  /** The compiled `@ffmpeg/core` module, compiled once and shared by every codec worker. */
  codecModule(): Promise<WebAssembly.Module>;
  /** The same module once V8 has optimised its hot code (a run's frames then start warm); hosts without a warm-up leave it out. */
  warmCodecModule?(): Promise<WebAssembly.Module>;
  /**
   * Resolves when no codec warm-up is running (at once if none began; never starts one). A run
   * whose backend needs no codec module waits for it too, so the warm-up's CPU stays out of its
   * frames: describing a file starts the warm-up, and a WebCodecs run started right after it
   * shared two cores with a 45-frame x264 encode.
   */
  codecWarmupSettled?(): Promise<void>;
  spawn<K extends StageKind>(kind: K): StageWorker<K>;
}

let liveWorkers = 0;
/** Stage workers alive right now, across all runs (a run must leave this where it found it). */
export const liveStageWorkers = (): number => liveWorkers;

/** A worker the controller started: counted once, terminated once, and a promise that rejects if it dies. */
export interface TrackedWorker<K extends StageKind> {
  readonly kind: K;
  readonly api: Comlink.Remote<StageWorkerApis[K]>;
  /** Rejects with WorkerLost if the worker goes away by itself. */
  readonly lost: Promise<never>;
  /** Resolves once a death of this worker would be noticed (see StageWorker.ready). */
  readonly ready: Promise<void>;
  terminate(): void;
}

export function track<K extends StageKind>(host: PipelineHost, kind: K): TrackedWorker<K> {
  const worker = host.spawn(kind);
  liveWorkers++;
  let terminated = false;
  let reject: (error: Error) => void = () => {};
  const lost = new Promise<never>((_, r) => { reject = r; });
  lost.catch(() => {}); // observed through calls raced with it; never an unhandled rejection
  worker.onExit?.((reason) => {
    if (terminated) return;
    reject(new WorkerLost(kind, reason));
  });
  return {
    kind,
    api: worker.api,
    lost,
    ready: worker.ready ?? Promise.resolve(),
    terminate() {
      if (terminated) return;
      terminated = true;
      worker.terminate();
      liveWorkers--;
    },
  };
}

/** `promise`, once `worker` is also ready (its death would be noticed from then on). */
export function whenReady<T>(worker: TrackedWorker<StageKind>, promise: Promise<T>): Promise<T> {
  return Promise.all([worker.ready, promise]).then(([, value]) => value);
}

/** A call to a worker that also fails when the worker dies (a dead worker never answers). */
export function call<T>(worker: TrackedWorker<StageKind>, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, worker.lost]);
}

/** Rejects with `error()` after `ms` unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(error()), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Describes a file without running the pipeline: the decode worker loads the codec, mounts
 * the file (lazily) and probes it. Rejects with a message meant for the user.
 */
export async function probeInput(host: PipelineHost, input: RunInput, timeoutMs = DEFAULT_SETUP_TIMEOUT_MS,
  backend: CodecBackendSetup = { name: 'ffmpeg', webcodecs: DEFAULT_WEBCODECS_OPTIONS }): Promise<MediaInfo> {
  const module = codecBackend(backend.name).usesCodecModule
    ? await withTimeout(host.codecModule(), timeoutMs,
      () => new SetupTimeout(`Loading the codec did not finish within ${seconds(timeoutMs)}. Reload the page and try again.`))
    : null;
  const decode = track(host, 'decode');
  try {
    return await withTimeout(call(decode, decode.api.open(module, input, backend)), timeoutMs,
      () => new SetupTimeout(`Reading this file did not finish within ${seconds(timeoutMs)}. It may be damaged: try another file.`));
  } finally {
    decode.terminate();
  }
}
