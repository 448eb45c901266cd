import { describe, expect, it } from 'vitest';
import { ControlBlock, type TargetRequest } from '../../src/pipeline/control-block.ts';
import { startTsWorker } from '../support/ts-worker.ts';

describe('control block size request', () => {
  it('reads back the newest request whole (width, height and time of one request)', () => {
    const control = ControlBlock.create('max');
    const seq0 = control.targetSeq;
    control.requestTarget(640, 360);
    control.requestTarget(854, 480);
    const into: TargetRequest = { width: 0, height: 0, requestedAt: 0 };
    const seq = control.readTarget(into);
    expect(seq).not.toBe(seq0);
    expect(seq).toBe(control.targetSeq);
    expect(into).toMatchObject({ width: 854, height: 480 });
    expect(into.requestedAt).toBeGreaterThan(0);
  });

  // Bug: the request was written W, H, then a sequence bump, and read seq, W, H without a
  // re-check, so two quick requests could be read as W of one and H of the other (a
  // one-frame W2×H1 segment).
  it('is never torn while another thread requests sizes as fast as it can', async () => {
    const control = ControlBlock.create('max');
    const ready = new Int32Array(new SharedArrayBuffer(12));
    const worker = startTsWorker(new URL('./workers/target-reader.ts', import.meta.url), { workerData: { control: control.buffer, ready: ready.buffer } });
    const result = new Promise<{ reads: number; torn: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    try {
      while (Atomics.load(ready, 0) === 0) Atomics.wait(ready, 0, 0, 50);
      // Pairs of quick requests (a double click), then a breath so the reader gets through.
      // Until the reader has raced 200 requests (or 10 s on a busy machine).
      const until = performance.now() + 10_000;
      for (let w = 2; Atomics.load(ready, 2) < 200 && performance.now() < until; w = w >= 8000 ? 2 : w + 4) {
        control.requestTarget(w, w + 2);
        control.requestTarget(w + 2, w + 4);
        for (const t = performance.now() + 0.02; performance.now() < t;);
      }
      Atomics.store(ready, 1, 1);
      const { reads, torn } = await result;
      expect(reads).toBeGreaterThan(20); // the reader really raced the writer
      expect(torn).toBe(0);
    } finally {
      await worker.terminate();
    }
  });
});
