import * as Comlink from 'comlink';
import { UNAVAILABLE_ENCODERS } from '../codec/ffmpeg-args.ts';
import type { MediaInfo } from '../codec/probe.ts';
import { FrameArena } from '../pool/arena.ts';
import { i420Layout } from '../pool/frame-format.ts';
import { createLink, failLink, type AllocationMode } from '../pool/strategy.ts';
import { Metrics } from '../metrics/metrics-block.ts';
import { StageId } from '../metrics/stages.ts';
import { ControlBlock, type PacingMode } from './control-block.ts';
import { distinctRungs, ladderSizes, rungSize, type FrameSize, type LadderRung } from './ladder.ts';
import type { PipelineShared, VideoCodecChoice } from './pipeline-shared.ts';
import type { RunInput, StageKind, StageWorkerApis } from './stage-protocol.ts';
import type { EncodedSegment, EncodeResult } from './stages/encode-stage.ts';
import { SwitchLog, type SwitchEvent } from './switch-log.ts';
import type { SwitchSchedule } from './switch-schedule.ts';

/** A running stage worker as the controller sees it. */
export interface StageWorker<K extends StageKind> {
  api: Comlink.Remote<StageWorkerApis[K]>;
  terminate(): void;
}

/** Where workers and the compiled codec come from: the browser (Vite workers) or Node (worker_threads). */
export interface PipelineHost {
  /** The compiled `@ffmpeg/core` module, compiled once and shared by every codec worker. */
  codecModule(): Promise<WebAssembly.Module>;
  spawn<K extends StageKind>(kind: K): StageWorker<K>;
}

export interface RunOptions {
  mode: AllocationMode;
  codec: VideoCodecChoice;
  pacing: PacingMode;
  schedule: SwitchSchedule;
  startRung: LadderRung;
  /** Frames each link holds before its producer blocks (back-pressure). */
  linkCapacity?: number;
  /** Test hook: make a stage throw at a frame index, to exercise the failure path. */
  fault?: { stage: StageKind; frameIndex: number } | null;
}

export type RunPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'done' | 'failed';

export interface RunFailure {
  stage: StageKind | 'setup';
  message: string;
}

const STAGE_KINDS: readonly StageKind[] = ['decode', 'scale', 'encode'];
const STOP_GRACE_MS = 1000;
/** How long finished segments may take to arrive after the encoder returned. */
const SEGMENT_DELIVERY_MS = 2000;
/** Failure code the controller puts on links when a stage fails. */
const LINK_FAILED = 9;
const DEFAULT_LINK_CAPACITY = 6;

let liveWorkers = 0;
/** Stage workers alive right now, across all runs (a run must leave this where it found it). */
export const liveStageWorkers = (): number => liveWorkers;

/**
 * Describes a file without running the pipeline: the decode worker loads the codec, mounts
 * the file (lazily) and probes it. Rejects with a message meant for the user.
 */
export async function probeInput(host: PipelineHost, input: RunInput): Promise<MediaInfo> {
  const module = await host.codecModule();
  const decode = host.spawn('decode');
  liveWorkers++;
  try {
    return await decode.api.open(module, input);
  } finally {
    decode.terminate();
    liveWorkers--;
  }
}

/**
 * One run of the pipeline: builds workers and shared memory, starts the stages, and ends
 * them (done, stopped or failed) leaving no worker behind. Events: `phase`, `segment`, `info`.
 */
export class PipelineRun extends EventTarget {
  phase: RunPhase = 'idle';
  info: MediaInfo | null = null;
  failure: RunFailure | null = null;
  readonly segments: EncodedSegment[] = [];
  readonly options: Required<RunOptions>;
  shared: PipelineShared | null = null;
  control: ControlBlock | null = null;
  ladder: { rung: LadderRung; size: FrameSize }[] = [];
  startedAt = 0;
  endedAt = 0;
  stageResults: { decode?: unknown; scale?: unknown; encode?: unknown } = {};

