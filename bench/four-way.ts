/**
 * The four-way table (issue 16): {ffmpeg.wasm, WebCodecs} × {pooled, unpooled} on the same
 * input, max pacing, no switch: speed, latency, allocations and copies, and memory by kind.
 * Pure: picks the four `max none` pipeline cases per input from the run's figures.
 */
import { f1, f2, markdownTable, type CaseFigures } from './report.ts';

const MB = 1024 * 1024;
const mb = (bytes: number): string => (Number.isFinite(bytes) && bytes > 0 ? (bytes / MB).toFixed(0) : '–');

const CONFIGS = [
  { backend: 'ffmpeg', mode: 'pooled', label: 'ffmpeg.wasm pooled' },
  { backend: 'ffmpeg', mode: 'unpooled', label: 'ffmpeg.wasm unpooled' },
  { backend: 'webcodecs', mode: 'pooled', label: 'WebCodecs pooled' },
  { backend: 'webcodecs', mode: 'unpooled', label: 'WebCodecs unpooled' },
] as const;

const HEADER = [
  'input', 'configuration', 'fps', 'latency p50 / p99 after frame 30 (ms)', 'allocs/frame after frame 30', 'MB alloc/frame',
  'MB copied/frame: hand-over / codec glue', 'pool committed MB', 'codec WASM dec / enc MB', 'main JS heap MB',
  'renderer RSS base → peak MB', 'all Chromium RSS peak MB',
];

/** The table, with what each column spans and misses; null when the run had no WebCodecs case. */
export function fourWayTable(cases: CaseFigures[]): string | null {
  const pick = (input: string, backend: string, mode: string) => cases.find((c) => c.spec.kind === 'pipeline' && c.spec.input === input
    && (c.spec.backend ?? 'ffmpeg') === backend && c.spec.mode === mode && c.spec.pacing === 'max' && c.spec.schedule === 'none');
  const inputs = [...new Set(cases.filter((c) => c.spec.backend === 'webcodecs').map((c) => String(c.spec.input)))];
  if (inputs.length === 0) return null;
  const rows: string[][] = [];
  for (const input of inputs) {
    for (const config of CONFIGS) {
      const c = pick(input, config.backend, config.mode);
      if (!c) continue;
      const p = c.inApp.peak;
      rows.push([
        input, c.ok ? config.label : `${config.label} (FAILED: ${c.failure ?? 'no detail'})`,
        f1(c.fps),
        c.latencyAfterWarmup ? `${f1(c.latencyAfterWarmup.p50)} / ${f1(c.latencyAfterWarmup.p99)}` : '–',
        f2(c.allocsPerFrameAfterWarmup), f2(c.mbAllocatedPerFrame),
        `${f2(c.mbCopiedPerFrame)} / ${f2(c.codecMbCopiedPerFrame)}`,
        mb(p.poolCommitted),
        config.backend === 'ffmpeg' ? `${mb(p.wasmDecode)} / ${mb(p.wasmEncode)}` : 'none (native, see RSS)',
        mb(p.jsHeapUsed),
        c.os ? `${mb(c.os.baselineRss)} → ${mb(c.os.peakRss)}` : '–',
        c.os ? mb(c.os.allPeakRss) : '–',
      ]);
    }
  }
  return [
    '### Four-way: codec backend × allocation mode (max pacing, no switch, one run each)',
    markdownTable(HEADER, rows),
    'Spans: fps = frames ÷ first to last frame out; latency = decoded → taken by the encoder; allocations and MB alloc count frame buffers ' +
    '(slots carved and fresh buffers), not the codecs\' own objects; "hand-over" copies are the mode\'s (between stages), "codec glue" ' +
    'the copies in and out of a codec (ffmpeg.wasm: its devices to and from WASM memory; WebCodecs: VideoFrame.copyTo and the ' +
    'VideoFrame constructor). Misses: WebCodecs decoders\' and encoders\' native frame memory appears only in the OS columns (renderer ' +
    'and GPU/utility processes), never in-app; workers\' JS heaps are in no column (npm run lab shows them). One run per configuration: ' +
    'a single run shows no spread, so small differences here may be noise.',
  ].join('\n\n');
}
