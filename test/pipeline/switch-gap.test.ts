import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SLOW_FAULT_MS } from '../../src/pipeline/control-block.ts';
import { PipelineRun, type RunOptions } from '../../src/pipeline/controller.ts';
import { buildRunReport } from '../../src/pipeline/run-report.ts';
import { loadCore, makeClip } from '../codec/helpers.ts';
import { nodePipelineHost } from '../support/node-pipeline-host.ts';

const FRAMES = 40;
let clip = '';

beforeAll(async () => {
  const core = await loadCore();
  makeClip(core, '/gap.mp4', { size: '320x240', frames: FRAMES });
  clip = join(mkdtempSync(join(tmpdir(), 'framepool-gap-')), 'gap.mp4');
  writeFileSync(clip, core.FS.readFile('/gap.mp4'));
});

// The encoder is the bottleneck (a slow fault from frame 0), so link B is full of old-size
// frames whenever the scaler takes a switch's first frame.
const slowEncoder: RunOptions = {
  mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'every', frames: 10 }, startRung: '240',
  fault: { stage: 'encode', frameIndex: 0, kind: 'slow' },
};

describe('switch cost at the encoder (issue 13)', () => {
  it.each([1, 2] as const)('%s encoder(s): the report has one encoder-side gap per switch, ≥ 0, ending at the new segment\'s first frame taken, and shorter than request → encoder by the old frames still queued', async (encoders) => {
    const run = new PipelineRun(nodePipelineHost, { hostPath: clip }, { ...slowEncoder, encoders });
    expect(await run.run()).toBe('done');
    const report = buildRunReport(run);
    expect(report.switches.map((s) => s.frameIndex)).toEqual([10, 20, 30]);
    const segments = run.segments;
    for (const s of report.switches) {
      expect(s.gapMs).not.toBeNull();
      expect(s.gapMs!).toBeGreaterThanOrEqual(0);
      const opened = segments.find((g) => g.index === s.segment)!;
      const previous = segments.find((g) => g.index === s.segment! - 1)!;
      // gap = new.firstTakenAt − the old encoder's last take, so that take lies inside the old
      // segment: after its first frame was taken, before its exec returned.
      const lastOldTaken = opened.firstTakenAt - s.gapMs!;
      expect(lastOldTaken).toBeGreaterThanOrEqual(previous.firstTakenAt);
      expect(lastOldTaken).toBeLessThanOrEqual(previous.closedAt);
      // The request (the scaler taking frame N) came while frames < N still waited on link B
      // (more than one: the encoder spends SLOW_FAULT_MS on each), so the old encoder's last
      // take came at least one frame's service after it: gap ≤ request → encoder − that.
      expect(s.toEncoderMs! - s.gapMs!).toBeGreaterThanOrEqual(SLOW_FAULT_MS);
    }
  });
});
