import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CodecCore } from '../../src/codec/core.ts';
import { liveStageWorkers, PipelineRun, type RunOptions } from '../../src/pipeline/controller.ts';
import { loadCore, makeClip, probeStream } from '../codec/helpers.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';

let core: CodecCore;
const dir = mkdtempSync(join(tmpdir(), 'framepool-pipeline-'));

/** A lavfi clip on disk (the decode worker reads it lazily, as it would a dropped File). */
function clipOnDisk(name: string, size: string, frames: number): string {
  makeClip(core, `/${name}`, { size, frames });
  const path = join(dir, name);
  writeFileSync(path, core.FS.readFile(`/${name}`));
  core.FS.unlink(`/${name}`);
  return path;
}

function probeSegment(bytes: Uint8Array, name: string) {
  core.FS.writeFile(`/${name}`, bytes);
  try {
    return probeStream(core, `/${name}`);
  } finally {
    core.FS.unlink(`/${name}`);
  }
}

const base: RunOptions = { mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'manual' }, startRung: '240' };

beforeAll(async () => {
  core = await loadCore();
});

describe('pipeline (real workers, real codec)', () => {
  it.each(['pooled', 'unpooled'] as const)('%s: every decoded frame comes out of the encoder', async (mode) => {
    const path = clipOnDisk(`plain-${mode}.mp4`, '320x240', 45);
    const workersBefore = liveStageWorkers();
    const run = new PipelineRun(nodePipelineHost, { hostPath: path }, { ...base, mode });
    const phase = await run.run();
    expect(run.failure).toBeNull();
    expect(phase).toBe('done');
    expect(run.segments).toHaveLength(1);
    const segment = run.segments[0]!;
    expect(segment.frames).toBe(45);
    expect(probeSegment(segment.bytes, segment.fileName)).toEqual({ codec: 'h264', width: 320, height: 240, frames: 45 });
    expect(liveStageWorkers()).toBe(workersBefore);
  });
});
