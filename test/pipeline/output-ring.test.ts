import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createOutputRing, OutputRingReader, OutputRingWriter } from '../../src/pipeline/output-ring.ts';

const chunk = (i: number, n: number) => new Uint8Array(n).map((_, k) => (i * 31 + k) & 255);

let bundle: URL | null = null;
function writerWorker(data: Record<string, unknown>): { worker: Worker; done: Promise<{ ok: boolean; message?: string; name?: string }> } {
  if (!bundle) {
    const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({ entryPoints: [fileURLToPath(new URL('./workers/ring-writer.ts', import.meta.url))], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
    bundle = new URL(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.contents).toString('base64')}`);
  }
  const worker = new Worker(bundle, { workerData: data });
  const done = new Promise<{ ok: boolean; message?: string; name?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, done };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the output ring: encoded bytes from an encoder to the page through shared memory', () => {
  it('gives back every chunk, byte for byte and in order, across many wraps of the ring', () => {
    const ring = createOutputRing(1000);
    const writer = new OutputRingWriter(ring);
    const reader = new OutputRingReader(ring);
    const sizes = Array.from({ length: 200 }, (_, i) => 1 + ((i * 397) % 700));
    sizes.forEach((n, i) => {
      writer.write(chunk(i, n));
      expect(reader.read(n)).toEqual(chunk(i, n));
    });
    expect(reader.peakBytes()).toBe(Math.max(...sizes));
  });

  it('a writer that replaces another continues where it stopped (an encode worker replaced between segments)', () => {
    const ring = createOutputRing(100);
    const reader = new OutputRingReader(ring);
    new OutputRingWriter(ring).write(chunk(1, 70));
    expect(reader.read(70)).toEqual(chunk(1, 70));
    new OutputRingWriter(ring).write(chunk(2, 60)); // wraps: 30 bytes at the end, 30 at the start
    expect(reader.read(60)).toEqual(chunk(2, 60));
  });

  it('refuses a chunk larger than the ring (the sender splits those)', () => {
    expect(() => new OutputRingWriter(createOutputRing(10)).write(new Uint8Array(11))).toThrow(RangeError);
  });

  it('a writer that finds the ring full blocks until the page reads, then writes: wake-up proven', async () => {
    const ring = createOutputRing(1000);
    const state = new SharedArrayBuffer(4);
    const flags = new Int32Array(state);
    const { worker, done } = writerWorker({ ring, state, sizes: [600, 300, 500] });
    try {
      for (const until = Date.now() + 10_000; Atomics.load(flags, 0) !== 1 && Date.now() < until;) await sleep(5);
      expect(Atomics.load(flags, 0)).toBe(1); // about to write the 500: only 100 bytes free
      // Blocked, not busy: Atomics.notify on the ring's USED word finds the writer parked there
      // (it waits in 100 ms slices, so a few tries), and a spurious wake changes nothing.
      const header = new Int32Array(ring, 0, 1);
      let parked = 0;
      for (let i = 0; i < 50 && parked === 0; i++) {
        await sleep(10);
        parked = Atomics.notify(header, 0);
      }
      expect(parked).toBe(1);
      await sleep(150);
      expect(Atomics.load(flags, 0)).toBe(1);
      expect(Atomics.load(header, 0)).toBe(900);

      const reader = new OutputRingReader(ring);
      expect(reader.read(600)).toEqual(chunk(0, 600)); // the room it needs
      const result = await done;
      expect(result.ok).toBe(true);
      expect(Atomics.load(flags, 0)).toBe(2);
      expect(reader.read(300)).toEqual(chunk(1, 300));
      expect(reader.read(500)).toEqual(chunk(2, 500));
      expect(reader.peakBytes()).toBe(900); // 600 + 300 waited; the 500 went in after 600 were read
    } finally {
      await worker.terminate();
    }
  });

  it('a page that stops reading fails the writer with a sentence instead of hanging it', async () => {
    const ring = createOutputRing(100);
    const { worker, done } = writerWorker({ ring, state: new SharedArrayBuffer(4), sizes: [80, 80], timeoutMs: 300 });
    try {
      const result = await done;
      expect(result).toMatchObject({ ok: false, name: 'OutputRingStalled' });
      expect(result.message).toMatch(/read no encoded output for 0 s while 80 bytes waited/);
    } finally {
      await worker.terminate();
    }
  });
});
