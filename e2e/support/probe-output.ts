/**
 * An independent decoder for the page's output: ffmpeg.wasm in Node counts the frames of a
 * file, and of every segment in the page's "Download all" zip (unzipped by Python's zipfile).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodecCore } from '../../src/codec/core.ts';
import { loadCodecCoreInNode } from '../../src/codec/core-node.ts';
import { probeStream } from '../../test/codec/helpers.ts';

let corePromise: Promise<CodecCore> | null = null;
/** One Node codec core per test process. */
export const nodeCore = (): Promise<CodecCore> => (corePromise ??= loadCodecCoreInNode({ skipSelfTest: true }));

/** The file's first video stream as ffprobe counts it (-count_frames: every frame decoded). */
export async function probeFile(path: string): Promise<{ width: number; height: number; frames: number }> {
  const c = await nodeCore();
  const name = `/probe-${path.split('/').pop()!}`;
  c.FS.writeFile(name, readFileSync(path));
  try {
    return probeStream(c, name);
  } finally {
    c.FS.unlink(name);
  }
}

/** The segments of a "Download all" zip, in name order, each counted by ffprobe in Node. */
export async function segmentsOfZip(zipPath: string): Promise<{ name: string; width: number; height: number; frames: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'framepool-zip-'));
  try {
    execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zipPath, dir]);
    const runDir = join(dir, readdirSync(dir)[0]!);
    const out = [];
    for (const name of readdirSync(runDir).sort()) out.push({ name, ...await probeFile(join(runDir, name)) });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
