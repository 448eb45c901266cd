import * as Comlink from 'comlink';
import { codecBackend, DEFAULT_WEBCODECS_OPTIONS, type CodecBackendSetup } from '../codec/backends.ts';
import { UNAVAILABLE_ENCODERS } from '../codec/ffmpeg-args.ts';
import type { MediaInfo } from '../codec/probe.ts';
import { failLink } from '../pool/link.ts';
import type { MetricsShared } from '../metrics/metrics-block.ts';
import { StageId } from '../metrics/stages.ts';
import type { ControlBlock } from './control-block.ts';
import { DROP_BOUND_INTERVALS } from './stages/live-drop.ts';
import { distinctRungs, rungSize, type FrameSize, type LadderRung } from './ladder.ts';
import type { PipelineShared, StagePorts } from './pipeline-shared.ts';
import type { RunInput, StageKind } from './stage-protocol.ts';
import type { SegmentClosedMessage, EncodeResult } from './stages/encode-stage.ts';
import { createOutputRing, OutputRingReader } from './output-ring.ts';
import { SegmentCollector, type EncodedSegment, type SegmentSink } from './segment-collector.ts';
import { seconds, SetupTimeout, StageStalled } from './stages/stage-errors.ts';
import { SwitchLog, type SwitchEvent } from './switch-log.ts';
import { createRunMemory, reclaimRunSlots } from './run-memory.ts';
import { startWatchdog } from './watchdog.ts';
import type { EncoderReplacement, RunFailure, RunOptions, RunPhase, StageResults } from './run-options.ts';
import { call, DEFAULT_SETUP_TIMEOUT_MS, track, whenReady, withTimeout, type PipelineHost, type TrackedWorker } from './run-workers.ts';

export type { EncoderReplacement, RunFailure, RunOptions, RunPhase, StageResults } from './run-options.ts';
export { DEFAULT_SETUP_TIMEOUT_MS, liveStageWorkers, probeInput, type PipelineHost, type StageWorker } from './run-workers.ts';

const STAGE_KINDS: readonly StageKind[] = ['decode', 'scale', 'encode'];
/**
 * The promise: a stop, or a failure (a dead worker included), ends the run this long (ms)
 * after it was asked for or noticed. The steps below fit inside it by construction.
 */
export const END_WITHIN_MS = 1000;
/** Stages get this long to end by themselves; then their workers are terminated. */
const END_GRACE_MS = 750;
/** Segments still on their way are waited for until this long after the end began; later ones are reported lost. */
const END_DELIVERY_MS = 900;
/** Internal event: a finished segment reached the page (kept or empty). */
const ARRIVED = 'segment-arrived';
/** How long finished segments may take to arrive after an encoder returned by itself (no end requested). */
const SEGMENT_DELIVERY_MS = 2000;
/** Failure code the controller puts on links when a stage fails. */
const LINK_FAILED = 9;
const DEFAULT_LINK_CAPACITY = 6;
export const DEFAULT_STALL_TIMEOUT_MS = 5000;
export const DEFAULT_WASM_BUDGET_BYTES = 1024 * 1024 * 1024;

/**
 * One run of the pipeline: builds workers and shared memory, starts the stages, and ends
 * them (done, stopped or failed) leaving no worker behind and no slot held. Every wait is
 * bounded: setup steps by `setupTimeoutMs`, running stages by the watchdog, a stop or a
 * failure by a grace period after which workers are terminated. Events: `phase`, `segment`, `info`.
 */
