/** Fixtures and runs for the reliability tests: small clips made by the core, run through PipelineRun in worker_threads. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodecCore } from '../../src/codec/core.ts';
import { FrameArena } from '../../src/pool/arena.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import { PipelineRun, type PipelineHost, type RunOptions, type StageWorker } from '../../src/pipeline/controller.ts';
import type { StageKind } from '../../src/pipeline/stage-protocol.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';
import { probeStream, run as runFfmpeg } from '../codec/helpers.ts';

export const baseOptions: RunOptions = { mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'manual' }, startRung: '240' };

/** A directory for this test file's fixtures (the decode worker reads them lazily, as it would a dropped File). */
export function fixtureDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `framepool-${prefix}-`));
}

/** Runs ffmpeg in the core writing `/name`, copies the result to `dir`, returns its host path. */
export function makeFixture(core: CodecCore, dir: string, name: string, args: readonly string[]): string {
  runFfmpeg(core, ['-hide_banner', ...args, `/${name}`]);
  return saveFixture(core, dir, name, core.FS.readFile(`/${name}`));
}

export function saveFixture(core: CodecCore, dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  if (core.FS.analyzePath(`/${name}`).exists) core.FS.unlink(`/${name}`);
  return path;
}

/** Stream facts of an encoded segment (decoded frame count included). */
export function probeBytes(core: CodecCore, bytes: Uint8Array, name: string) {
  core.FS.writeFile(`/${name}`, bytes);
  try {
    return probeStream(core, `/${name}`);
  } finally {
    core.FS.unlink(`/${name}`);
  }
}

/** Slots still held in a run's two pools (0 after every run: stops and failures included). */
export function heldSlots(run: PipelineRun): number {
  const shared = run.shared;
  if (!shared) throw new Error('the run has no shared memory');
  const arena = FrameArena.attach(shared.arena);
  return [shared.linkA, shared.linkB].reduce((n, link) => n + FramePool.attach(link.pool, null, { countReuse: false, arena }).stats().heldSlots, 0);
}

/** The Node host, remembering every worker it starts so a test can kill one behind the controller's back. */
export function killableHost(): PipelineHost & { kill(kind: StageKind): void; spawned: { kind: StageKind; worker: StageWorker<StageKind> }[] } {
  const spawned: { kind: StageKind; worker: StageWorker<StageKind> }[] = [];
  return {
    spawned,
    codecModule: () => nodePipelineHost.codecModule(),
    spawn<K extends StageKind>(kind: K): StageWorker<K> {
      const worker = nodePipelineHost.spawn(kind);
      spawned.push({ kind, worker: worker as unknown as StageWorker<StageKind> });
      return worker;
    },
    kill(kind) {
      const latest = spawned.filter((s) => s.kind === kind).at(-1);
      if (!latest) throw new Error(`no ${kind} worker was started`);
      latest.worker.terminate(); // the thread ends; the controller only sees it exit
    },
  };
}

/** Resolves when `run` reaches `phase`. */
export function untilPhase(run: PipelineRun, phase: PipelineRun['phase']): Promise<void> {
  return new Promise((resolve) => {
    if (run.phase === phase) return resolve();
    const check = () => {
      if (run.phase !== phase) return;
      run.removeEventListener('phase', check);
      resolve();
    };
    run.addEventListener('phase', check);
  });
}

/** Resolves when `run` has delivered `count` segments. */
export function untilSegments(run: PipelineRun, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (run.segments.length < count) return;
      run.removeEventListener('segment', check);
      resolve();
    };
    run.addEventListener('segment', check);
    check();
  });
}

/** Polls `condition` every 20 ms; rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
