/**
 * A stand-in engine for working on the dashboard while the pipeline is unavailable: it writes
 * plausible numbers into a real metrics block on a timer. Dev server only (`?fake`); never
 * in the production build.
 */
import { Metrics, StageCounter } from '../metrics/metrics-block.ts';
import { StageId } from '../metrics/stages.ts';
import type { MediaInfo } from '../codec/probe.ts';
import type { RunPhase, RunFailure } from '../pipeline/controller.ts';
import { distinctRungs, rungSize, type LadderRung } from '../pipeline/ladder.ts';
import type { SwitchEvent } from '../pipeline/switch-log.ts';
import type { Engine, PoolMemory, PreviewFrame, RunSettings, SegmentView, UiRun } from './engine.ts';

const now = (): number => performance.timeOrigin + performance.now();

class FakeRun extends EventTarget implements UiRun {
  phase: RunPhase = 'idle';
  info: MediaInfo | null = null;
  failure: RunFailure | null = null;
  segments: SegmentView[] = [];
  ladder: { rung: LadderRung; size: { width: number; height: number } }[] = [];
  startedAt = 0;
  endedAt = 0;
  private readonly m = Metrics.create();
  private readonly log: SwitchEvent[] = [];
  private frame = 0;
  private size = { width: 854, height: 480 };
  private segStart = 0;
  private stopFlag = false;
  private readonly preview = new Uint8Array(854 * 480 * 1.5);

  constructor(private readonly file: File, readonly settings: RunSettings) { super(); }

  private setPhase(p: RunPhase): void { this.phase = p; this.dispatchEvent(new CustomEvent('phase', { detail: p })); }

  async run(): Promise<RunPhase> {
    this.startedAt = now();
    this.setPhase('starting');
    await new Promise((r) => setTimeout(r, 300));
    if (!this.file.name.endsWith('.mp4')) {
      this.failure = { stage: 'decode', message: 'This file has no video stream ffmpeg can read. Choose a video file (MP4, WebM, MKV, MOV).' };
      this.endedAt = now();
      this.setPhase('failed');
      return 'failed';
    }
    const source = { width: 1280, height: 720 };
    this.info = { videoCodec: 'h264', width: 1280, height: 720, pixelFormat: 'yuv420p', frameRate: 30, durationSec: 10, frameCount: 300, rotation: 0, displayWidth: 1280, displayHeight: 720, sampleAspectRatio: 1, hasAudio: true, container: 'mp4' };
    this.dispatchEvent(new CustomEvent('info', { detail: this.info }));
    if (this.phase === 'stopping') { this.endedAt = now(); this.setPhase('done'); return 'done'; }
    this.ladder = distinctRungs(source).map((rung) => ({ rung, size: rungSize(rung, source) }));
    this.size = rungSize(this.settings.startRung, source);
    this.setPhase('running');
    const pooled = this.settings.mode === 'pooled';
    while (this.frame < 300 && !this.stopFlag) {
      await new Promise((r) => setTimeout(r, 15));
      for (let k = 0; k < 2 && this.frame < 300; k++, this.frame++) {
        for (const s of [StageId.decode, StageId.scale, StageId.encode]) {
          this.m.count(s, StageCounter.frames);
          if (pooled && this.frame > 6) this.m.count(s, StageCounter.poolHits);
          else { this.m.countAllocation(s, this.size.width * this.size.height * 1.5); this.m.count(s, StageCounter.poolMisses); }
          if (!pooled) this.m.countCopy(s, this.size.width * this.size.height * 1.5);
        }
        const lat = 8 + Math.random() * 6 + (!pooled && Math.random() < 0.03 ? 40 : 0);
        this.m.recordEndToEnd(lat, this.frame, now());
        if (this.settings.schedule.kind === 'every' && this.frame > 0 && this.frame % this.settings.schedule.frames === 0) {
          const i = (this.ladder.findIndex((l) => l.size.height === this.size.height) + 1) % this.ladder.length;
          this.switchTo(this.ladder[i]!.size, false);
        }
      }
    }
    this.closeSegment();
    this.endedAt = now();
    this.setPhase('done');
    return 'done';
  }

  private switchTo(size: { width: number; height: number }, manual: boolean): void {
    this.closeSegment();
    this.log.push({ frameIndex: this.frame, requestedAt: now() - 3, firstOutAt: now(), from: this.size, to: size, manual });
    this.size = size;
  }

  private closeSegment(): void {
    const frames = this.frame - this.segStart;
    if (frames === 0) return;
    const seg: SegmentView = { index: this.segments.length, width: this.size.width, height: this.size.height, frames, bytes: new Uint8Array(frames * 900), fileName: `segment-${this.segments.length}.mp4`, mimeType: 'video/mp4', reinitMs: 20 + Math.random() * 10 };
    this.segments.push(seg);
    this.segStart = this.frame;
    this.dispatchEvent(new CustomEvent('segment', { detail: seg }));
  }

  stop(): void { this.stopFlag = true; if (this.phase === 'running' || this.phase === 'starting') this.setPhase('stopping'); }
  requestRung(rung: LadderRung): void { const e = this.ladder.find((l) => l.rung === rung); if (e) this.switchTo(e.size, true); }
  switches(): SwitchEvent[] { return [...this.log]; }
  metrics(): Metrics | null { return this.phase === 'idle' ? null : this.m; }
  pool(): PoolMemory { return { committedBytes: 12e6, reservedBytes: 9e6 + (this.frame % 20) * 1e5, inUseBytes: 4e6 + Math.random() * 1e6 }; }
  wasmBytes(stage: 'decode' | 'scale' | 'encode'): number { return stage === 'scale' ? NaN : 40e6 + this.segments.length * 1e5; }
  takePreview(): PreviewFrame | null {
    const { width, height } = this.size;
    const d = this.preview.subarray(0, width * height * 1.5);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) d[y * width + x] = (x + y + this.frame * 4) & 255;
    d.fill(128, width * height);
    return { width, height, data: d, frameIndex: this.frame, release: () => {} };
  }
}

export const fakeEngine: Engine = { name: 'fake', createRun: (f, s) => new FakeRun(f, s) };