export class PipelineRun extends EventTarget {
  phase: RunPhase = 'idle';
  info: MediaInfo | null = null;
  failure: RunFailure | null = null;
  /** Something the user should know about a run that otherwise worked (e.g. the file ended early). */
  notice: string | null = null;
  /** The decoder reached the end of the input before the input's declared end (truncated file). */
  endedEarly = false;
  readonly segments: EncodedSegment[] = [];
  /** Where segment chunks go as they arrive (e.g. the page's disk store); null: kept in `segments`. Set before run(). */
  segmentSink: SegmentSink | null = null;
  /** Segments that closed with no frame (the *drop* policy let every frame of their size go): not kept. */
  emptySegments = 0;
  /** Their sizes ("1280×720"), for the notice. */
  private readonly emptySizes = new Set<string>();
  readonly encoderReplacements: EncoderReplacement[] = [];
  /** The most encoded bytes that ever waited for the page in one encoder lane's output ring. */
  get outputRingPeakBytes(): number {
    return this.outputRings.reduce((peak, { ring }) => Math.max(peak, ring.peakBytes()), this.endedRingPeak);
  }
  /** Slot references taken back from stages at the end (non-zero after a stop, failure or lost worker). */
  reclaimedRefs = 0;
  /**
   * Slot references each stage still held when the run ended, measured after its workers were
   * gone and BEFORE they were taken back: after a run that finished by itself, anything here
   * is a leak (the preview's one mailbox frame is not counted). Null before the end.
   */
  heldAtEnd: Record<StageKind, number> | null = null;
  /** Slots still held after the reclaim (0 unless the reclaim itself is broken). Null before the end. */
  heldAfterReclaim: number | null = null;
  /** The pool was thrown away instead of reclaimed (a worker died holding its lock). */
  poolDiscarded = false;
  readonly options: Required<RunOptions>;
  /** The run's shared memory; null before setup and after release(). */
  shared: PipelineShared | null = null;
  /** The metrics block (kept after release()). */
  metricsShared: MetricsShared | null = null;
  control: ControlBlock | null = null;
  ladder: { rung: LadderRung; size: FrameSize }[] = [];
  startedAt = 0;
  endedAt = 0;
  stageResults: Partial<StageResults> = {};

  private readonly host: PipelineHost;
  private readonly input: RunInput;
  private readonly workers: TrackedWorker<StageKind>[] = [];
  /** The controller's ends of the encoders' output channels (closed with the workers). */
  private readonly outputPorts: MessagePort[] = [];
  /** The lanes' output rings while the run goes; at its end only their peak stays (the page keeps ended runs). */
  /** Each encoder lane's output ring, and the function that stops the page following it. */
  private readonly outputRings: { ring: OutputRingReader; unfollow: () => void }[] = [];
  private endedRingPeak = 0;
  private switchLog: SwitchLog | null = null;
  private readonly stageErrors = new Map<StageKind | 'setup', string>();
  /** Resolves when the run must end now, finished or not (grace period after stop or failure). */
  private readonly deadline: Promise<void>;
  private endNow: () => void = () => {};
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  /** Resolves END_DELIVERY_MS after the end began: no segment is waited for past it. */
  private readonly deliveryCutoff: Promise<void>;
  private cutDelivery: () => void = () => {};
  private deliveryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Stages whose run call is pending; the watchdog watches these. */
  private readonly activeStages = new Set<StageKind>();
  /** Stages being replaced (worker loading): the setup timeout covers them, not the watchdog. */
  private readonly replacing = new Set<StageKind>();
  /** stop() came before run(): run() ends as soon as it starts. */
  private stopBeforeStart = false;

  constructor(host: PipelineHost, input: RunInput, options: RunOptions) {
    super();
    this.host = host;
    this.input = input;
    this.options = {
      linkCapacity: DEFAULT_LINK_CAPACITY, fault: null, encoders: 2, livePolicy: 'block', backend: 'ffmpeg', webcodecs: DEFAULT_WEBCODECS_OPTIONS,
      stallTimeoutMs: DEFAULT_STALL_TIMEOUT_MS, setupTimeoutMs: DEFAULT_SETUP_TIMEOUT_MS,
      wasmBudgetBytes: DEFAULT_WASM_BUDGET_BYTES,
      ...options,
    };
    // A backend whose encoder does not block its worker switches inside one worker.
    this.options.encoders = Math.min(this.options.encoders, codecBackend(this.options.backend).maxEncoderLanes) as 1 | 2;
    this.deadline = new Promise((resolve) => { this.endNow = resolve; });
    this.deliveryCutoff = new Promise((resolve) => { this.cutDelivery = resolve; });
  }

