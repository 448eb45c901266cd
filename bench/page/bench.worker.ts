/**
 * Bench-only worker: the single-exec baseline and the stages measured alone. One fresh
 * worker per case (the page terminates it after the reply). Uses the product's codec loader
 * (src/codec/core-browser.ts), input mount and ffmpeg argument builders, so the baselines
 * and the pipeline run the same core with the same encoder settings.
 */
import { loadCodecCoreInWorker } from '../../src/codec/core-browser.ts';
import type { CodecCore } from '../../src/codec/core.ts';
import { decodeArgs, encodeArgs } from '../../src/codec/ffmpeg-args.ts';
import { FrameCutter, mountFrameSink, mountFrameSource } from '../../src/codec/frame-devices.ts';
import { mountInputFile } from '../../src/codec/input.ts';
import { probeMedia } from '../../src/codec/probe.ts';
import { createI420Scaler } from '../../src/pipeline/scale/scaler.ts';
import { i420Layout } from '../../src/pool/frame-format.ts';
import type { StageAloneFigures } from '../protocol.ts';
import { FRAMES, setState, SideBySide, STATE } from './side-by-side.ts';

export type BenchWorkerRequest =
  | { kind: 'exec'; module: WebAssembly.Module; file: File; scaleFilter: string; frames?: number }
  | { kind: 'stage-alone'; module: WebAssembly.Module; file: File; targetHeight: number; frames: number; beside: SharedArrayBuffer }
  | { kind: 'decode-beside'; module: WebAssembly.Module; file: File; targetHeight: number; beside: SharedArrayBuffer };

export type BenchWorkerReply =
  | { ok: true; kind: 'exec'; startedAt: number; endedAt: number; frames: number; outBytes: number; wasmBytes: number; ret: number }
  | { ok: true; kind: 'stage-alone'; figures: StageAloneFigures; wasmBytes: number }
  | { ok: true; kind: 'decode-beside'; frames: number }
  | { ok: false; message: string };

const now = (): number => performance.timeOrigin + performance.now();
/** Progress lines for the page's console (BENCH_DEBUG=1 shows them). */
const trace = (message: string): void => self.postMessage({ trace: message });
const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

