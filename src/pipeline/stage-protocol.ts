import type { CodecBackendSetup } from '../codec/backends.ts';
import type { MediaInfo } from '../codec/probe.ts';
import type { DecodeResult } from './stages/decode-stage.ts';
import type { EncodeResult } from './stages/encode-stage.ts';
import type { ScaleResult } from './stages/scale-stage.ts';
import type { EncodePlan, PipelineShared, ScalePlan, StagePorts } from './pipeline-shared.ts';

/**
 * What each stage worker exposes over comlink. comlink is the control plane for setup and
 * teardown only: `run` blocks its worker until the stage ends, and everything that steers a
 * running stage goes through the shared control block.
 */
/**
 * The file a run reads: a File/Blob in the browser (mounted with WORKERFS, read lazily), or a
 * path on disk for Node integration tests (read lazily through a file descriptor).
 */
export type RunInput = Blob | { hostPath: string };

export interface DecodeWorkerApi {
  /** `module` is the compiled ffmpeg.wasm (null for a backend that does not use it); backend defaults to ffmpeg.wasm. */
  open(module: WebAssembly.Module | null, input: RunInput, backend?: CodecBackendSetup): Promise<MediaInfo>;
  /** ffmpeg.wasm blocks its worker until the end; WebCodecs returns to its event loop and resolves at the end. */
  run(shared: PipelineShared, ports?: StagePorts): DecodeResult | Promise<DecodeResult>;
}

export interface ScaleWorkerApi {
  run(shared: PipelineShared, plan: ScalePlan, ports?: StagePorts): Promise<ScaleResult>;
}

export interface EncodeWorkerApi {
  open(module: WebAssembly.Module | null, backend?: CodecBackendSetup): Promise<void>;
  /** `ports.output` receives each segment's close (SegmentClosedMessage); its bytes come as written, through plan.outputRing. */
  run(shared: PipelineShared, plan: EncodePlan, ports: StagePorts): EncodeResult | Promise<EncodeResult>;
}

export type StageKind = 'decode' | 'scale' | 'encode';

/**
 * Browser only, worker → page, once, outside comlink: the worker now holds the Web Lock named
 * `lifeLock` and keeps it until it is gone (see worker-life.ts). Until the page has this
 * message it must not ask for the lock: it would be granted at once and read as a death.
 */
export interface StageReady {
  type: 'framepool:stage-ready';
  lifeLock: string;
}

export interface StageWorkerApis {
  decode: DecodeWorkerApi;
  scale: ScaleWorkerApi;
  encode: EncodeWorkerApi;
}
