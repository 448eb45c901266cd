/** What a run is asked to do (RunOptions) and what it reports (phase, failure, stage results). */
import type { CodecBackendName, WebCodecsOptions } from '../codec/backends.ts';
import type { AllocationMode } from '../pool/link.ts';
import type { FaultKind, PacingMode } from './control-block.ts';
import type { LadderRung } from './ladder.ts';
import type { VideoCodecChoice } from './pipeline-shared.ts';
import type { StageKind } from './stage-protocol.ts';
import type { DecodeResult } from './stages/decode-stage.ts';
import type { EncodeResult } from './stages/encode-stage.ts';
import type { LivePolicy } from './stages/live-drop.ts';
import type { ScaleResult } from './stages/scale-stage.ts';
import type { SwitchSchedule } from './switch-schedule.ts';

export interface RunOptions {
  mode: AllocationMode;
  codec: VideoCodecChoice;
  pacing: PacingMode;
  schedule: SwitchSchedule;
  startRung: LadderRung;
  /** Frames each link holds before its producer blocks (back-pressure). */
  linkCapacity?: number;
  /**
   * Watchdog: a stage that makes no progress this long (ms) fails the run, named. Waiting on
   * a neighbour counts as progress, so the stage blamed is the one everyone waits for.
   * Longer than the slowest legitimate pause (an encoder's start or flush). Default 5000.
   */
  stallTimeoutMs?: number;
  /** Loading the codec or opening the file may take this long (ms) before the run fails. Default 30000. */
  setupTimeoutMs?: number;
  /**
   * WASM memory budget per codec worker, bytes (null = none). An encode worker over it is
   * replaced between segments by a fresh one, losing and repeating no frame. (The decode
   * worker runs one exec for the whole file and cannot be swapped mid-file.) Default 1 GiB.
   */
  wasmBudgetBytes?: number | null;
  /**
   * Encode workers taking turns on link B. With 2 (default), at a switch the next size's
   * encoder starts at once while the last one flushes and closes; with 1, a switch waits for
   * the close (one worker and its codec memory fewer).
   */
  encoders?: 1 | 2;
  /** Who decodes and encodes (src/codec/backends.ts). Default ffmpeg.wasm. */
  backend?: CodecBackendName;
  /** The WebCodecs backend's options (hold decoded frames, how the encoder switches size). */
  webcodecs?: WebCodecsOptions;
  /**
   * Realtime pacing only: *block* (default) keeps every frame, as for a file; *drop* drops a
   * frame that would reach the encoders over DROP_BOUND_INTERVALS frame intervals late.
   */
  livePolicy?: LivePolicy;
  /** Test hook: make a stage throw (or stall) at a frame index, to exercise the failure paths. */
  fault?: { stage: StageKind; frameIndex: number; kind?: FaultKind } | null;
}

export type RunPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'done' | 'failed';

export interface RunFailure {
  stage: StageKind | 'setup';
  message: string;
}

/** What each stage's run returns (encode: summed over its workers). */
export interface StageResults {
  decode: DecodeResult;
  scale: ScaleResult;
  encode: EncodeResult;
}

/** An encode worker replaced for going over its WASM budget. */
export interface EncoderReplacement {
  /** Segments encoded (by all encoders) before the replacement. */
  afterSegments: number;
  /** The retired worker's WASM memory, bytes. */
  wasmBytes: number;
  /** Segments delivered → the fresh worker loaded, ms. */
  ms: number;
}