  /** Runs to the end; resolves with the final phase ('done' or 'failed'), never rejects. */
  async run(): Promise<RunPhase> {
    this.startedAt = performance.timeOrigin + performance.now();
    this.setPhase('starting');
    if (this.stopBeforeStart) this.stop(); // asked before run() (e.g. while the page opened its output files)
    try {
      await this.runStages();
    } catch (error) {
      this.recordFailure('setup', error);
    } finally {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      if (this.deliveryTimer) clearTimeout(this.deliveryTimer);
      this.terminateWorkers();
      this.reclaimOrDiscard();
      this.endedAt = performance.timeOrigin + performance.now();
      this.failure = this.chooseFailure();
      this.noteEndedEarly();
      this.noteHeldFrames();
      this.setPhase(this.failure ? 'failed' : 'done');
    }
    return this.phase;
  }

  /** Asks every stage to stop; the run ends (gracefully, or by termination) within END_WITHIN_MS. */
  stop(): void {
    if (this.phase === 'idle') {
      // Not started yet: run() ends at once when it is called (a Stop is never lost).
      this.stopBeforeStart = true;
      return;
    }
    if (this.phase !== 'running' && this.phase !== 'starting') return;
    this.setPhase('stopping');
    this.control?.requestStop();
    this.startGracePeriod();
  }

  /**
   * Lets go of a finished run's frame memory (arena, pools, preview tap): a run that has
   * ended keeps only its results, metrics block and segments. No-op while it runs.
   */
  release(): void {
    if (this.phase !== 'done' && this.phase !== 'failed') return;
    this.shared = null;
  }

  /** Starts the end's clock (once): stages get END_GRACE_MS to end by themselves, then their workers are terminated. */
  private startGracePeriod(): void {
    this.graceTimer ??= setTimeout(() => this.endNow(), END_GRACE_MS);
    this.deliveryTimer ??= setTimeout(() => this.cutDelivery(), END_DELIVERY_MS);
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
    if (this.stopRequested()) return; // stopped before it began: no worker, no memory
    const backend = codecBackend(this.options.backend);
    const setup: CodecBackendSetup = { name: backend.name, webcodecs: this.options.webcodecs };
    const unavailable = backend.name === 'ffmpeg' ? UNAVAILABLE_ENCODERS[this.options.codec] : undefined;
    if (unavailable) throw new Error(unavailable);
    const setupMs = this.options.setupTimeoutMs;
    const module = backend.usesCodecModule
      ? await this.setupStep('setup', withTimeout(this.host.warmCodecModule?.() ?? this.host.codecModule(), setupMs,
        () => new SetupTimeout(`Loading the codec did not finish within ${seconds(setupMs)}, so the run was ended. Reload the page and try again.`)))
      : await this.setupStep('setup', this.codecWarmupSettled(setupMs));
    if (!module) return;
    const decode = this.spawn('decode');
    // A failure here is usually the file (not a video, …): the message is for the user.
    const opened = await this.setupStep('decode', this.openTimed(decode, whenReady(decode, decode.api.open(module.value, this.input, setup)),
      'the decode stage opening the file', 'The file may be damaged: try another file.'));
    if (!opened) return;
    const info = opened.value;
    this.info = info;
    this.dispatchEvent(new CustomEvent('info', { detail: info }));
    if (this.stopRequested()) return;

    const source = { width: info.displayWidth, height: info.displayHeight };
    const rungs = distinctRungs(source);
    this.ladder = rungs.map((rung) => ({ rung, size: rungSize(rung, source) }));
    const shared = this.createShared(source);
    this.shared = shared;
    if (this.options.pacing === 'realtime' && this.options.livePolicy === 'drop') this.control!.dropAfterMs = DROP_BOUND_INTERVALS * 1000 / info.frameRate;

    const scale = this.spawn('scale');
    const encoders = Array.from({ length: this.options.encoders }, () => this.spawn('encode'));
    for (const encode of encoders) {
      if (!await this.setupStep('encode', this.openTimed(encode, whenReady(encode, encode.api.open(module.value, setup)), 'the encode stage loading its codec', 'Try again.'))) return;
    }
    if (!await this.setupStep('scale', this.openTimed(scale, scale.ready, 'the scale stage starting', 'Try again.'))) return;
    if (this.stopRequested()) return;
    this.setPhase('running');

    const collector = new SegmentCollector((segment) => {
      // Two encoders may close segments out of order (a one-frame segment after a long one).
      let at = this.segments.length;
      while (at > 0 && this.segments[at - 1]!.index > segment.index) at--;
      this.segments.splice(at, 0, segment);
      this.dispatchEvent(new CustomEvent('segment', { detail: segment }));
      this.dispatchEvent(new Event(ARRIVED));
    }, this.segmentSink, (empty) => {
      this.emptySegments++;
      this.emptySizes.add(`${empty.width}×${empty.height}`);
      this.dispatchEvent(new Event(ARRIVED));
    });
    // A mode that moves frames to the scaler by message gets link A a channel, one end each.
    const channel = shared.linkA.transport === 'transfer' ? new MessageChannel() : null;
    const ports = (port: MessagePort | undefined): StagePorts => (port ? Comlink.transfer({ linkA: port }, [port]) : {});
    const settled = [
      this.settle('encode', Promise.all(encoders.map((encode, lane) => this.encodeAll(encode, module.value, setup, shared, info.frameRate, collector, lane)))
        .then((lanes) => lanes.reduce((sum, r) => ({ frames: sum.frames + r.frames, segments: sum.segments + r.segments, endedBy: r.endedBy === 'end' ? sum.endedBy : r.endedBy, wasmBytes: Math.max(sum.wasmBytes, r.wasmBytes) })))),
      this.settle('scale', call(scale, scale.api.run(shared, { source, rungs, startRung: this.options.startRung, schedule: this.options.schedule }, ports(channel?.port2)))),
      this.settle('decode', call(decode, decode.api.run(shared, ports(channel?.port1)))),
    ];
    const stopWatchdog = this.startWatchdog();
    try {
      // A hung stage is failed by the watchdog; a dead one by its worker's exit; then the
      // grace period's deadline ends the wait for anything that still does not answer.
      await this.untilDeadline(Promise.all(settled));
    } finally {
      stopWatchdog();
    }
    // Segments come through their own comlink proxy channel, which is not ordered with the
    // run() reply: wait for the ones the encoder finished. Once the end has begun, only for
    // what is left of END_DELIVERY_MS; what has not arrived by then is reported lost.
    const finished = Math.max(this.stageResults.encode?.segments ?? 0, this.control?.segmentCount ?? 0);
    await this.untilSegments(finished);
    const lost = finished - this.segmentsArrived();
    if (lost > 0) {
      this.addNotice(`${lost === 1 ? 'One finished segment' : `${lost} finished segments`} did not reach the page before the run had to end, so ${lost === 1 ? 'it is' : 'they are'} missing from the list. The segments shown are complete.`);
    }
    if (this.emptySegments > 0) {
      const n = this.emptySegments;
      const sizes = [...this.emptySizes].join(', ');
      this.addNotice(`The encoders fell more than ${DROP_BOUND_INTERVALS} frame intervals behind for every frame of ${n === 1 ? 'one stretch' : `${n} stretches`} (${sizes}), so ${n === 1 ? 'its frames were' : 'their frames were'} all dropped and ${n === 1 ? 'its segment, which held no frame, is' : 'their segments, which held no frame, are'} not in the output list.`);
    }
  }


