/**
 * Our two bilinear scalers (TypeScript, WASM SIMD) vs ffmpeg.wasm's swscale (bilinear) on the
 * same frames: 1280×720 I420 → 854×480, in Node, one thread.
 *
 * - TS: I420Scaler.scale over the decoded frames into one reused buffer.
 * - SIMD: WasmSimdI420Scaler.scale the same way, frames read from and written to a shared
 *   WebAssembly.Memory like the pool's slots (so its copy in and out of the kernel's memory
 *   is counted). TS and SIMD rounds alternate, so both see the same machine.
 * - swscale: ffmpeg reading the same raw frames from MEMFS with `-vf scale=854:480:flags=bilinear`
 *   to /dev/null, minus the same command without the filter (demux + rawvideo out), per frame.
 * Each figure is the best of `repeats` runs (least disturbed by the rest of the machine).
 *
 * `runScalerInChromium` times TS and SIMD the same way in headless Chromium, in a dedicated
 * worker of a cross-origin isolated page (the scale stage's setting), on seeded synthetic
 * frames (the bilinear pass costs the same whatever the picture).
 *
 * Run alone: node --import tsx bench/scaler-vs-swscale.ts INPUT.mp4 [--chromium]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCodecCoreInNode } from '../src/codec/core-node.ts';
import { I420Scaler } from '../src/pipeline/scale/bilinear-i420.ts';
import { WasmSimdI420Scaler } from '../src/pipeline/scale/simd/wasm-simd-i420.ts';
import { i420Layout } from '../src/pool/frame-format.ts';

export interface ScalerComparison {
  where: string;
  source: string;
  target: string;
  frames: number;
  tsMsPerFrame: number;
  /** The WASM SIMD kernel, copies in and out of its memory included. */
  simdMsPerFrame: number;
  swscaleMsPerFrame: number;
  /** swscale ms ÷ TS ms: above 1 means ours is faster. */
  speedup: number;
  /** TS ms ÷ SIMD ms (target ≥ 3). */
  simdVsTs: number;
  /** swscale ms ÷ SIMD ms. */
  simdVsSwscale: number;
}

/** One sentence for a report. */
export function describeScalerComparison(c: ScalerComparison): string {
  return `${c.source} → ${c.target}, ${c.frames} frames, ${c.where}: TS ${c.tsMsPerFrame.toFixed(2)} ms/frame, ` +
    `WASM SIMD ${c.simdMsPerFrame.toFixed(2)} ms/frame, swscale ${c.swscaleMsPerFrame.toFixed(2)} ms/frame → ` +
    `SIMD is ${c.simdVsTs.toFixed(1)}× TS and ${c.simdVsSwscale.toFixed(1)}× swscale; TS is ${c.speedup.toFixed(2)}× swscale.`;
}

const SRC = { width: 1280, height: 720 };
const DST = { width: 854, height: 480 };