/** Output frame count of an MP4 in MEMFS (packets of its video stream). */
function countVideoPackets(core: CodecCore, path: string): number {
  const { json } = core.ffprobeJson(['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'json', path]);
  const streams = (json as { streams?: { nb_read_packets?: string }[] } | null)?.streams;
  return Number(streams?.[0]?.nb_read_packets ?? NaN);
}

/**
 * What an @ffmpeg/ffmpeg user writes: one exec that decodes, scales (swscale, bilinear) and
 * encodes, input mounted with WORKERFS. Encoder settings are the pipeline's (encodeArgs).
 */
async function execBaseline(module: WebAssembly.Module, file: File, scaleFilter: string, limitFrames = 0): Promise<BenchWorkerReply> {
  const core = await loadCodecCoreInWorker(module);
  const input = mountInputFile(core, file);
  const info = probeMedia(core, input);
  const width = even((480 * info.displayWidth) / info.displayHeight);
  // encodeArgs reads from a rawvideo device; keep its encoder half and put a real input in front.
  const encoder = encodeArgs({ codec: 'h264', width, height: 480, frameRate: info.frameRate, input: '-', output: '/out.mp4' });
  const encoderHalf = encoder.slice(encoder.indexOf('-c:v'));
  // limitFrames > 0: only the first frames (the bench page's warm-up run).
  const limit = limitFrames > 0 ? ['-frames:v', String(limitFrames)] : [];
  const args = ['-hide_banner', '-nostats', '-i', input, '-map', '0:v:0', '-an', '-vf', scaleFilter.replace('WIDTH', String(width)), ...limit, ...encoderHalf];
  const startedAt = now();
  const ret = core.exec(args);
  const endedAt = now();
  if (ret !== 0) return { ok: false, message: `baseline exec exited ${ret}: ${core.logTail().slice(-400)}` };
  const outBytes = core.FS.stat('/out.mp4').size;
  const frames = countVideoPackets(core, '/out.mp4');
  return { ok: true, kind: 'exec', startedAt, endedAt, frames, outBytes, wasmBytes: core.wasmMemoryBytes(), ret };
}

/** Waits (blocking: a worker may) until `done` holds, re-checking every 50 ms; false on timeout. */
function awaitBeside(beside: Int32Array, done: (b: Int32Array) => boolean, timeoutMs: number): boolean {
  const until = now() + timeoutMs;
  while (!done(beside)) {
    if (now() > until) return false;
    Atomics.wait(beside, STATE, Atomics.load(beside, STATE), 50);
  }
  return true;
}

/**
 * The other half of stage-alone's side-by-side step: decodes the input again and again, each
 * frame scaled as the pipeline's scaler does, counting frames, from the go to the stop.
 */
async function decodeBeside(module: WebAssembly.Module, file: File, targetHeight: number, besideBuffer: SharedArrayBuffer): Promise<BenchWorkerReply> {
  const beside = new Int32Array(besideBuffer);
  const core = await loadCodecCoreInWorker(module);
  const input = mountInputFile(core, file);
  const info = probeMedia(core, input);
  const src = { width: info.displayWidth, height: info.displayHeight };
  const dst = { width: even((targetHeight * src.width) / src.height), height: targetHeight };
  const scaler = createI420Scaler(src.width, src.height, dst.width, dst.height);
  const reused = new Uint8Array(i420Layout(src.width, src.height).byteLength);
  const scaled = new Uint8Array(i420Layout(dst.width, dst.height).byteLength);
  const stopped = new Error('stopped');
  const sink = mountFrameSink(core, '/dev/bench-beside', new FrameCutter(reused.byteLength, {
    begin: () => {
      if (Atomics.load(beside, STATE) === SideBySide.stop) throw stopped;
      return reused;
    },
    end: (frame) => {
      scaler.scale(frame, scaled);
      Atomics.add(beside, FRAMES, 1);
    },
  }));
  setState(beside, SideBySide.ready);
  // Stage-alone gives the go after its own steps (or the page the stop, if it failed first).
  while (Atomics.load(beside, STATE) === SideBySide.ready) Atomics.wait(beside, STATE, SideBySide.ready, 1000);
  while (Atomics.load(beside, STATE) === SideBySide.go) {
    core.exec(decodeArgs(input, info, sink.path)); // the whole input; again until the stop
    const error = sink.takeError();
    if (error !== undefined && error !== stopped) throw error;
  }
  return { ok: true, kind: 'decode-beside', frames: Atomics.load(beside, FRAMES) };
}

/**
 * Decode alone, scale alone, encode alone, each on this one thread (nothing else runs), over
 * the first `frames` frames of the input; then the encode again beside a decoder (step 5).
 */
async function stageAlone(module: WebAssembly.Module, file: File, targetHeight: number, frames: number, besideBuffer: SharedArrayBuffer): Promise<BenchWorkerReply> {
  trace('loading the codec');
  const core = await loadCodecCoreInWorker(module);
  trace('loaded');
  const input = mountInputFile(core, file);
  const info = probeMedia(core, input);
  trace('probed');
  const src = { width: info.displayWidth, height: info.displayHeight };
  const dst = { width: even((targetHeight * src.width) / src.height), height: targetHeight };
  const srcBytes = i420Layout(src.width, src.height).byteLength;
  const dstBytes = i420Layout(dst.width, dst.height).byteLength;

  // 1. Decode alone: the pipeline's decode command into a sink device, one reused buffer
  //    (the pipeline's copy into a slot is kept; the handoff is not).
  const reused = new Uint8Array(srcBytes);
  let decoded = 0;
  // Enough frames: the sink refuses the next one, ffmpeg gets EIO and ends its run cleanly.
  const enough = new Error('enough frames');
  const sink = mountFrameSink(core, '/dev/bench-sink', new FrameCutter(srcBytes, {
    begin: () => {
      if (decoded >= frames) throw enough;
      return reused;
    },
    end: () => { decoded++; },
  }));
  trace(`decode alone: ${src.width}x${src.height} → ${dst.width}x${dst.height}`);
  let t0 = now();
  core.exec(decodeArgs(input, info, sink.path));
  const decodeMs = now() - t0;
  if (sink.takeError() !== enough && decoded < frames && decoded < (info.frameCount ?? 0)) throw new Error(`decode alone stopped after ${decoded} frames`);
  sink.unmount();

  // 2. Untimed: decode again, keep source frames for the scaler and scaled frames for the encoder.
  const keepSource = Math.min(60, decoded);
  const sourceFrames: Uint8Array[] = [];
  const scaledFrames: Uint8Array[] = [];
  const scaler = createI420Scaler(src.width, src.height, dst.width, dst.height); // the pipeline's scaler (WASM SIMD where available)
  const capture = mountFrameSink(core, '/dev/bench-capture', new FrameCutter(srcBytes, {
    begin: () => {
      if (scaledFrames.length >= decoded) throw enough;
      return reused;
    },
    end: (frame) => {
      if (sourceFrames.length < keepSource) sourceFrames.push(frame.slice());
      const out = new Uint8Array(dstBytes);
      scaler.scale(frame, out);
      scaledFrames.push(out);
    },
  }));
  trace(`decoded ${decoded} frames in ${decodeMs.toFixed(0)} ms; capturing`);
  core.exec(decodeArgs(input, info, capture.path));
  const captureError = capture.takeError();
  if (captureError !== undefined && captureError !== enough) throw captureError;
  capture.unmount();

  trace(`captured ${scaledFrames.length} frames; scaling`);
  // 3. Scale alone: the kept source frames round and round into one reused target buffer.
  const out = new Uint8Array(dstBytes);
  for (let i = 0; i < Math.min(10, sourceFrames.length); i++) scaler.scale(sourceFrames[i]!, out); // JIT warm-up
  const scaleFrames = Math.max(decoded, 150);
  t0 = now();
  for (let i = 0; i < scaleFrames; i++) scaler.scale(sourceFrames[i % sourceFrames.length]!, out);
  const scaleMs = now() - t0;
  // The TypeScript scaler (the fallback where WASM SIMD is missing) on the same frames, beside it.
  const tsScaler = createI420Scaler(src.width, src.height, dst.width, dst.height, 'typescript');
  for (let i = 0; i < Math.min(10, sourceFrames.length); i++) tsScaler.scale(sourceFrames[i]!, out); // JIT warm-up
  const tsFrames = Math.min(scaleFrames, 90);
  t0 = now();
  for (let i = 0; i < tsFrames; i++) tsScaler.scale(sourceFrames[i % sourceFrames.length]!, out);
  const tsScaleMs = now() - t0;

  trace(`scaled ${scaleFrames} in ${scaleMs.toFixed(0)} ms; encoding`);
  // 4. Encode alone: the pipeline's encoder command reading the scaled frames from a source device.
  let next = 0;
  const source = mountFrameSource(core, '/dev/bench-source', {
    next: () => (next < scaledFrames.length ? scaledFrames[next++]! : null),
    done: () => {},
  });
  t0 = now();
  const ret = core.exec(encodeArgs({ codec: 'h264', width: dst.width, height: dst.height, frameRate: info.frameRate, input: source.path, output: '/alone.mp4' }));
  const encodeMs = now() - t0;
  source.rethrowIfFailed();
  if (ret !== 0) return { ok: false, message: `encode alone exited ${ret}: ${core.logTail().slice(-400)}` };
  source.unmount();

  // 5. Side by side: the same encode again while another worker decodes and scales on the other
  //    core (decodeBeside). The pipeline runs those at once, so this pair, not a stage on an idle
  //    machine, is what two cores can give it: caches, memory bandwidth and the host's scheduling
  //    are shared.
  const beside = new Int32Array(besideBuffer);
  if (!awaitBeside(beside, (b) => Atomics.load(b, STATE) >= SideBySide.ready, 60_000)) {
    return { ok: false, message: 'side by side: the other decoder did not start within 60 s' };
  }
  setState(beside, SideBySide.go);
  awaitBeside(beside, (b) => Atomics.load(b, FRAMES) >= 10, 10_000); // past its start-up
  next = 0;
  const besideSource = mountFrameSource(core, '/dev/bench-source-beside', {
    next: () => (next < scaledFrames.length ? scaledFrames[next++]! : null),
    done: () => {},
  });
  const decodedBefore = Atomics.load(beside, FRAMES);
  t0 = now();
  const besideRet = core.exec(encodeArgs({ codec: 'h264', width: dst.width, height: dst.height, frameRate: info.frameRate, input: besideSource.path, output: '/beside.mp4' }));
  const besideMs = now() - t0;
  const decodedBeside = Atomics.load(beside, FRAMES) - decodedBefore;
  setState(beside, SideBySide.stop);
  besideSource.rethrowIfFailed();
  if (besideRet !== 0) return { ok: false, message: `encode beside the decoder exited ${besideRet}: ${core.logTail().slice(-400)}` };

  return {
    ok: true,
    kind: 'stage-alone',
    wasmBytes: core.wasmMemoryBytes(),
    figures: {
      where: 'Chromium, one dedicated worker, nothing else running',
      frames: decoded,
      decodeFps: (decoded / decodeMs) * 1000,
      scaleFps: (scaleFrames / scaleMs) * 1000,
      scaler: scaler.kind,
      scaleTsFps: (tsFrames / tsScaleMs) * 1000,
      encodeFps: (scaledFrames.length / encodeMs) * 1000,
      encodeBesideFps: (scaledFrames.length / besideMs) * 1000,
      decodeScaleBesideFps: (decodedBeside / besideMs) * 1000,
      targetWidth: dst.width,
      targetHeight: dst.height,
    },
  };
}

self.onmessage = async (event: MessageEvent<BenchWorkerRequest>) => {
  const request = event.data;
  try {
    let reply: BenchWorkerReply;
    if (request.kind === 'stage-alone') reply = await stageAlone(request.module, request.file, request.targetHeight, request.frames, request.beside);
    else if (request.kind === 'decode-beside') reply = await decodeBeside(request.module, request.file, request.targetHeight, request.beside);
    else reply = await execBaseline(request.module, request.file, request.scaleFilter, request.frames);
    self.postMessage(reply);
  } catch (error) {
    self.postMessage({ ok: false, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies BenchWorkerReply);
  }
};
