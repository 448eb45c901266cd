/**
 * The real engine: `PipelineRun` in module workers, seen through the UI's `UiRun` seam.
 * Reads the run's shared memory (metrics block, arena, control block) from the main thread.
 */
import { DEFAULT_WEBCODECS_OPTIONS } from '../codec/backends.ts';
import { Metrics } from '../metrics/metrics-block.ts';
import { StageId } from '../metrics/stages.ts';
import { FrameArena } from '../pool/arena.ts';
import { FramePool } from '../pool/frame-pool.ts';
import { PreviewReader } from '../pool/link.ts';
import { liveStageWorkers, PipelineRun, probeInput } from '../pipeline/controller.ts';
import { browserHost } from '../pipeline/browser-host.ts';
import { buildRunReport } from '../pipeline/run-report.ts';
import type { LadderRung } from '../pipeline/ladder.ts';
import type { Engine, PoolMemory, PreviewFrame, RunSettings, SegmentView, SlowSlot, UiRun } from './engine.ts';
import { DiskOutput, keepOutput } from './output-store.ts';
import type { EncodedSegment } from '../pipeline/segment-collector.ts';

class RealRun extends EventTarget implements UiRun {
  readonly settings: RunSettings;
  private readonly inner: PipelineRun;
  private metricsView: Metrics | null = null;
  private arena: FrameArena | null = null;
  private tap: PreviewReader | null = null;
  private tapTried = false;
  private pools: FramePool[] | null = null;
  private readonly segmentViews: SegmentView[] = [];
  /** The run's output on disk (OPFS), when the page keeps output there and it opened. */
  private disk: DiskOutput | null = null;
  private readonly onDisk = keepOutput.value === 'disk';
  /** Segments handed to the UI, in order (reading one back from disk is asynchronous). */
  private delivered: Promise<void> = Promise.resolve();
  private lostSegments = 0;
  private outputNotice: string | null = null;
  /** One per run, so the list removes a run's files once however many segments it shows. */
  private readonly discardRun = (): Promise<void> => this.disk?.remove() ?? Promise.resolve();

  constructor(input: File, settings: RunSettings) {
    super();
    this.settings = settings;
    const { framesInFlight, ...options } = settings;
    this.inner = new PipelineRun(browserHost, input, { ...options, linkCapacity: framesInFlight });
    this.inner.addEventListener('phase', (e) => {
      const phase = (e as CustomEvent).detail as string;
      // The end is told once every segment is listed (a disk segment is read back first).
      if (phase === 'done' || phase === 'failed') void this.delivered.then(() => this.forward('phase', phase));
      else this.forward('phase', phase);
    });
    this.inner.addEventListener('info', (e) => this.forward('info', (e as CustomEvent).detail));
    this.inner.addEventListener('segment', (e) => this.list((e as CustomEvent<EncodedSegment>).detail));
  }

  /** A closed segment into the list: a Blob of its chunks, or its file read back from disk. */
  private list(s: EncodedSegment): void {
    const disk = this.disk;
    // In memory the bytes go into a Blob (the browser keeps its data outside this page's heap)
    // and the chunks are let go, so the page does not hold the output twice.
    const data = disk ? disk.finish(s.index, s.mimeType) : Promise.resolve({ data: new Blob(s.chunks as Uint8Array<ArrayBuffer>[], { type: s.mimeType }), onDisk: false });
    s.chunks.length = 0;
    this.delivered = this.delivered.then(() => data).then((kept) => {
      if (!kept) {
        this.lostSegments++;
        return;
      }
      const view: SegmentView = {
        index: s.index, width: s.width, height: s.height, frames: s.frames,
        data: kept.data, byteLength: s.byteLength,
        fileName: s.fileName, mimeType: s.mimeType, reinitMs: s.reinitMs, gapMs: s.gapMs,
        storage: kept.onDisk ? 'disk' : 'memory', ...(disk ? { discardRun: this.discardRun } : {}),
      };
      this.segmentViews.push(view);
      this.forward('segment', view);
    });
  }

  /** Opens the run's disk output when the page keeps output on disk; a failure keeps it in memory, with a notice. */
  private async openDisk(): Promise<void> {
    if (!this.onDisk) return;
    try {
      this.disk = await DiskOutput.open();
      this.inner.segmentSink = this.disk;
    } catch (error) {
      this.outputNotice = `This run's output could not go to the browser's disk store (OPFS: ${error instanceof Error ? error.message : String(error)}), so it is kept in memory; a very long run may then run out of memory. Check the site's storage permission or free disk space, or choose Keep output: in memory.`;
    }
  }

  /** After the run: says what went wrong with the disk output, if anything. */
  private noteDiskOutcome(): void {
    const disk = this.disk;
    if (!disk) return;
    if (disk.failure !== null) {
      this.outputNotice = `Writing this run's output to the browser's disk store (OPFS) failed (${disk.failure}), so the segments from then on are kept in memory` +
        (this.lostSegments > 0 ? `, and ${this.lostSegments === 1 ? 'one segment' : `${this.lostSegments} segments`} could not be read back and ${this.lostSegments === 1 ? 'is' : 'are'} missing from the list` : '') +
        '. Free disk space, or choose Keep output: in memory.';
    }
    if (this.segmentViews.length === 0) void disk.remove().catch(() => {}); // nothing to list: nothing to keep
  }

