/**
 * The bench page: `window.runBenchCase(config)` runs one case in fresh workers and returns
 * its figures (bench/protocol.ts). Driven by bench/run.ts through playwright-core; the runner
 * samples the OS side (/proc) while a case runs.
 *
 * Cases: the product's PipelineRun on browserHost (pooled / unpooled), the single-exec
 * baseline and the stages alone (bench.worker.ts), and the @ffmpeg/ffmpeg high-level API as
 * its documentation shows it.
 */
import { DEFAULT_WEBCODECS_OPTIONS } from '../../src/codec/backends.ts';
import { FFmpeg } from '@ffmpeg/ffmpeg';
import { Metrics, HIST_E2E, LEAD_IN_FRAMES, StageCounter, StageGauge } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { stageTotals } from '../../src/metrics/stage-totals.ts';
import { browserHost } from '../../src/pipeline/browser-host.ts';
import { PipelineRun } from '../../src/pipeline/controller.ts';
import type { LadderRung } from '../../src/pipeline/ladder.ts';
import { buildRunReport } from '../../src/pipeline/run-report.ts';
import { seededRandom } from '../../src/seeded-random.ts';
import { FrameArena } from '../../src/pool/arena.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import type { BenchCaseConfig, BenchCaseResult, InAppSample, LatencySummary, UaMemorySample, WasmTrace } from '../protocol.ts';
import type { BenchWorkerReply, BenchWorkerRequest } from './bench.worker.ts';
import { setState, SideBySide, SIDE_BY_SIDE_BYTES } from './side-by-side.ts';
import { blankSample, CaseSampler } from './sampler.ts';
import { FrameLog } from './frame-log.ts';
import { AppDiskOutput, clickRungs, latenessOf, scheduleFor, steadyGaps, switchFigures } from './switch-cost.ts';

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const WARMUP_FRAMES = LEAD_IN_FRAMES;
/** The codec workers' WASM memory is compared after this much warm-up (see WasmTrace). */
const WASM_WARM_FRAMES = 100;
const WASM_WARM_SEGMENTS = 100;

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function latencySummary(values: number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return { count: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1]! };
}

/** Latency and lateness per output size over frames ≥ WARMUP_FRAMES (BenchCaseResult.bySize). */
function bySize(log: FrameLog, segments: readonly { firstFrameIndex: number; width: number; height: number }[]): BenchCaseResult['bySize'] {
  if (segments.length === 0) return null;
  const sorted = [...segments].sort((a, b) => a.firstFrameIndex - b.firstFrameIndex);
  const groups = new Map<string, { latency: number[]; lateness: number[] }>();
  log.forEach((_, ms, frame, late) => {
    if (frame < WARMUP_FRAMES) return;
    const seg = sorted.findLast((s) => s.firstFrameIndex <= frame);
    if (!seg) return;
    const key = `${seg.width}×${seg.height}`;
    const g = groups.get(key) ?? { latency: [], lateness: [] };
    g.latency.push(ms);
    if (Number.isFinite(late)) g.lateness.push(late);
    groups.set(key, g);
  });
  const out: NonNullable<BenchCaseResult['bySize']> = {};
  for (const [key, g] of groups) out[key] = { latency: latencySummary(g.latency)!, lateness: latencySummary(g.lateness) };
  return out;
}

const isTrap = (message: string): boolean => /crash|out of bounds|unreachable|RuntimeError/i.test(message);

function emptyResult(config: BenchCaseConfig): BenchCaseResult {
  return {
    id: config.id, ok: false, failure: null, traps: 0, source: null, frames: 0,
    setupDoneAt: NaN, startedAt: NaN, endedAt: NaN, activeMs: NaN, fps: NaN,
    latency: null, latencyAfterWarmup: null, latencySeries: null, totals: null, warmup: null,
    switches: { count: 0, manual: 0, costMs: [], toEncoderMs: [], toFirstBytesMs: [], gapMs: [] }, drops: null, lateness: null, bySize: null, segments: { count: 0, reinitMs: [], bytes: 0 },
    wasm: null, samples: [], uaMemory: [], stageAlone: null, stages: null, warmUp: null, notes: [],
  };
}

/**
 * The browser's figure for the idle page, before any worker exists: the one moment it
 * reliably answers (it hung after workers were terminated, and does not answer while codec
 * workers are inside exec).
 */
async function idlePageUa(): Promise<UaMemorySample[]> {
  const sampler = new CaseSampler((t) => blankSample(t));
  await sampler.measureUa('idle page');
  return sampler.ua;
}

