/**
 * The dashboard's view of a pipeline run. The adapter (engine-real.ts) wraps `PipelineRun`;
 * everything engine-specific the UI reads goes through this one seam, so engine changes
 * touch one file.
 */
import type { MediaInfo } from '../codec/probe.ts';
import type { Metrics } from '../metrics/metrics-block.ts';
import type { RunPhase, RunFailure } from '../pipeline/controller.ts';
import type { FrameSize, LadderRung } from '../pipeline/ladder.ts';
import type { SwitchSchedule } from '../pipeline/switch-schedule.ts';
import type { SwitchEvent } from '../pipeline/switch-log.ts';
import type { VideoCodecChoice } from '../pipeline/pipeline-shared.ts';
import type { PacingMode } from '../pipeline/control-block.ts';
import type { PipelineRunReport } from '../pipeline/run-report.ts';
import type { AllocationMode } from '../pool/modes/index.ts';
import type { CodecBackendName, WebCodecsOptions } from '../codec/backends.ts';
import type { LivePolicy } from '../pipeline/stages/live-drop.ts';

export type AllocationModeChoice = AllocationMode;

export interface RunSettings {
  mode: AllocationModeChoice;
  /** Frames each link holds before its producer waits (the same for every mode). */
  framesInFlight: number;
  /** Encode workers taking turns at switches (2: the next opens while the last closes). */
  encoders: 1 | 2;
  codec: VideoCodecChoice;
  /** Who decodes and encodes (src/codec/backends.ts). */
  backend: CodecBackendName;
  /** WebCodecs only: frames held open, and how the encoder changes size. */
  webcodecs: WebCodecsOptions;
  pacing: PacingMode;
  /** Realtime only: block (keep every frame) or drop (frames over 3 intervals late). Default block. */
  livePolicy?: LivePolicy;
  schedule: SwitchSchedule;
  startRung: LadderRung;
}

/** An encoded segment as the UI lists it. */
export interface SegmentView {
  index: number;
  width: number;
  height: number;
  frames: number;
  /** The encoded file, built from the encoder's chunks as they came (no copy into one buffer). */
  data: Blob;
  byteLength: number;
  fileName: string;
  mimeType: string;
  reinitMs: number;
  /** Encoder-side gap of the switch into this segment, ms (NaN for a first segment). */
  gapMs: number;
  /** Where `data` lives: the page's memory (a Blob of the chunks) or a file in the origin-private file system. */
  storage: 'memory' | 'disk';
  /** Disk only: deletes the files of the run this segment belongs to (every segment of it). */
  discardRun?: () => Promise<void>;
}

/** Pool memory as seen from the main thread. */
export interface PoolMemory {
  /** The arena's committed shared WASM memory (what the pool has taken from the system). */
  committedBytes: number;
  /** Bytes carved into slots and not returned (reserved for frames). */
  reservedBytes: number;
  /** Bytes of slots currently holding a frame, when the pool reports it (NaN otherwise). */
  inUseBytes: number;
}

/** The newest scaled frame, borrowed from the preview tap; `release()` at once after drawing. */
export interface PreviewFrame {
  width: number;
  height: number;
  /** I420 planes, tightly packed (stride = width, chroma ceil(w/2)). A view, valid until release. */
  data: Uint8Array;
  frameIndex: number;
  release(): void;
}

/** A slot held past a deadline, and by which stage. */
export interface SlowSlot {
  link: string;
  stage: string;
  frameIndex: number;
  heldForMs: number;
}

export interface UiRun extends EventTarget {
  readonly settings: RunSettings;
  readonly phase: RunPhase;
  readonly info: MediaInfo | null;
  readonly failure: RunFailure | null;
  /** Something the user must know about a run that otherwise worked (e.g. the file ended early). */
  readonly notice: string | null;
  readonly segments: readonly SegmentView[];
  readonly ladder: readonly { rung: LadderRung; size: FrameSize }[];
  /** Shared-clock ms (performance.timeOrigin + performance.now()) when run() began. */
  readonly startedAt: number;
  readonly endedAt: number;
  run(): Promise<RunPhase>;
  stop(): void;
  requestRung(rung: LadderRung): void;
  switches(): SwitchEvent[];
  /** The run's shared metrics block, once the run has built its shared memory. */
  metrics(): Metrics | null;
  pool(): PoolMemory | null;
  /** A worker's WASM linear memory in bytes (NaN when unknown). */
  wasmBytes(stage: 'decode' | 'scale' | 'encode'): number;
  /** The engine's run report (JSON-safe) with the given sampled series. */
  report(series: Record<string, ArrayLike<number>>): PipelineRunReport;
  /**
   * The source's clock for realtime lateness: shared-clock ms frame 0 was released and the
   * frame interval; null before the first frame.
   */
  sourceClock(): { startedAt: number; intervalMs: number } | null;
  /** Borrows the newest frame from the preview tap, or null (nothing new / no tap). */
  takePreview(): PreviewFrame | null;
  /**
   * Slots the stages still held when the run ended, counted before the controller took them
   * back (0 after a finished run = nothing leaked; after a stop or failure, the frames that
   * were in flight). Null before the end.
   */
  readonly heldSlotsAtEnd: number | null;
  /** Slots still held after the controller took everything back (0, unless the reclaim is broken). */
  readonly heldAfterReclaim: number | null;
  /** The same per stage. */
  readonly heldAtEnd: Readonly<Record<'decode' | 'scale' | 'encode', number>> | null;
  /** Slots some stage has held longer than `deadlineMs` right now (allocates: sample it rarely). */
  slowSlots(deadlineMs: number): SlowSlot[];
  /** After the run's last sample: lets go of its frame memory (pools, arena). Metrics and results stay. */
  release(): void;
}

export interface Engine {
  readonly name: string;
  /** Describes a file (codec, size, rate…) without running it; rejects with a sentence for the user. */
  probe(input: File): Promise<MediaInfo>;
  /** Whether `backend` can read the file: null when it can, else the sentence saying why not. */
  readableBy(input: File, backend: CodecBackendName): Promise<string | null>;
  createRun(input: File, settings: RunSettings): UiRun;
  /** Stage workers alive now, across runs (0 when idle). */
  liveStageWorkers(): number;
}

/** Loads the engine (a separate chunk: the page paints before comlink and the pool load). */
export async function loadEngine(): Promise<Engine> {
  const { realEngine } = await import('./engine-real.ts');
  return realEngine;
}