  /** Tracks a running stage (for the watchdog) until it returns its result or fails. */
  private async settle<K extends StageKind>(kind: K, promise: Promise<StageResults[K]>): Promise<void> {
    this.activeStages.add(kind);
    try {
      this.stageResults[kind] = await promise;
    } catch (error) {
      this.recordFailure(kind, error);
    } finally {
      this.activeStages.delete(kind);
    }
  }

  /**
   * Runs the encode stage to the end of its input, replacing its worker whenever it returns
   * over its WASM budget. The worker returns between segments with the next frame still
   * queued on link B (it peeks before it takes), so the fresh worker starts at that frame.
   */
  private async encodeAll(first: TrackedWorker<'encode'>, module: WebAssembly.Module | null, setup: CodecBackendSetup, shared: PipelineShared,
    frameRate: number, collector: SegmentCollector, lane: number): Promise<EncodeResult> {
    let worker = first;
    const total: EncodeResult = { frames: 0, segments: 0, endedBy: 'end', wasmBytes: 0 };
    // One ring per lane, kept across worker replacements (a replacement writes on where the last stopped).
    const outputRing = createOutputRing();
    const ring = new OutputRingReader(outputRing);
    const takeChunk = (segment: number, bytes: Uint8Array) => collector.take({ kind: 'chunk', segment, bytes });
    this.outputRings.push({ ring, unfollow: ring.follow(takeChunk, (error) => this.recordFailure('encode', error)) });
    for (;;) {
      const plan = { codec: this.options.codec, frameRate, segmentIndexBase: total.segments, wasmBudgetBytes: this.options.wasmBudgetBytes, lanes: this.options.encoders, lane, outputRing };
      // Each encode worker sends its segments' closes on a channel of its own. A segment's
      // chunks were all written to the ring before its close was sent: take them first.
      const output = new MessageChannel();
      output.port1.onmessage = (event: MessageEvent<SegmentClosedMessage>) => {
        ring.drain(takeChunk);
        collector.take(event.data);
      };
      this.outputPorts.push(output.port1);
      const result = await call(worker, worker.api.run(shared, plan, Comlink.transfer({ output: output.port2 }, [output.port2])));
      total.frames += result.frames;
      total.segments += result.segments;
      total.endedBy = result.endedBy;
      total.wasmBytes = result.wasmBytes;
      if (result.warmOpens !== undefined) total.warmOpens = (total.warmOpens ?? 0) + result.warmOpens;
      if (result.endedBy !== 'budget' || this.stopRequested()) return total;

      this.replacing.add('encode');
      const startedAt = performance.now();
      // The retired worker's segments must arrive before it goes (its port closes with it).
      await this.untilSegments(total.segments);
      // Stopped or failed meanwhile (the run may even have ended): start no new worker.
      if (this.stopRequested()) return total;
      worker.terminate();
      worker = this.spawn('encode');
      const opened = await this.setupStep('encode', this.openTimed(worker, whenReady(worker, worker.api.open(module, setup)), 'the replacement encode stage loading its codec', 'Try again.'));
      this.replacing.delete('encode');
      if (!opened) return total;
      this.encoderReplacements.push({ afterSegments: total.segments, wasmBytes: result.wasmBytes, ms: performance.now() - startedAt });
    }
  }