/**
 * The case's input as the app gets a user's file: the runner sets it on the page's file input
 * (Playwright's setInputFiles), so it is a File backed by the disk. A fetched Blob would sit in
 * Chromium's blob store instead (39 MB for the 60 s input) and count against the 60 s ÷ 10 s
 * memory ratio, a cost the app does not have.
 */
function chosenInput(config: BenchCaseConfig): File {
  const file = (document.getElementById('bench-input') as HTMLInputElement | null)?.files?.[0];
  if (!file || file.name !== config.inputName) throw new Error(`the runner did not set ${config.inputName} on #bench-input`);
  return file;
}

async function pipelineCase(config: BenchCaseConfig): Promise<BenchCaseResult> {
  const result = emptyResult(config);
  const idleUa = await idlePageUa();
  const file = chosenInput(config);
  const backend = config.backend ?? 'ffmpeg';
  // ffmpeg.wasm is compiled and warmed before the baseline: every ffmpeg case pays it the same way. A
  // WebCodecs case never loads it (its 32 MB module would count against WebCodecs' memory).
  if (backend === 'ffmpeg') await browserHost.warmCodecModule();
  const run = new PipelineRun(browserHost, file, {
    mode: config.mode ?? 'pooled', codec: 'h264', pacing: config.pacing ?? 'max', backend,
    webcodecs: { ...DEFAULT_WEBCODECS_OPTIONS, encoderSwitch: config.encoderSwitch ?? DEFAULT_WEBCODECS_OPTIONS.encoderSwitch },
    schedule: scheduleFor(config), startRung: String(config.targetHeight) as LadderRung, livePolicy: config.livePolicy ?? 'block',
  });
  const disk = config.output === 'disk' ? await AppDiskOutput.attach(run) : null;

  let metrics: Metrics | null = null;
  let arena: FrameArena | null = null;
  let pools: FramePool[] | null = null;
  const recentT = new Float64Array(2048);
  const recentMs = new Float64Array(2048);
  const recentFrame = new Float64Array(2048);
  let recentCursor = 0;
  const frameLog = new FrameLog();
  const blankTrace = (): WasmTrace => ({ first: NaN, warm: NaN, last: NaN, max: NaN, maxAfterWarm: NaN });
  const wasm = { decode: blankTrace(), encode: blankTrace() };
  const trace = (w: WasmTrace, bytes: number, warm: boolean) => {
    if (!(bytes > 0)) return;
    if (Number.isNaN(w.first)) w.first = bytes;
    w.last = bytes;
    if (!(bytes <= w.max)) w.max = bytes;
    if (warm && Number.isNaN(w.warm)) w.warm = bytes;
    if (!Number.isNaN(w.warm) && !(bytes <= w.maxAfterWarm)) w.maxAfterWarm = bytes;
  };

  const read = (t: number): InAppSample => {
    const sample = blankSample(t);
    const shared = run.shared;
    if (!shared) return sample;
    metrics ??= Metrics.attach(shared.metrics);
    arena ??= FrameArena.attach(shared.arena);
    pools ??= [shared.linkA, shared.linkB].map((link) => FramePool.attach(link.pool, null, { countReuse: false, arena: arena! }));
    const stats = arena.stats();
    sample.poolCommitted = stats.committedBytes;
    sample.poolReserved = stats.reservedBytes;
    sample.poolInUse = pools.reduce((sum, pool) => sum + pool.stats().inUseBytes, 0);
    const control = run.control;
    if (control) {
      const dec = control.wasmBytes(StageId.decode);
      const enc = control.wasmBytes(StageId.encode);
      sample.wasmDecode = dec > 0 ? dec : NaN;
      sample.wasmEncode = enc > 0 ? enc : NaN;
      trace(wasm.decode, dec, metrics.counter(StageId.decode, StageCounter.frames) >= WASM_WARM_FRAMES);
    }
    const totals = stageTotals(metrics);
    sample.framesDone = totals.frames;
    if (config.stopAfterFrames && totals.frames >= config.stopAfterFrames && run.phase === 'running') run.stop();
    const { next, count } = metrics.readRecent(recentCursor, recentT, recentMs, recentFrame);
    if (next - recentCursor > count) result.notes.push(`latency ring overrun: ${next - recentCursor - count} samples lost`);
    recentCursor = next;
    for (let i = 0; i < count; i++) {
      const late = config.pacing === 'realtime' ? latenessOf(run, recentT[i]!, recentFrame[i]!) : null;
      frameLog.add(recentT[i]!, recentMs[i]!, recentFrame[i]!, late ?? NaN);
    }
    return sample;
  };
  const sampler = new CaseSampler(read);

  let runningAt = NaN;
  let lastSegmentAt = NaN;
  let clicking = false;
  let finished = 0; // segments handed to the disk output
  run.addEventListener('phase', (event) => {
    const phase = (event as CustomEvent<string>).detail;
    if (phase !== 'running') return;
    runningAt = now();
    if (config.stopAfterMs) setTimeout(() => run.stop(), config.stopAfterMs);
    if (config.schedule === 'clicks') {
      clicking = true;
      void clickLoop();
    }
  });
  run.addEventListener('segment', () => {
    lastSegmentAt = now();
    const segment = run.segments.at(-1);
    if (segment) trace(wasm.encode, segment.wasmBytesAfter, segment.index >= WASM_WARM_SEGMENTS);
    for (; disk && finished < run.segments.length; finished++) disk.segment(run.segments[finished]!.index, run.segments[finished]!.mimeType);
    // Like a streaming sink, the bench counts each segment and lets its bytes go, so output
    // retention does not blur the pipeline's own memory (the dashboard keeps them for download).
    for (const segment of run.segments) {
      if (segment.chunks.length > 0) {
        result.segments.bytes += segment.byteLength;
        segment.chunks.length = 0;
      }
    }
  });
  const clickLoop = async () => {
    const random = seededRandom(7);
    const [lo, hi] = config.clickEveryMs ?? [250, 450];
    const rungs = clickRungs(run, config);
    let at = rungs.indexOf(String(config.targetHeight) as LadderRung);
    while (clicking) {
      await sleep(lo + random() * (hi - lo));
      if (!clicking || run.phase !== 'running') break;
      at = (at + 1) % rungs.length;
      run.requestRung(rungs[at]!);
    }
  };

  sampler.start(config.sampleEveryMs);
  result.setupDoneAt = now();
  await sleep(config.settleMs);
  result.startedAt = now();
  const duringRun = sleep(1000).then(() => sampler.measureUa('during run', 1e9));
  const phase = await run.run();
  clicking = false;
  result.endedAt = now();
  sampler.stop();
  await Promise.race([duringRun, sleep(0)]);

  const info = run.info;
  result.source = info ? { width: info.displayWidth, height: info.displayHeight, frameRate: info.frameRate, frameCount: info.frameCount } : null;
  result.ok = phase === 'done';
  result.failure = run.failure ? `${run.failure.stage}: ${run.failure.message}` : null;
  result.traps = result.failure && isTrap(result.failure) ? 1 : 0;
  const m = metrics as Metrics | null;
  result.totals = m ? stageTotals(m) : null;
  const atLeadIn = m?.atLeadIn();
  result.warmup = atLeadIn ? stageTotals(atLeadIn) : null; // as the sink counted frame WARMUP_FRAMES
  result.frames = result.totals?.frames ?? 0;
  result.activeMs = lastSegmentAt - runningAt;
  result.fps = (result.frames / result.activeMs) * 1000;
  const latencies: number[] = [], latenciesAfterWarmup: number[] = [], lateness: number[] = [];
  const series: [number, number][] | null = config.keepLatencySeries ? [] : null;
  frameLog.forEach((t, ms, frame, late) => {
    latencies.push(ms);
    if (frame >= WARMUP_FRAMES) latenciesAfterWarmup.push(ms);
    if (Number.isFinite(late)) lateness.push(late);
    series?.push([t, ms]);
  });
  result.latency = latencySummary(latencies);
  result.latencyAfterWarmup = latencySummary(latenciesAfterWarmup);
  if (result.latency && m) result.latency.max = Math.max(result.latency.max, m.histogramMaxMs(HIST_E2E));
  result.latencySeries = series;
  if (m) {
    result.stages = {};
    for (const [name, id] of Object.entries(StageId)) {
      result.stages[name] = { frames: m.counter(id, StageCounter.frames), busyMs: m.gauge(id, StageGauge.busyMs), waitMs: m.gauge(id, StageGauge.waitMs) };
    }
  }
  const report = buildRunReport(run);
  Object.assign(result, switchFigures(report, WARMUP_FRAMES));
  result.switches!.steadyGapMs = steadyGaps(frameLog, new Set(report.segments.map((s) => s.firstFrameIndex)), WARMUP_FRAMES);
  result.bySize = bySize(frameLog, report.segments);
  if (config.livePolicy !== 'drop') result.drops = null;
  result.lateness = latencySummary(lateness);
  if (disk) {
    const kept = await disk.close();
    result.segments.bytes = kept.bytes;
    result.notes.push(`output through the app's disk store (OPFS): ${kept.bytes} bytes kept as Blobs over their files${kept.failure ? `; writing failed: ${kept.failure}` : ''}`);
  }
  result.segments.count = run.segments.length;
  result.segments.reinitMs = run.segments.filter((s) => s.index > 0).map((s) => s.reinitMs);
  result.wasm = wasm;
  result.samples = sampler.samples;
  result.uaMemory = [...idleUa, ...sampler.ua];
  const answered = sampler.ua.find((u) => u.when === 'during run');
  result.notes.push(answered
    ? `measureUserAgentSpecificMemory asked 1 s into the run answered after ${(answered.ms / 1000).toFixed(1)} s (run ended ${((result.endedAt - answered.t) / 1000).toFixed(1)} s after the ask)`
    : 'measureUserAgentSpecificMemory asked 1 s into the run had not answered when the run ended');
  if (latencies.length < result.frames) result.notes.push(`${result.frames - latencies.length} latencies not sampled`);
  return result;
}

