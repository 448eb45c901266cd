/** The bench page's in-app sampler: periodic in-app memory samples and the browser's own memory figure. */
import type { LabInApp } from '../../lab/protocol.ts';
import type { InAppSample, UaMemorySample } from '../protocol.ts';

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const UA_CAP_MS = 2000;

interface ChromeMemory { usedJSHeapSize: number; totalJSHeapSize: number }
const chromeMemory = (): ChromeMemory | undefined => (performance as Performance & { memory?: ChromeMemory }).memory;

interface UaBreakdown { bytes: number; attribution: { scope?: string }[] }
interface UaResult { bytes: number; breakdown: UaBreakdown[] }
type MeasureUa = () => Promise<UaResult>;

export const blankSample = (t: number): InAppSample => {
  const heap = chromeMemory();
  return {
    t, poolCommitted: NaN, poolReserved: NaN, poolInUse: NaN, wasmDecode: NaN, wasmEncode: NaN, wasmOther: NaN,
    jsHeapUsed: heap?.usedJSHeapSize ?? NaN, jsHeapTotal: heap?.totalJSHeapSize ?? NaN, framesDone: 0,
  };
};

/** The latest in-app sample, for the lab's probe (bench/case-probe.ts): it tells the pool's arena from the codecs' WASM memories. */
let latest: InAppSample | null = null;
const orNull = (v: number): number | null => (Number.isFinite(v) ? v : null);
(globalThis as { __framepoolLabInApp?: () => LabInApp | null }).__framepoolLabInApp = () => latest && {
  poolCommitted: orNull(latest.poolCommitted), wasmDecode: orNull(latest.wasmDecode), wasmScale: null,
  wasmEncode: orNull(latest.wasmEncode), framesDone: latest.framesDone, phase: 'bench',
};

/** Periodic in-app samples, and the browser's own memory figure when it answers. */
export class CaseSampler {
  readonly samples: InAppSample[] = [];
  readonly ua: UaMemorySample[] = [];
  readonly uaTimeouts: string[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly read: (t: number) => InAppSample;

  constructor(read: (t: number) => InAppSample) {
    this.read = read;
  }

  sample(): void {
    latest = this.read(now());
    this.samples.push(latest);
  }

  start(everyMs: number): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /**
   * performance.measureUserAgentSpecificMemory(): tens of ms with ForceEagerMeasureMemory on
   * an idle page. While a codec worker is blocked in ffmpeg's exec it does not answer (a call
   * made 1 s into a 10 s run was still pending when the run ended; in a 10-minute soak it
   * answered after 60 s with the page alone), and right after workers were terminated it
   * hung for up to 60 s. So the bench asks on the idle page, and once 1 s into a run without
   * waiting for it; each ask is given up after `capMs`.
   */
  async measureUa(when: string, capMs = UA_CAP_MS): Promise<void> {
    const measure = (performance as Performance & { measureUserAgentSpecificMemory?: MeasureUa }).measureUserAgentSpecificMemory;
    if (!measure) return;
    const t0 = now();
    try {
      const result = await Promise.race([measure.call(performance), sleep(capMs).then(() => null)]);
      if (result === null) {
        this.uaTimeouts.push(`${when}: no answer within ${capMs} ms`);
        return;
      }
      const byScope: Record<string, number> = {};
      for (const entry of result.breakdown) {
        const scope = entry.attribution[0]?.scope ?? 'shared/unattributed';
        byScope[scope] = (byScope[scope] ?? 0) + entry.bytes;
      }
      this.ua.push({ t: t0, when, bytes: result.bytes, byScope, ms: now() - t0 });
    } catch {
      // Not cross-origin isolated, or the browser refused: the series stays shorter.
    }
  }
}
