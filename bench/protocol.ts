import type { CodecBackendName, WebCodecsOptions } from '../src/codec/backends.ts';
import type { AllocationMode } from '../src/pool/modes/index.ts';
import type { LadderRung } from '../src/pipeline/ladder.ts';
import type { StageTotals } from '../src/metrics/stage-totals.ts';
import type { LivePolicy } from '../src/pipeline/stages/live-drop.ts';
/**
 * The wire between the bench runner (Node, bench/run.ts) and the bench page
 * (bench/page/main.ts): `window.runBenchCase(config)` takes a BenchCaseConfig and resolves
 * with a BenchCaseResult. Plain JSON both ways (page.evaluate serialises it).
 *
 * Times are shared-clock ms (performance.timeOrigin + performance.now() in the page), which
 * is wall-clock ms since the epoch, so the runner lines them up with its /proc samples
 * (Date.now()).
 */

/** Every allocation mode the app has (src/pool/modes/ is the one list). */
export type AllocationModeName = AllocationMode;
export type PacingName = 'max' | 'realtime';
/**
 * none: no switch. every30: the ladder schedule, a switch every 30 frames. storm: a switch
 * every frame (seeded random rung) for `stormSwitches` frames. clicks: a "user" on the main
 * thread calls requestRung at random intervals (`clickEveryMs`), the way a click arrives.
 */
export type ScheduleName = 'none' | 'every30' | 'storm' | 'clicks';

export type CaseKind = 'pipeline' | 'baseline-exec' | 'baseline-api' | 'stage-alone';

export interface BenchCaseConfig {
  id: string;
  kind: CaseKind;
  /** Same-origin URL of the input file (served by the bench server). */
  inputUrl: string;
  inputName: string;
  /** Output height for every case (pipeline start rung, baselines' scale filter). */
  targetHeight: 480;
  mode?: AllocationModeName;
  /** Codec backend of a pipeline case (default ffmpeg.wasm). */
  backend?: CodecBackendName;
  /** WebCodecs: how its encoder switches size (default: the app's). */
  encoderSwitch?: WebCodecsOptions['encoderSwitch'];
  pacing?: PacingName;
  schedule?: ScheduleName;
  stormSwitches?: number;
  /** clicks schedule: a click every [min, max] ms (uniform, seeded). */
  clickEveryMs?: [number, number];
  /** every30 and clicks: only rungs up to this one (e.g. '720': no upscaled 1080p). Default: the whole ladder. */
  topRung?: LadderRung;
  /** Realtime pacing: the app's live policy (default block). */
  livePolicy?: LivePolicy;
  /**
   * Encoded output: 'drop' (default) counts each segment and lets its bytes go; 'disk' takes the
   * app's own path, chunks to OPFS as they come and each segment kept as a Blob over its file.
   */
  output?: 'drop' | 'disk';
  /** Stop the run after this long once it is running (soak); 0 = run to the end of the input. */
  stopAfterMs?: number;
  /**
   * Stop the run once this many frames are out of the encoder (fair compare, --quick): every
   * run covers the same frames of the input and of the switch schedule whatever its speed.
   * Checked at each in-app sample, so the frames in flight then still finish. 0 = no limit.
   */
  stopAfterFrames?: number;
  /** In-app sampling interval. */
  sampleEveryMs: number;
  /** Idle time between setup and start, so the runner sees a settled OS baseline. */
  settleMs: number;
  /**
   * Before the measured run, the same work in this page stopped after this many frames, its
   * figures discarded (0 = none): the codec module compiled once per page keeps the code V8
   * tiered up, so the measured run does not pay that compile (fresh workers all the same).
   */
  warmUpFrames: number;
  /** stage-alone: frames the scaler and the encoder get (decode runs the whole input). */
  stageFrames?: number;
  /** Keep every per-frame latency with its time (soak: first vs last minute). */
  keepLatencySeries?: boolean;
}

/** One in-app memory sample (bytes) at `t`. NaN when a figure is not available. */
export interface InAppSample {
  t: number;
  poolCommitted: number;
  poolReserved: number;
  poolInUse: number;
  wasmDecode: number;
  wasmEncode: number;
  /** Workers of the baselines that report their WASM memory (baseline-exec: after exec only). */
  wasmOther: number;
  jsHeapUsed: number;
  jsHeapTotal: number;
  framesDone: number;
}

export interface UaMemorySample {
  /** When the measurement was asked for. */
  t: number;
  /** Where the case stood: 'idle page' (before any worker), 'during run' (asked 1 s into it). */
  when: string;
  bytes: number;
  /** Bytes by the scope the breakdown attributes them to ("Window", "DedicatedWorkerGlobalScope", …). */
  byScope: Record<string, number>;
  ms: number;
}