  private readonly host: PipelineHost;
  private readonly input: RunInput;
  private readonly workers: StageWorker<StageKind>[] = [];
  private switchLog: SwitchLog | null = null;
  private readonly stageErrors = new Map<StageKind | 'setup', string>();
  /** Resolves when the run must end now, finished or not (grace period after stop or failure). */
  private readonly deadline: Promise<void>;
  private endNow: () => void = () => {};
  private graceTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(host: PipelineHost, input: RunInput, options: RunOptions) {
    super();
    this.host = host;
    this.input = input;
    this.options = { linkCapacity: DEFAULT_LINK_CAPACITY, fault: null, ...options };
    this.deadline = new Promise((resolve) => { this.endNow = resolve; });
  }

  /** Runs to the end; resolves with the final phase ('done' or 'failed'), never rejects. */
  async run(): Promise<RunPhase> {
    this.startedAt = performance.timeOrigin + performance.now();
    this.setPhase('starting');
    try {
      await this.runStages();
    } catch (error) {
      this.recordFailure('setup', error);
    } finally {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.terminateWorkers();
      this.endedAt = performance.timeOrigin + performance.now();
      this.failure = this.chooseFailure();
      this.setPhase(this.failure ? 'failed' : 'done');
    }
    return this.phase;
  }

  /** Asks every stage to stop; the run ends (gracefully, or by termination) within about a second. */
  stop(): void {
    if (this.phase !== 'running' && this.phase !== 'starting') return;
    this.setPhase('stopping');
    this.control?.requestStop();
    this.startGracePeriod();
  }

  /** Stages get this long to end by themselves; then their workers are terminated. */
  private startGracePeriod(): void {
    this.graceTimer ??= setTimeout(() => this.endNow(), STOP_GRACE_MS);
  }

  /** A user's click: switch the output to this rung from the next frame on. */
  requestRung(rung: LadderRung): void {
    const target = this.ladder.find((entry) => entry.rung === rung);
    if (target && this.control) this.control.requestTarget(target.size.width, target.size.height);
  }

  /** Switches so far, as the scale stage logged them. */
  switches(): SwitchEvent[] {
    if (!this.control || !this.switchLog) return [];
    const count = this.control.switchCount;
    const events: SwitchEvent[] = [];
    for (let i = 0; i < count; i++) events.push(this.switchLog.read(i));
    return events;
  }

  private async runStages(): Promise<void> {
    const unavailable = UNAVAILABLE_ENCODERS[this.options.codec];
    if (unavailable) throw new Error(unavailable);
    const module = await this.host.codecModule();
    const decode = this.spawn('decode');
    const info = await this.untilDeadline(decode.api.open(module, this.input)).catch((error: unknown) => {
      this.recordFailure('decode', error); // e.g. not a video: the message is for the user
      return null;
    });
    if (info === null) return;
    this.info = info;
    this.dispatchEvent(new CustomEvent('info', { detail: info }));
    if (this.stopRequested()) return;

    const source = { width: info.displayWidth, height: info.displayHeight };
    const rungs = distinctRungs(source);
    this.ladder = rungs.map((rung) => ({ rung, size: rungSize(rung, source) }));
    const shared = this.createShared(source);
    this.shared = shared;

    const scale = this.spawn('scale');
    const encode = this.spawn('encode');
    await this.untilDeadline(encode.api.open(module));
    if (this.stopRequested()) return;
    this.setPhase('running');

    const onSegment = Comlink.proxy((segment: EncodedSegment) => {
      this.segments.push(segment);
      this.dispatchEvent(new CustomEvent('segment', { detail: segment }));
    });
    let encodeResult: EncodeResult | null = null;
    const stages: [StageKind, Promise<unknown>][] = [
      ['encode', encode.api.run(shared, { codec: this.options.codec, frameRate: info.frameRate }, onSegment).then((result) => (encodeResult = result))],
      ['scale', scale.api.run(shared, { source, rungs, startRung: this.options.startRung, schedule: this.options.schedule })],
      ['decode', decode.api.run(shared)],
    ];
    const settled = stages.map(([kind, promise]) =>
      promise.then(
        (result) => { this.stageResults[kind] = result; },
        (error: unknown) => this.recordFailure(kind, error),
      ),
    );
    // A terminated or crashed worker never answers: the deadline ends the wait.
    await this.untilDeadline(Promise.all(settled));
    // Segments come through their own comlink proxy channel, which is not ordered with the
    // run() reply: wait for the ones the encoder says it sent.
    const sent = (encodeResult as EncodeResult | null)?.segments ?? 0;
    if (this.segments.length < sent) await this.untilSegments(sent, SEGMENT_DELIVERY_MS);
  }