  private forward(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  get phase() { return this.inner.phase; }
  get info() { return this.inner.info; }
  get failure() { return this.inner.failure; }
  get notice() {
    const notes = [this.inner.notice, this.outputNotice].filter((n): n is string => n !== null);
    return notes.length > 0 ? notes.join(' ') : null;
  }
  get segments() { return this.segmentViews; }
  get ladder() { return this.inner.ladder; }
  get startedAt() { return this.inner.startedAt; }
  get endedAt() { return this.inner.endedAt; }

  async run() {
    await this.openDisk();
    const phase = await this.inner.run();
    await this.delivered;
    this.noteDiskOutcome();
    return phase;
  }

  get heldAtEnd() { return this.inner.heldAtEnd; }
  get heldAfterReclaim() { return this.inner.heldAfterReclaim; }
  get heldSlotsAtEnd() {
    const held = this.inner.heldAtEnd;
    return held ? held.decode + held.scale + held.encode : null;
  }

  slowSlots(deadlineMs: number): SlowSlot[] {
    const shared = this.inner.shared;
    if (!shared || this.inner.phase !== 'running') return [];
    this.arena ??= FrameArena.attach(shared.arena);
    this.pools ??= [shared.linkA, shared.linkB].map((l) => FramePool.attach(l.pool, null, { countReuse: false, arena: this.arena! }));
    const now = performance.timeOrigin + performance.now();
    const out: SlowSlot[] = [];
    for (const [i, pool] of this.pools.entries()) {
      const link = i === 0 ? shared.linkA.name : shared.linkB.name;
      for (const leak of pool.findLeaks(now, deadlineMs)) {
        out.push({ link, stage: leak.stageName, frameIndex: leak.frameIndex, heldForMs: leak.heldForMs });
      }
    }
    return out;
  }

  release() {
    this.tap = null;
    this.pools = null;
    this.arena = null;
    this.inner.release();
  }
  stop() { this.inner.stop(); }
  requestRung(rung: LadderRung) { this.inner.requestRung(rung); }
  switches() { return this.inner.switches(); }

  metrics(): Metrics | null {
    const shared = this.inner.metricsShared;
    if (!shared) return null;
    this.metricsView ??= Metrics.attach(shared);
    return this.metricsView;
  }

  pool(): PoolMemory | null {
    const shared = this.inner.shared;
    if (!shared) return null;
    this.arena ??= FrameArena.attach(shared.arena);
    const stats = this.arena.stats();
    // Counting off: the dashboard only reads stats, it must not look like a stage acquiring.
    this.pools ??= [shared.linkA, shared.linkB].map((l) => FramePool.attach(l.pool, null, { countReuse: false, arena: this.arena! }));
    let inUse = 0;
    for (const pool of this.pools) inUse += pool.stats().inUseBytes;
    return { committedBytes: stats.committedBytes, reservedBytes: stats.reservedBytes, inUseBytes: inUse };
  }

  wasmBytes(stage: 'decode' | 'scale' | 'encode'): number {
    const control = this.inner.control;
    if (!control) return NaN;
    const bytes = control.wasmBytes(StageId[stage]);
    return bytes > 0 ? bytes : NaN;
  }

  report(series: Record<string, ArrayLike<number>>) {
    return buildRunReport(this.inner, series);
  }

  sourceClock() {
    const startedAt = this.inner.control?.startedAt ?? 0;
    const rate = this.inner.info?.frameRate ?? 0;
    return startedAt > 0 && rate > 0 ? { startedAt, intervalMs: 1000 / rate } : null;
  }

  takePreview(): PreviewFrame | null {
    const shared = this.inner.shared;
    if (!shared) return null;
    if (!this.tapTried) {
      this.tapTried = true;
      try {
        const metrics = this.metrics();
        this.tap = metrics && shared.linkB.preview ? PreviewReader.attach(shared.linkB, metrics, { arena: this.arena ?? undefined }) : null;
      } catch {
        this.tap = null;
      }
    }
    const tap = this.tap;
    if (!tap) return null;
    const frame = tap.take();
    if (!frame) return null;
    return { width: frame.width, height: frame.height, data: frame.data, frameIndex: frame.frameIndex, release: () => tap.release(frame) };
  }
}

export const realEngine: Engine = {
  name: 'pipeline',
  probe: (input) => probeInput(browserHost, input),
  readableBy: (input, backend) => probeInput(browserHost, input, undefined, { name: backend, webcodecs: DEFAULT_WEBCODECS_OPTIONS })
    .then(() => null, (error: unknown) => (error instanceof Error ? error.message : String(error))),
  createRun: (input, settings) => new RealRun(input, settings),
  liveStageWorkers,
};
