/**
 * The bench's fixed inputs, made by the project's own codec core from lavfi sources and
 * cached in bench/inputs/ (ignored by git). The recipe of scripts/make-sample.ts: a moving
 * test pattern with film grain, a zooming Mandelbrot inset and Life cells, so decoders and
 * encoders do real work (motion, fine detail), H.264 in MP4 with faststart. x264 "superfast"
 * (CABAC and deblocking on, as in camera and web files) rather than the sample's "veryfast":
 * the WASM encoder makes 720p at ~16 fps instead of ~8, so a fresh CI clone makes its input fast.
 *
 * A soak input is the 720p 60 s input repeated by stream copy (no re-encode).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecCore } from '../src/codec/core.ts';
import { loadCodecCoreInNode } from '../src/codec/core-node.ts';

export const INPUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'inputs');

export interface InputSpec {
  id: string;
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

export const INPUTS = {
  '720p-10s': { id: '720p-10s', width: 1280, height: 720, fps: 30, seconds: 10 },
  '720p-60s': { id: '720p-60s', width: 1280, height: 720, fps: 30, seconds: 60 },
  '1080p-10s': { id: '1080p-10s', width: 1920, height: 1080, fps: 30, seconds: 10 },
} as const satisfies Record<string, InputSpec>;
export type InputId = keyof typeof INPUTS;

/** Bumped when the recipe changes, so stale cached files are not reused. */
const RECIPE = 'r2';

export function inputFileName(spec: InputSpec): string {
  return `${spec.id}-${RECIPE}.mp4`;
}

let corePromise: Promise<CodecCore> | null = null;
const core = (): Promise<CodecCore> => (corePromise ??= loadCodecCoreInNode());

function encodeInput(c: CodecCore, spec: InputSpec, out: string): void {
  const { width: W, height: H, fps, seconds } = spec;
  // Inset sizes scale with the frame so 1080p is not just 720p with more flat area.
  const k = W / 1280;
  const even = (n: number) => Math.round(n / 2) * 2;
  const mw = even(480 * k), mh = even(360 * k), lw = even(320 * k), lh = even(180 * k);
  const filter = [
    `[0:v]noise=alls=10:allf=t+u[bg]`,
    `[1:v]scale=${mw}:${mh}[mandel]`,
    `[2:v]scale=${lw}:${lh}:flags=neighbor[life]`,
    `[bg][mandel]overlay=x='40+(W-w-80)*(0.5+0.5*sin(t*0.7))':y=60[a]`,
    `[a][life]overlay=x=W-w-40:y='H-h-40-(H-h-80)*(0.5+0.5*cos(t*0.5))'[v]`,
  ].join(';');
  const ret = c.exec([
    '-hide_banner', '-nostats',
    '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=${fps}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `mandelbrot=size=480x360:rate=${fps}:end_scale=0.05`,
    '-f', 'lavfi', '-i', `life=size=160x90:rate=${fps}:mold=10:ratio=0.3:death_color=#202040:life_color=#ffcc00`,
    '-filter_complex', filter, '-map', '[v]',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'superfast', '-crf', '29', '-g', String(fps * 2), '-pix_fmt', 'yuv420p',
    '-movflags', '+faststart', '-f', 'mp4', out,
  ]);
  if (ret !== 0) throw new Error(`ffmpeg exited ${ret} while making bench input ${spec.id}: ${c.logTail().slice(-600)}`);
}

function saveFromCore(c: CodecCore, memfsPath: string, path: string): void {
  const bytes = c.FS.readFile(memfsPath);
  c.FS.unlink(memfsPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.part`, bytes);
  renameSync(`${path}.part`, path); // never leave a half-written input in the cache
}

/** Path of a cached input, made first if missing. */
export async function ensureInput(id: InputId, log: (line: string) => void = () => {}): Promise<string> {
  const spec = INPUTS[id];
  const path = join(INPUT_DIR, inputFileName(spec));
  if (existsSync(path)) return path;
  const t0 = performance.now();
  const c = await core();
  encodeInput(c, spec, '/input.mp4');
  saveFromCore(c, '/input.mp4', path);
  log(`made bench input ${id} in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${path}`);
  return path;
}

/** A 720p input of at least `minutes` minutes: the 60 s input repeated by stream copy. */
export async function ensureSoakInput(minutes: number, log: (line: string) => void = () => {}): Promise<{ path: string; seconds: number }> {
  const repeats = Math.max(1, Math.ceil(minutes + 0.5)); // half a minute spare: decoding must outlast the soak
  const seconds = repeats * INPUTS['720p-60s'].seconds;
  const path = join(INPUT_DIR, `soak-720p-${repeats}min-${RECIPE}.mp4`);
  if (existsSync(path)) return { path, seconds };
  const source = await ensureInput('720p-60s', log);
  const t0 = performance.now();
  const c = await core();
  c.FS.writeFile('/source.mp4', readFileSync(source));
  const ret = c.exec([
    '-hide_banner', '-nostats', '-stream_loop', String(repeats - 1), '-i', '/source.mp4',
    '-map', '0:v:0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '/soak.mp4',
  ]);
  c.FS.unlink('/source.mp4');
  if (ret !== 0) throw new Error(`ffmpeg exited ${ret} while making the soak input: ${c.logTail().slice(-600)}`);
  saveFromCore(c, '/soak.mp4', path);
  log(`made soak input (${repeats} min) in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${path}`);
  return { path, seconds };
}