/** Runs one request in a fresh bench worker and terminates it. */
function inBenchWorker(request: BenchWorkerRequest): Promise<BenchWorkerReply> {
  const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: `bench-${request.kind}` });
  worker.postMessage(request);
  return new Promise<BenchWorkerReply>((resolve) => {
    worker.onmessage = (event: MessageEvent<BenchWorkerReply | { trace: string }>) => {
      if ('trace' in event.data) console.debug(`bench worker: ${event.data.trace}`);
      else resolve(event.data);
    };
    worker.onerror = (event) => resolve({ ok: false, message: `worker error: ${event.message}` });
  }).finally(() => worker.terminate());
}

async function execBaselineCase(config: BenchCaseConfig): Promise<BenchCaseResult> {
  const result = emptyResult(config);
  const idleUa = await idlePageUa();
  const file = chosenInput(config);
  const module = await browserHost.warmCodecModule();
  const sampler = new CaseSampler((t) => blankSample(t));
  sampler.start(config.sampleEveryMs);
  result.setupDoneAt = now();
  await sleep(config.settleMs);
  const reply = await inBenchWorker({ kind: 'exec', module, file, scaleFilter: 'scale=WIDTH:480:flags=bilinear', frames: config.stopAfterFrames });
  sampler.stop();
  result.samples = sampler.samples;
  result.uaMemory = idleUa;
  if (!reply.ok) {
    result.failure = reply.message;
    result.traps = isTrap(reply.message) ? 1 : 0;
    return result;
  }
  if (reply.kind !== 'exec') throw new Error('unexpected reply');
  result.ok = true;
  result.startedAt = reply.startedAt;
  result.endedAt = reply.endedAt;
  result.frames = reply.frames;
  result.activeMs = reply.endedAt - reply.startedAt;
  result.fps = (reply.frames / result.activeMs) * 1000;
  result.segments = { count: 1, reinitMs: [], bytes: reply.outBytes };
  // The worker cannot report while exec blocks it: its WASM size is known at the end only.
  result.samples.at(-1)!.wasmOther = reply.wasmBytes;
  result.notes.push('one worker, one exec (WORKERFS input, swscale bilinear, libx264 as the pipeline); WASM size read after the exec');
  return result;
}