  private untilSegments(count: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const check = () => this.segments.length >= count && done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.addEventListener('segment', check);
    });
  }

  /** A method, not a field test, so TypeScript does not narrow `phase` across awaits. */
  private stopRequested(): boolean {
    return this.phase === 'stopping' || this.stageErrors.size > 0;
  }

  private untilDeadline<T>(promise: Promise<T>): Promise<T | null> {
    return Promise.race([promise, this.deadline.then(() => null)]);
  }

  private createShared(source: FrameSize): PipelineShared {
    const capacity = this.options.linkCapacity;
    const nativeBytes = i420Layout(source.width, source.height).byteLength;
    const largestTarget = Math.max(...ladderSizes(source).map((s) => i420Layout(s.width, s.height).byteLength));
    // Link A holds native frames, link B target frames; during a switch two size classes of
    // link B coexist. Reserve for that; the arena grows if a storm needs more.
    const initialBytes = (capacity + 2) * nativeBytes + 2 * (capacity + 2) * largestTarget;
    const arena = FrameArena.create({ initialBytes, maxBytes: Math.max(initialBytes * 4, 256 * 1024 * 1024) });
    const metrics = Metrics.create();
    const control = ControlBlock.create(this.options.pacing);
    if (this.options.fault) control.injectFault(StageId[this.options.fault.stage], this.options.fault.frameIndex);
    this.control = control;
    this.switchLog = new SwitchLog();
    const mode = this.options.mode;
    return {
      arena: arena.shared,
      linkA: createLink(arena, { name: 'decode→scale', mode, capacity, producer: StageId.decode, consumer: StageId.scale }),
      linkB: createLink(arena, { name: 'scale→encode', mode, capacity, producer: StageId.scale, consumer: StageId.encode, preview: true, sink: true }),
      metrics: metrics.shared,
      control: control.buffer,
      switchLog: this.switchLog.buffer,
    };
  }

  private spawn<K extends StageKind>(kind: K): StageWorker<K> {
    const worker = this.host.spawn(kind);
    liveWorkers++;
    const tracked: StageWorker<K> = {
      api: worker.api,
      terminate: () => {
        worker.terminate();
        liveWorkers--;
      },
    };
    this.workers.push(tracked as unknown as StageWorker<StageKind>);
    return tracked;
  }

  private recordFailure(stage: StageKind | 'setup', error: unknown): void {
    const name = error instanceof Error ? error.name : '';
    if (name === 'StageStopped') return;
    if (!this.stageErrors.has(stage)) this.stageErrors.set(stage, error instanceof Error ? error.message : String(error));
    // First failure wins the control block; then wake every waiter on both sides of both
    // links so no stage hangs on a dead neighbour.
    if (this.control && stage !== 'setup') this.control.markFailed(StageId[stage]);
    else this.control?.requestStop();
    if (this.shared) {
      failLink(this.shared.linkA, LINK_FAILED);
      failLink(this.shared.linkB, LINK_FAILED);
    }
    this.startGracePeriod();
  }

  /**
   * The failure to report: the stage that failed first marked itself in the control block
   * (a neighbour's error about the failed link is a consequence, not the cause).
   */
  private chooseFailure(): RunFailure | null {
    const failed = this.control?.failedStage ?? -1;
    const first = STAGE_KINDS.find((kind) => StageId[kind] === failed);
    const stage = first && this.stageErrors.has(first) ? first : this.stageErrors.keys().next().value;
    if (stage === undefined) return null;
    return { stage, message: this.stageErrors.get(stage)! };
  }


  private terminateWorkers(): void {
    for (const worker of this.workers.splice(0)) worker.terminate();
  }

  private setPhase(phase: RunPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.dispatchEvent(new CustomEvent('phase', { detail: phase }));
  }
}