  /** A worker's setup call, failing if the worker dies or takes longer than `setupTimeoutMs`. */
  private openTimed<T>(worker: TrackedWorker<StageKind>, promise: Promise<T>, what: string, hint: string): Promise<T> {
    const ms = this.options.setupTimeoutMs;
    return withTimeout(call(worker, promise), ms, () => new SetupTimeout(`${what} did not finish within ${seconds(ms)}, so the run was ended. ${hint}`));
  }

  /** A codec warm-up already under way, waited for at most `capMs` (then the run goes on): its CPU would land in this run's first frames. */
  private async codecWarmupSettled(capMs: number): Promise<null> {
    const settled = this.host.codecWarmupSettled?.();
    if (settled) await withTimeout(settled, capMs, () => new Error('codec warm-up still running')).catch(() => undefined);
    return null;
  }

  /** Awaits a setup step: its value, or null if it failed (recorded) or the run must end now. */
  private async setupStep<T>(stage: StageKind | 'setup', promise: Promise<T>): Promise<{ value: T } | null> {
    try {
      const value = await Promise.race([promise.then((v) => ({ value: v })), this.deadline.then(() => null)]);
      return value;
    } catch (error) {
      this.recordFailure(stage, error);
      return null;
    }
  }

  /** The stall watchdog over the stages running now (watchdog.ts). Returns a stop function. */
  private startWatchdog(): () => void {
    return startWatchdog(this.control!, this.options.stallTimeoutMs, (kind) => this.phase === 'running' && this.activeStages.has(kind) && !this.replacing.has(kind),
      (kind) => this.recordFailure(kind, new StageStalled(kind, this.options.stallTimeoutMs)));
  }