async function stageAloneCase(config: BenchCaseConfig): Promise<BenchCaseResult> {
  const result = emptyResult(config);
  const file = chosenInput(config);
  const module = await browserHost.warmCodecModule();
  result.setupDoneAt = now();
  result.startedAt = now();
  // Step 5 runs the encode again beside a second worker that decodes and scales (bench.worker.ts).
  const beside = new SharedArrayBuffer(SIDE_BY_SIDE_BYTES);
  const decoder = inBenchWorker({ kind: 'decode-beside', module, file, targetHeight: config.targetHeight, beside });
  const reply = await inBenchWorker({ kind: 'stage-alone', module, file, targetHeight: config.targetHeight, frames: config.stageFrames ?? 1e9, beside });
  setState(new Int32Array(beside), SideBySide.stop); // whether or not stage-alone got to its step 5
  await decoder;
  result.endedAt = now();
  if (!reply.ok) {
    result.failure = reply.message;
    return result;
  }
  if (reply.kind !== 'stage-alone') throw new Error('unexpected reply');
  result.ok = true;
  result.stageAlone = reply.figures;
  result.frames = reply.figures.frames;
  return result;
}

/** The @ffmpeg/ffmpeg API as its docs show it: load, writeFile, exec, readFile. Same-origin core. */
async function apiBaselineCase(config: BenchCaseConfig): Promise<BenchCaseResult> {
  const result = emptyResult(config);
  const idleUa = await idlePageUa();
  const sampler = new CaseSampler((t) => blankSample(t));
  sampler.start(config.sampleEveryMs);
  result.setupDoneAt = now();
  await sleep(config.settleMs);
  const ffmpeg = new FFmpeg();
  try {
    const core = new URL('/ffmpeg-core/', location.href);
    await ffmpeg.load({ coreURL: new URL('ffmpeg-core.js', core).href, wasmURL: new URL('ffmpeg-core.wasm', core).href });
    // fetchFile(url) from @ffmpeg/util does exactly this: the whole file as one Uint8Array.
    const data = new Uint8Array(await (await fetch(config.inputUrl)).arrayBuffer());
    await ffmpeg.writeFile('input.mp4', data);
    const startedAt = now();
    const ret = await ffmpeg.exec([
      '-i', 'input.mp4', '-map', '0:v:0', '-an', '-vf', 'scale=-2:480:flags=bilinear',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      // The pipeline's muxing (fragmented, one fragment per frame), so the ratio compares like with like.
      '-movflags', '+frag_every_frame+empty_moov+default_base_moof',
      ...(config.stopAfterFrames ? ['-frames:v', String(config.stopAfterFrames)] : []), 'output.mp4',
    ]);
    const endedAt = now();
    const output = await ffmpeg.readFile('output.mp4');
    if (ret !== 0) throw new Error(`exec returned ${ret}`);
    result.ok = true;
    result.startedAt = startedAt;
    result.endedAt = endedAt;
    result.activeMs = endedAt - startedAt;
    if (config.stopAfterFrames) { // a warm-up: the runner counts the measured run's frames from the input
      result.frames = config.stopAfterFrames;
      result.fps = (result.frames / result.activeMs) * 1000;
    }
    result.segments = { count: 1, reinitMs: [], bytes: typeof output === 'string' ? output.length : output.byteLength };
  } catch (error) {
    result.failure = error instanceof Error ? error.message : String(error);
    result.traps = isTrap(result.failure) ? 1 : 0;
  } finally {
    sampler.stop();
    ffmpeg.terminate();
  }
  result.samples = sampler.samples;
  result.uaMemory = idleUa;
  result.notes.push('@ffmpeg/ffmpeg 0.12.15: whole input written into MEMFS, output read back whole; frames = source frame count');
  return result;
}

