/**
 * Makes public/sample.mp4 with the project's own codec core from lavfi sources:
 * 1280×720, 30 fps, 10 s, H.264 in MP4 with faststart — motion and fine detail
 * (moving test pattern, a zooming Mandelbrot inset, Life cells, film grain) so the
 * codecs have real work to do. Run: node --import tsx scripts/make-sample.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCodecCoreInNode } from '../src/codec/core-node.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'sample.mp4');
const W = 1280;
const H = 720;
const FPS = 30;
const SECONDS = 10;

const core = await loadCodecCoreInNode();
const t0 = performance.now();
const filter = [
  `[0:v]noise=alls=10:allf=t+u[bg]`,
  `[1:v]scale=480:360[mandel]`,
  `[2:v]scale=320:180:flags=neighbor[life]`,
  `[bg][mandel]overlay=x='40+(W-w-80)*(0.5+0.5*sin(t*0.7))':y=60[a]`,
  `[a][life]overlay=x=W-w-40:y='H-h-40-(H-h-80)*(0.5+0.5*cos(t*0.5))'[v]`,
].join(';');
const ret = core.exec([
  '-hide_banner', '-nostats',
  '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=${FPS}:duration=${SECONDS}`,
  '-f', 'lavfi', '-i', `mandelbrot=size=480x360:rate=${FPS}:end_scale=0.05`,
  '-f', 'lavfi', '-i', `life=size=160x90:rate=${FPS}:mold=10:ratio=0.3:death_color=#202040:life_color=#ffcc00`,
  '-filter_complex', filter, '-map', '[v]',
  '-t', String(SECONDS),
  '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '29', '-pix_fmt', 'yuv420p',
  '-movflags', '+faststart', '-f', 'mp4', '/sample.mp4',
]);
if (ret !== 0) {
  console.error(core.logTail());
  throw new Error(`ffmpeg exited ${ret} while making the sample`);
}
const bytes = core.FS.readFile('/sample.mp4');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bytes);
console.log(`wrote ${out}: ${(bytes.length / 1e6).toFixed(2)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
