/**
 * What watching costs: CPU per second of wall time of the Node process running the probe
 * (with the lab's dev server, idle during a run) and of the browser's processes, plus the
 * probe's real rate, over a sliding window. The browser figure is everything the browser
 * does (the pipeline too); the part that is the probe's own is measured by `answeringCost`
 * (the same browser, idle, with the probe paused and running).
 */
import type { LabCost, LabOs } from './protocol.ts';

const WINDOW_MS = 1000;

interface Point { at: number; nodeCpuMs: number; browserCpuMs: number | null; answers: number[] }

const browserCpu = (os: LabOs | null): number | null => {
  if (!os || os.processes.some((p) => p.cpuMs === undefined)) return null;
  return os.processes.reduce((s, p) => s + p.cpuMs!, 0);
};

const nodeCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

export class CostMeter {
  private readonly points: Point[] = [];
  private last: LabCost | undefined;

  /** Records a published sample; returns the cost over the last window (the previous one until a window has passed). */
  observe(sample: { os: LabOs | null; workers: { ms: number }[] }): LabCost | undefined {
    const at = performance.now();
    this.points.push({ at, nodeCpuMs: nodeCpuMs(), browserCpuMs: browserCpu(sample.os), answers: sample.workers.map((w) => w.ms) });
    while (this.points.length > 2 && at - this.points[1]!.at >= WINDOW_MS) this.points.shift();
    const first = this.points[0]!;
    const span = at - first.at;
    if (span < WINDOW_MS * 0.8) return this.last;
    const perS = (d: number) => (d * 1000) / span;
    const answers = this.points.slice(1).flatMap((p) => p.answers).sort((a, b) => a - b);
    const b0 = first.browserCpuMs;
    const b1 = this.points.at(-1)!.browserCpuMs;
    this.last = {
      probeCpuMsPerS: perS(this.points.at(-1)!.nodeCpuMs - first.nodeCpuMs),
      browserCpuMsPerS: b0 !== null && b1 !== null ? perS(b1 - b0) : null,
      samplesPerS: perS(this.points.length - 1),
      answerMsP50: answers.length > 0 ? answers[answers.length >> 1]! : null,
    };
    return this.last;
  }
}

/** The browser's CPU ms per second over `ms` of wall time, from `read` (its processes' CPU totals). */
export async function browserCpuRate(read: () => Promise<LabOs | null>, ms: number): Promise<number | null> {
  const a = browserCpu(await read());
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = browserCpu(await read());
  return a !== null && b !== null ? ((b - a) * 1000) / (performance.now() - t0) : null;
}
