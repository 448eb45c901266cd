/**
 * Test clips made with the project's own core (lavfi sources), cached per process in the OS
 * temp directory: no binary fixtures in the repository.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCodecCoreInNode } from '../../src/codec/core-node.ts';

const dir = join(tmpdir(), 'framepool-e2e-clips');

/** An H.264 MP4 of testsrc2 (moving pattern), `seconds` long at `fps`. */
export async function testClip(name: string, opts: { width: number; height: number; fps: number; seconds: number }): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}-${opts.width}x${opts.height}-${opts.fps}-${opts.seconds}.mp4`);
  if (existsSync(path)) return path;
  const core = await loadCodecCoreInNode({ skipSelfTest: true });
  const rc = core.exec([
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=${opts.fps}:duration=${opts.seconds}`,
    '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(opts.fps), '/clip.mp4',
  ]);
  if (rc !== 0) throw new Error(`clip generation failed (${rc}): ${core.logTail().slice(-500)}`);
  writeFileSync(path, core.FS.readFile('/clip.mp4'));
  core.FS.unlink('/clip.mp4');
  return path;
}

/** A file that is not a video (text with a video extension). */
export function notAVideo(): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'notes.mp4');
  writeFileSync(path, 'These are meeting notes, not a video.\n'.repeat(200));
  return path;
}
