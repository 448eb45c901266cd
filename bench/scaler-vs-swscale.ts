/**
 * Our TypeScript bilinear scaler vs ffmpeg.wasm's swscale (bilinear) on the same frames:
 * 1280×720 I420 → 854×480, in Node, one thread.
 *
 * - TS: I420Scaler.scale over the decoded frames into one reused buffer.
 * - swscale: ffmpeg reading the same raw frames from MEMFS with `-vf scale=854:480:flags=bilinear`
 *   to /dev/null, minus the same command without the filter (demux + rawvideo out), per frame.
 * Each figure is the best of `repeats` runs (least disturbed by the rest of the machine).
 *
 * Run alone: node --import tsx bench/scaler-vs-swscale.ts [input.mp4]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadCodecCoreInNode } from '../src/codec/core-node.ts';
import { I420Scaler } from '../src/pipeline/scale/bilinear-i420.ts';
import { i420Layout } from '../src/pool/frame-format.ts';

export interface ScalerComparison {
  where: string;
  source: string;
  target: string;
  frames: number;
  tsMsPerFrame: number;
  swscaleMsPerFrame: number;
  /** swscale ms ÷ TS ms: above 1 means ours is faster. */
  speedup: number;
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

  const scaler = new I420Scaler(SRC.width, SRC.height, DST.width, DST.height);
  const out = new Uint8Array(i420Layout(DST.width, DST.height).byteLength);
  for (let i = 0; i < 10; i++) scaler.scale(sources[i % count]!, out); // JIT warm-up
  let tsBest = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (const frame of sources) scaler.scale(frame, out);
    tsBest = Math.min(tsBest, (performance.now() - t0) / count);
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
    swscaleMsPerFrame: swscale,
    speedup: swscale / tsBest,
  };
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const input = process.argv[2];
  if (!input) throw new Error('usage: node --import tsx bench/scaler-vs-swscale.ts INPUT.mp4');
  console.log(await runScalerComparison(input));
}