async function runBenchCase(config: BenchCaseConfig): Promise<BenchCaseResult> {
  if (!crossOriginIsolated) throw new Error('the bench page is not cross-origin isolated (COOP/COEP headers missing)');
  const warmUp = config.warmUpFrames > 0 ? await warmUpRun(config) : null;
  const result = await runOnce(config);
  result.warmUp = warmUp;
  return result;
}

/**
 * The same work as the measured run, stopped after `warmUpFrames` frames, in fresh workers of
 * this page, before it: browserHost compiles the codec once per page, so the measured run's
 * workers instantiate a module whose hot functions V8 has already tiered up (TurboFan). A
 * fresh browser would compile them inside the measured window (about 2 s of thread-pool CPU).
 * Only its frames and speed are kept.
 */
async function warmUpRun(config: BenchCaseConfig): Promise<BenchCaseResult['warmUp']> {
  const started = now();
  const frames = config.warmUpFrames;
  const r = await runOnce({
    ...config, id: `${config.id} (warm-up)`, warmUpFrames: 0, stopAfterFrames: frames, stageFrames: frames,
    stopAfterMs: 0, output: 'drop', keepLatencySeries: false,
  });
  return { ok: r.ok, frames: r.frames, fps: r.fps, wallMs: now() - started };
}

function runOnce(config: BenchCaseConfig): Promise<BenchCaseResult> {
  switch (config.kind) {
    case 'pipeline': return pipelineCase(config);
    case 'baseline-exec': return execBaselineCase(config);
    case 'baseline-api': return apiBaselineCase(config);
    case 'stage-alone': return stageAloneCase(config);
  }
}

declare global {
  interface Window {
    runBenchCase: typeof runBenchCase;
    markRenderer: typeof markRenderer;
    benchReady: boolean;
  }
}
let marker: Worker | null = null;
/** Starts (true) or ends (false) the marker worker (marker.worker.ts); resolves once it runs. */
async function markRenderer(on: boolean): Promise<void> {
  marker?.terminate();
  marker = null;
  if (!on) return;
  marker = new Worker(new URL('./marker.worker.ts', import.meta.url), { type: 'module', name: 'bench-marker' });
  await sleep(100);
}

window.markRenderer = markRenderer;
window.runBenchCase = runBenchCase;
window.benchReady = true;
document.body.dataset['ready'] = 'true';
