/**
 * The bench page's part of issue 13, what a switch costs the viewer: the switch schedules
 * (optionally kept to rungs up to `topRung`), each switch's figures from the app's own run
 * report, every frame's lateness at realtime, and the app's own output path (OPFS).
 */
import { LADDER_RUNGS, type LadderRung } from '../../src/pipeline/ladder.ts';
import type { PipelineRun } from '../../src/pipeline/controller.ts';
import type { PipelineRunReport } from '../../src/pipeline/run-report.ts';
import type { RecordedSwitch, SwitchSchedule } from '../../src/pipeline/switch-schedule.ts';
import { DiskOutput } from '../../src/ui/output-store.ts';
import type { BenchCaseConfig, BenchCaseResult } from '../protocol.ts';
import type { FrameLog } from './frame-log.ts';

/** Longest input a capped ladder is written out for (frames): 20 minutes at 30 fps. */
const CAPPED_LADDER_FRAMES = 36_000;

/** Ladder rungs up to `top` (LADDER_RUNGS order: smallest first). */
const rungsUpTo = (top: LadderRung): LadderRung[] => LADDER_RUNGS.slice(0, LADDER_RUNGS.indexOf(top) + 1);

export function scheduleFor(config: BenchCaseConfig): SwitchSchedule {
  switch (config.schedule ?? 'none') {
    case 'every30': return config.topRung ? cappedLadder(String(config.targetHeight) as LadderRung, config.topRung, 30) : { kind: 'every', frames: 30 };
    case 'storm': return { kind: 'storm', seed: 1, everyFrames: 1, maxSwitches: config.stormSwitches ?? 1000 };
    case 'none':
    case 'clicks': return { kind: 'manual' };
  }
}

/**
 * The ladder every `frames` frames as the app's `every` schedule walks it (up, then from the
 * bottom again), but only over rungs up to `top`: the app has no such schedule, so it is
 * written out as a recorded one (the scaler replays it by frame index, as any schedule).
 */
function cappedLadder(start: LadderRung, top: LadderRung, frames: number): SwitchSchedule {
  const rungs = rungsUpTo(top);
  const first = Math.max(0, rungs.indexOf(start));
  // allocates: once, before the run.
  const switches: RecordedSwitch[] = [];
  for (let i = 1; i * frames < CAPPED_LADDER_FRAMES; i++) switches.push({ frameIndex: i * frames, rung: rungs[(first + i) % rungs.length]! });
  return { kind: 'recorded', switches };
}

/** The rungs a "user" clicks through, in order: the run's ladder, up to `topRung` if set. */
export function clickRungs(run: PipelineRun, config: BenchCaseConfig): LadderRung[] {
  const allowed = config.topRung ? new Set(rungsUpTo(config.topRung)) : null;
  return run.ladder.map((entry) => entry.rung).filter((rung) => !allowed || allowed.has(rung));
}

/**
 * Per switch from the run report (request → scaler, → encoder, → first bytes, the encoder-side
 * gap) for switches at frame `leadIn` or later, as every latency figure leaves out the run's
 * first frames (the codecs' code still cold, their first start); the switches inside the lead-in
 * are counted and their first bytes kept apart (`leadIn`), to be shown beside. And the drops.
 */
export function switchFigures(report: PipelineRunReport, leadIn: number): Pick<BenchCaseResult, 'switches' | 'drops'> {
  type Switch = PipelineRunReport['switches'][number];
  const values = (of: readonly Switch[], pick: (s: Switch) => number | null): number[] =>
    of.map(pick).filter((ms): ms is number => ms !== null && Number.isFinite(ms) && ms >= 0);
  const after = report.switches.filter((s) => s.frameIndex >= leadIn);
  const early = report.switches.filter((s) => s.frameIndex < leadIn);
  const { total, byRung, boundMs, atEncoder } = report.drops;
  return {
    switches: {
      count: report.switches.length,
      manual: report.switches.filter((s) => s.manual).length,
      costMs: values(after, (s) => s.switchMs),
      toEncoderMs: values(after, (s) => s.toEncoderMs),
      toFirstBytesMs: values(after, (s) => s.toFirstBytesMs),
      gapMs: values(after, (s) => s.gapMs),
      leadIn: { frames: leadIn, count: early.length, toFirstBytesMs: values(early, (s) => s.toFirstBytesMs) },
    },
    drops: { total, byRung: byRung as Record<string, number>, boundMs, atEncoder },
  };
}

/**
 * The encoder-side gap where there is no switch: take → take of consecutive frames in one
 * segment (`opens`: each segment's first frame), from frame `from` on, ms. At realtime it is
 * the cadence plus the machine's jitter: what a switch's gap is to be read against.
 */
export function steadyGaps(log: FrameLog, opens: ReadonlySet<number>, from: number): number[] {
  const takes: [frame: number, t: number][] = []; // allocates: once, after the run
  log.forEach((t, _ms, frame) => { if (frame >= from) takes.push([frame, t]); });
  takes.sort((a, b) => a[0] - b[0]);
  const gaps: number[] = [];
  for (let i = 1; i < takes.length; i++) {
    const [frame, t] = takes[i]!;
    if (frame === takes[i - 1]![0] + 1 && !opens.has(frame)) gaps.push(t - takes[i - 1]![1]);
  }
  return gaps;
}

/**
 * Realtime lateness, as the app's page computes it: a frame taken by the encoder − when it was
 * due (frame 0's release + index × frame interval), ms. Null before the source's clock starts.
 */
export function latenessOf(run: PipelineRun, takenAt: number, frameIndex: number): number | null {
  const startedAt = run.control?.startedAt ?? 0;
  const rate = run.info?.frameRate ?? 0;
  return startedAt > 0 && rate > 0 ? takenAt - (startedAt + (frameIndex * 1000) / rate) : null;
}

/**
 * The app's own output path (src/ui/output-store.ts, its default where OPFS exists): chunks to
 * the origin-private file system as they come, each closed segment kept as a Blob over its
 * file, as the page's segment list keeps it. `close()` deletes the run's files.
 */
export class AppDiskOutput {
  private readonly kept: Blob[] = [];
  private delivered: Promise<void> = Promise.resolve();

  private constructor(private readonly disk: DiskOutput) {}

  static async attach(run: PipelineRun): Promise<AppDiskOutput> {
    const output = new AppDiskOutput(await DiskOutput.open());
    run.segmentSink = output.disk;
    return output;
  }

  /** A segment closed: its file is finished and kept (as the app's list keeps it). */
  segment(index: number, mimeType: string): void {
    const finished = this.disk.finish(index, mimeType);
    this.delivered = this.delivered.then(() => finished).then((kept) => {
      if (kept) this.kept.push(kept.data);
    });
  }

  /** After the run: bytes kept and why writing failed (if it did); then the files go. */
  async close(): Promise<{ bytes: number; failure: string | null }> {
    await this.delivered;
    const bytes = this.kept.reduce((sum, blob) => sum + blob.size, 0);
    const failure = this.disk.failure;
    this.kept.length = 0;
    await this.disk.remove();
    return { bytes, failure };
  }
}