export async function runScalerComparison(inputPath: string, options: { frames?: number; repeats?: number } = {}): Promise<ScalerComparison> {
  const frames = options.frames ?? 60;
  const repeats = options.repeats ?? 3;
  const core = await loadCodecCoreInNode();
  const srcBytes = i420Layout(SRC.width, SRC.height).byteLength;
  core.FS.writeFile('/in.mp4', readFileSync(inputPath));
  const ret = core.exec(['-hide_banner', '-i', '/in.mp4', '-frames:v', String(frames), '-vf', `scale=${SRC.width}:${SRC.height},format=yuv420p`, '-f', 'rawvideo', '/frames.yuv']);
  if (ret !== 0) throw new Error(`could not decode frames for the scaler comparison: ${core.logTail().slice(-300)}`);
  core.FS.unlink('/in.mp4');
  const raw = core.FS.readFile('/frames.yuv');
  const count = Math.floor(raw.byteLength / srcBytes);
  const sources = Array.from({ length: count }, (_, i) => raw.slice(i * srcBytes, (i + 1) * srcBytes));

  const dstBytes = i420Layout(DST.width, DST.height).byteLength;
  const ts = new I420Scaler(SRC.width, SRC.height, DST.width, DST.height);
  const out = new Uint8Array(dstBytes);
  // The SIMD scaler reads and writes a shared WebAssembly.Memory, as it does in the pipeline.
  const arena = new WebAssembly.Memory({ initial: Math.ceil((count * srcBytes + dstBytes) / 65536) + 1, maximum: Math.ceil((count * srcBytes + dstBytes) / 65536) + 1, shared: true });
  const sharedSources = sources.map((frame, i) => {
    const view = new Uint8Array(arena.buffer, i * srcBytes, srcBytes);
    view.set(frame);
    return view;
  });
  const sharedOut = new Uint8Array(arena.buffer, count * srcBytes, dstBytes);
  const simd = new WasmSimdI420Scaler(SRC.width, SRC.height, DST.width, DST.height);
  for (let i = 0; i < 30; i++) { // JIT and wasm tier-up warm-up
    ts.scale(sources[i % count]!, out);
    simd.scale(sharedSources[i % count]!, sharedOut);
  }
  let tsBest = Infinity;
  let simdBest = Infinity;
  for (let r = 0; r < repeats; r++) {
    let t0 = performance.now();
    for (const frame of sources) ts.scale(frame, out);
    tsBest = Math.min(tsBest, (performance.now() - t0) / count);
    for (let k = 0; k < 4; k++) { // the SIMD pass is short: several per round, so one preemption cannot decide it
      t0 = performance.now();
      for (const frame of sharedSources) simd.scale(frame, sharedOut);
      simdBest = Math.min(simdBest, (performance.now() - t0) / count);
    }
  }

  const input = ['-hide_banner', '-nostats', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-video_size', `${SRC.width}x${SRC.height}`, '-framerate', '30', '-i', '/frames.yuv'];
  const timeExec = (args: string[]): number => {
    let best = Infinity;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      const code = core.exec(args);
      best = Math.min(best, performance.now() - t0);
      if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${core.logTail().slice(-300)}`);
    }
    return best;
  };
  const withScale = timeExec([...input, '-vf', `scale=${DST.width}:${DST.height}:flags=bilinear`, '-f', 'rawvideo', '-y', '/dev/null']);
  const without = timeExec([...input, '-f', 'rawvideo', '-y', '/dev/null']);
  core.FS.unlink('/frames.yuv');
  const swscale = Math.max(0, withScale - without) / count;
  return {
    where: `Node ${process.version}, one thread`,
    source: `${SRC.width}x${SRC.height}`,
    target: `${DST.width}x${DST.height}`,
    frames: count,
    tsMsPerFrame: tsBest,
    simdMsPerFrame: simdBest,
    swscaleMsPerFrame: swscale,
    speedup: swscale / tsBest,
    simdVsTs: tsBest / simdBest,
    simdVsSwscale: swscale / simdBest,
  };
}

export interface ScalerInBrowser {
  where: string;
  /** Distinct source frames (cycled through). */
  frames: number;
  rounds: number;
  kind: string;
  /** Best round, wall clock, ms per frame. */
  tsMsPerFrame: number;
  simdMsPerFrame: number;
  /** Median round, wall clock. */
  tsMedianMs: number;
  simdMedianMs: number;
  /**
   * Median round, CPU time of the renderer process (the worker's thread, the page idles)
   * per frame, from /proc: what a frame costs when other processes take turns on the cores.
   * null where /proc is missing.
   */
  tsCpuMs: number | null;
  simdCpuMs: number | null;
  /** TS ÷ SIMD, best rounds (wall clock). */
  simdVsTs: number;
}

/** The bench page's worker: both scalers on frames in a shared WebAssembly.Memory, like slots. */
const WORKER_SOURCE = `
import { I420Scaler } from ${JSON.stringify(fileURLToPath(new URL('../src/pipeline/scale/bilinear-i420.ts', import.meta.url)))};
import { WasmSimdI420Scaler } from ${JSON.stringify(fileURLToPath(new URL('../src/pipeline/scale/simd/wasm-simd-i420.ts', import.meta.url)))};
import { scalerKind } from ${JSON.stringify(fileURLToPath(new URL('../src/pipeline/scale/scaler.ts', import.meta.url)))};
import { i420Layout } from ${JSON.stringify(fileURLToPath(new URL('../src/pool/frame-format.ts', import.meta.url)))};
import { seededRandom } from ${JSON.stringify(fileURLToPath(new URL('../src/seeded-random.ts', import.meta.url)))};
const FRAMES = 30;
const s = i420Layout(${SRC.width}, ${SRC.height}), d = i420Layout(${DST.width}, ${DST.height});
const memory = new WebAssembly.Memory({ initial: Math.ceil((FRAMES * s.byteLength + d.byteLength) / 65536) + 1, maximum: 65536, shared: true });
const random = seededRandom(14);
const sources = [];
for (let f = 0; f < FRAMES; f++) {
  const view = new Uint8Array(memory.buffer, f * s.byteLength, s.byteLength);
  for (let i = 0; i < view.length; i++) view[i] = (i % ${SRC.width}) + f + (random() * 32) & 255;
  sources.push(view);
}
const out = new Uint8Array(memory.buffer, FRAMES * s.byteLength, d.byteLength);
const scalers = {
  ts: new I420Scaler(${SRC.width}, ${SRC.height}, ${DST.width}, ${DST.height}),
  simd: new WasmSimdI420Scaler(${SRC.width}, ${SRC.height}, ${DST.width}, ${DST.height}),
};
self.onmessage = ({ data: { which, count } }) => {
  const scaler = scalers[which];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) scaler.scale(sources[i % FRAMES], out);
  self.postMessage({ ms: performance.now() - t0, kind: scalerKind(), userAgent: navigator.userAgent });
};
self.postMessage('ready');
`;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
const worker = new Worker('/worker.js', { type: 'module' });
let pending = null;
window.ready = new Promise((resolve, reject) => {
  worker.onerror = (e) => reject(new Error(e.message));
  worker.onmessage = (e) => { if (e.data === 'ready') resolve(); else pending?.(e.data); };
});
window.phase = (which, count) => new Promise((resolve) => { pending = resolve; worker.postMessage({ which, count }); });
</script>`;

/** utime + stime of this process's Chromium renderers, in ms (null without /proc). */
function rendererCpuMs(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch { /* gone */ }
  }
  let total = 0;
  const queue = [...(children.get(process.pid) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    queue.push(...(children.get(pid) ?? []));
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += Number(fields[11]) + Number(fields[12]); // utime, stime (clock ticks)
    } catch { /* gone */ }
  }
  return (total * 1000) / 100; // USER_HZ is 100 on Linux
}

/**
 * TS vs SIMD in headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium), in a dedicated
 * worker of a cross-origin isolated page. Rounds alternate the two scalers; each round is
 * long enough (≥ ~100 ms) for /proc's 10 ms CPU-time ticks.
 */
export async function runScalerInChromium(options: { rounds?: number } = {}): Promise<ScalerInBrowser> {
  const rounds = options.rounds ?? 7;
  const counts = { ts: 30, simd: 300 };
  const { build } = await import('vite');
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'scaler-bench-'));
  let code: string;
  try {
    writeFileSync(join(dir, 'worker.ts'), WORKER_SOURCE);
    const built = await build({
      configFile: false, root: dir, logLevel: 'warn',
      build: { write: false, target: 'es2022', minify: false, rollupOptions: { input: join(dir, 'worker.ts'), output: { format: 'es' } } },
    });
    const output = (Array.isArray(built) ? built[0] : built) as { output: { type: string; code?: string }[] };
    code = output.output.find((o) => o.type === 'chunk')!.code!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'], headless: true });
  try {
    const page = await browser.newPage();
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    await page.route('http://scaler.bench/**', (route) => {
      const worker = route.request().url().endsWith('/worker.js');
      void route.fulfill({ status: 200, headers, contentType: worker ? 'text/javascript' : 'text/html', body: worker ? code : PAGE });
    });
    await page.goto('http://scaler.bench/');
    await page.evaluate(() => (window as unknown as { ready: Promise<void> }).ready);
    type Reply = { ms: number; kind: string; userAgent: string };
    const phase = (which: 'ts' | 'simd', count: number): Promise<Reply> =>
      page.evaluate(([w, c]) => (window as unknown as { phase: (w: string, c: number) => Promise<Reply> }).phase(w as string, c as number), [which, count] as const);
    for (let i = 0; i < 3; i++) { await phase('ts', 10); await phase('simd', 60); } // JIT and wasm tier-up warm-up
    const wall = { ts: [] as number[], simd: [] as number[] };
    const cpu = { ts: [] as number[], simd: [] as number[] };
    let last: Reply | null = null;
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 === 0 ? (['ts', 'simd'] as const) : (['simd', 'ts'] as const)) {
        const before = rendererCpuMs();
        last = await phase(which, counts[which]);
        const after = rendererCpuMs();
        wall[which].push(last.ms / counts[which]);
        if (before !== null && after !== null) cpu[which].push((after - before) / counts[which]);
      }
    }
    const median = (xs: number[]): number | null => xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const tsBest = Math.min(...wall.ts);
    const simdBest = Math.min(...wall.simd);
    return {
      where: last!.userAgent.match(/(HeadlessChrome|Chrome)\/[\d.]+/)?.[0] ?? last!.userAgent,
      frames: 30, rounds, kind: last!.kind,
      tsMsPerFrame: tsBest, simdMsPerFrame: simdBest,
      tsMedianMs: median(wall.ts)!, simdMedianMs: median(wall.simd)!,
      tsCpuMs: median(cpu.ts), simdCpuMs: median(cpu.simd),
      simdVsTs: tsBest / simdBest,
    };
  } finally {
    await browser.close();
  }
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const input = process.argv[2];
  if (!input) throw new Error('usage: node --import tsx bench/scaler-vs-swscale.ts INPUT.mp4 [--chromium]');
  if (process.argv.includes('--chromium')) console.log(await runScalerInChromium());
  const comparison = await runScalerComparison(input);
  console.log(comparison);
  console.log(describeScalerComparison(comparison));
}