export interface StageAloneFigures {
  /** Where these were measured. */
  where: string;
  frames: number;
  /** Decode to I420 at source size through the sink device into one reused buffer. */
  decodeFps: number;
  /** The pipeline's bilinear scaler (`scaler`: WASM SIMD where available), source → target size, reused buffers. */
  scaleFps: number;
  scaler: string;
  /** The TypeScript scaler (the fallback) on the same frames, measured beside it. */
  scaleTsFps: number;
  /** libx264 ultrafast zerolatency at the target size from the source device (same args as the pipeline). */
  encodeFps: number;
  /** The same encode while another worker decodes and scales the input on the other core. */
  encodeBesideFps: number;
  /** That other worker's decode + scale, frames per second over the same window. */
  decodeScaleBesideFps: number;
  targetWidth: number;
  targetHeight: number;
}

export interface BenchCaseResult {
  id: string;
  ok: boolean;
  failure: string | null;
  /** Failures that are WebAssembly traps (the core crashed). */
  traps: number;
  source: { width: number; height: number; frameRate: number; frameCount: number | null } | null;
  frames: number;
  /** Shared-clock ms: setup done (the OS baseline ends here), work started, work ended. */
  setupDoneAt: number;
  startedAt: number;
  endedAt: number;
  /** Time the frames took (pipeline: running → last segment out; baselines: the exec). */
  activeMs: number;
  fps: number;
  /** End-to-end latency (decoded → consumed by the encoder), exact per frame, ms. */
  latency: LatencySummary | null;
  /** The same over frames with index ≥ 30 (after the encoder's start). */
  latencyAfterWarmup: LatencySummary | null;
  /** [t, ms] per frame, when keepLatencySeries. */
  latencySeries: [number, number][] | null;
  totals: StageTotals | null;
  /** Totals as the sink counted its 30th frame (Metrics.atLeadIn). */
  warmup: StageTotals | null;
  /**
   * Per switch, ms (from the app's run report, SwitchReport): costMs = request → first new-size
   * frame out of the scaler; toEncoderMs → first new-size frame taken by its encoder;
   * toFirstBytesMs → first encoded bytes of the new segment out; gapMs = last old-size frame
   * taken by the old encoder → first new-size frame taken by the new one. The four lists cover
   * switches at frame ≥ leadIn.frames (30), as every latency figure; count and manual all of them.
   */
  switches: {
    count: number; manual: number; costMs: number[]; toEncoderMs: number[]; toFirstBytesMs: number[]; gapMs: number[];
    /** Switches in the run's first frames (cold codec code, the encoders' first start): how many, and their first bytes (absent in older reports). */
    leadIn?: { frames: number; count: number; toFirstBytesMs: number[] };
    /** The same gap between consecutive frames of one segment (no switch between them), frames ≥ 30 (absent in older reports). */
    steadyGapMs?: number[];
  };
  /** Frames the live drop policy dropped (the run report's), null for other cases. */
  drops: { total: number; byRung: Record<string, number>; boundMs: number | null; atEncoder: number } | null;
  /** Realtime: per frame, taken by the encoder − due (frame 0's release + index × interval), ms; null otherwise. */
  lateness: LatencySummary | null;
  /**
   * Per output size ("1280×720"), over frames with index ≥ 30: latency (decoded → taken by the
   * encoder) and, at realtime, lateness. A rung the pipeline cannot sustain at 30 fps shows as a
   * full queue there (latency ≈ link depth × interval) whatever the switches do.
   */
  bySize: Record<string, { latency: LatencySummary; lateness: LatencySummary | null }> | null;
  segments: { count: number; reinitMs: number[]; bytes: number };
  /** Codec workers' WASM memory as reported through the control block: first seen, last, max. */
  wasm: { decode: WasmTrace; encode: WasmTrace } | null;
  samples: InAppSample[];
  uaMemory: UaMemorySample[];
  stageAlone: StageAloneFigures | null;
  /** Pipeline: per-stage frames, time working (busyMs) and blocked on a link (waitMs), from the metrics block. */
  stages: Record<string, { frames: number; busyMs: number; waitMs: number }> | null;
  /** The unmeasured warm-up run before this one (warmUpFrames), null without one. */
  warmUp: { ok: boolean; frames: number; fps: number; wallMs: number } | null;
  notes: string[];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface WasmTrace {
  first: number;
  /**
   * After warm-up: decode, at the first sample with ≥ 100 frames out; encode, after the 100th
   * segment (every size seen, as in the Node storm test), else its last segment.
   */
  warm: number;
  last: number;
  max: number;
  /** Largest value seen after `warm` was taken. */
  maxAfterWarm: number;
}