  /** Waits for `count` segments: at most SEGMENT_DELIVERY_MS, and never past the end's delivery cutoff. */
  private untilSegments(count: number): Promise<void> {
    if (this.segmentsArrived() >= count) return Promise.resolve();
    return Promise.race([this.deliveryCutoff, new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        if (this.segmentsArrived() < count && timer !== undefined) return;
        clearTimeout(timer);
        this.removeEventListener(ARRIVED, check);
        resolve();
      };
      timer = setTimeout(() => { timer = undefined; check(); }, SEGMENT_DELIVERY_MS);
      this.addEventListener(ARRIVED, check);
    })]);
  }

  /** Segments the encoders finished that reached the page: kept, or let go for having no frame. */
  private segmentsArrived(): number {
    return this.segments.length + this.emptySegments;
  }

  /** A method, not a field test, so TypeScript does not narrow `phase` across awaits. */
  private stopRequested(): boolean {
    return this.phase === 'stopping' || this.stageErrors.size > 0 || this.graceTimer !== null;
  }

  private untilDeadline<T>(promise: Promise<T>): Promise<T | null> {
    return Promise.race([promise, this.deadline.then(() => null)]);
  }

  private createShared(source: FrameSize): PipelineShared {
    const memory = createRunMemory(this.options, this.ladder, source);
    this.control = memory.control;
    this.switchLog = memory.switchLog;
    this.metricsShared = memory.shared.metrics;
    return memory.shared;
  }

  private spawn<K extends StageKind>(kind: K): TrackedWorker<K> {
    const worker = track(this.host, kind);
    this.workers.push(worker);
    return worker;
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

  private noteEndedEarly(): void {
    const decoded = this.stageResults.decode;
    if (!decoded?.endedEarly) return;
    this.endedEarly = true;
    this.addNotice(decoded.expectedFrames !== null && decoded.frames < decoded.expectedFrames
      ? `The file ended early: ${decoded.frames} of the ${decoded.expectedFrames} frames it declares could be decoded, so it looks cut short. The frames before the cut were processed; for the rest, use the complete file.`
      : `The file ended early: the decoder stopped at a damaged part after ${decoded.frames} frames. The frames before it were processed; for the rest, use an undamaged copy.`);
  }

  /** WebCodecs with frames held open: says whether this browser's decoder stalled for it (a stall fails the run with its own sentence). */
  private noteHeldFrames(): void {
    const outcome = this.stageResults.decode?.heldFrames;
    if (!outcome || outcome.held === 0 || this.failure) return;
    this.addNotice(`This run held up to ${outcome.held} decoded frame${outcome.held === 1 ? '' : 's'} open and the browser's decoder did not stall ` +
      `(at most ${outcome.maxDecodeQueue} chunk${outcome.maxDecodeQueue === 1 ? '' : 's'} waited in it): on this browser and decoder, holding that many is not the hazard it is where the decoder has a small fixed frame pool (w3c/webcodecs#612). ` +
      'The held frames\' memory is native: it shows in the OS figures (npm run lab), not in this page\'s charts.');
  }

  private addNotice(text: string): void {
    this.notice = this.notice ? `${this.notice} ${text}` : text;
  }

  private terminateWorkers(): void {
    for (const worker of this.workers.splice(0)) worker.terminate();
    for (const port of this.outputPorts.splice(0)) {
      port.onmessage = null; // its handler holds the lane's ring
      port.close();
    }
    this.endedRingPeak = this.outputRingPeakBytes;
    for (const { unfollow } of this.outputRings.splice(0)) unfollow(); // a pending wait holds its ring
  }

  /**
   * Reclaims the run's slots; if that cannot be done because a dead worker left a pool's lock
   * held, the pool is discarded instead (this run's memory is never reused), so run() still
   * resolves. The main thread spins at most SPIN_LOCK_DEADLINE_MS for such a lock.
   */
  private reclaimOrDiscard(): void {
    try {
      this.reclaimSlots();
    } catch (error) {
      this.poolDiscarded = true;
      this.shared = null;
      if (this.stageErrors.size === 0) {
        this.stageErrors.set('setup', `A worker stopped while it held the frame pool's lock, so the run's frame memory was discarded (${error instanceof Error ? error.message : String(error)}). Start again.`);
      }
    }
  }

  /** With every worker gone: the leak check, then every slot reference taken back (run-memory.ts). */
  private reclaimSlots(): void {
    const outcome = reclaimRunSlots(this.shared);
    this.heldAtEnd = outcome.heldAtEnd;
    this.heldAfterReclaim = outcome.heldAfterReclaim;
    this.reclaimedRefs += outcome.reclaimedRefs;
  }

  private setPhase(phase: RunPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.dispatchEvent(new CustomEvent('phase', { detail: phase }));
  }
}
