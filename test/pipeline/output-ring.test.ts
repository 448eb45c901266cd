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

type Taken = { segment: number; bytes: Uint8Array };
function collect(): { taken: Taken[]; take: (segment: number, bytes: Uint8Array) => void } {
  const taken: Taken[] = [];
  return { taken, take: (segment, bytes) => taken.push({ segment, bytes }) };
}
const RECORD = 8; // each chunk's header in the ring: segment, length

describe('the output ring: encoded bytes from an encoder to the page through shared memory', () => {
  it('gives back every chunk with its segment, byte for byte and in order, across many wraps of the ring', () => {
    const ring = createOutputRing(1000);
    const writer = new OutputRingWriter(ring);
    const reader = new OutputRingReader(ring);
    const sizes = Array.from({ length: 200 }, (_, i) => 1 + ((i * 397) % 700));
    const { taken, take } = collect();
    sizes.forEach((n, i) => {
      writer.write(i >> 3, chunk(i, n));
      // Sometimes two records wait together: a drain takes both, in order.
      if (i % 2 === 1 || n > 250) expect(reader.drain(take)).toBeGreaterThan(0);
    });
    reader.drain(take);
    expect(taken.map((t) => t.segment)).toEqual(sizes.map((_, i) => i >> 3));
    taken.forEach((t, i) => expect(t.bytes).toEqual(chunk(i, sizes[i]!)));
    expect(reader.drain(take)).toBe(0);
    expect(reader.peakBytes()).toBeGreaterThanOrEqual(Math.max(...sizes) + RECORD);
    expect(reader.peakBytes()).toBeLessThanOrEqual(1000);
  });

  it('a writer that replaces another continues where it stopped (an encode worker replaced between segments)', () => {
    const ring = createOutputRing(100);
    const reader = new OutputRingReader(ring);
    const { taken, take } = collect();
    new OutputRingWriter(ring).write(4, chunk(1, 62));
    reader.drain(take);
    new OutputRingWriter(ring).write(5, chunk(2, 52)); // wraps: 30 bytes at the end, 30 at the start
    reader.drain(take);
    expect(taken).toEqual([{ segment: 4, bytes: chunk(1, 62) }, { segment: 5, bytes: chunk(2, 52) }]);
  });

  it('refuses a chunk larger than a record can carry (the sender splits those)', () => {
    const writer = new OutputRingWriter(createOutputRing(20));
    expect(writer.maxChunkBytes).toBe(20 - RECORD);
    expect(() => writer.write(0, new Uint8Array(13))).toThrow(RangeError);
  });

  it('a writer that finds the ring full blocks until the page reads, then writes: wake-up proven', async () => {
    const ring = createOutputRing(1000);
    const state = new SharedArrayBuffer(4);
    const flags = new Int32Array(state);
    const { worker, done } = writerWorker({ ring, state, sizes: [600, 300, 500] });
    try {
      for (const until = Date.now() + 10_000; Atomics.load(flags, 0) !== 1 && Date.now() < until;) await sleep(5);
      expect(Atomics.load(flags, 0)).toBe(1); // about to write the 500: only 84 bytes free
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
      expect(Atomics.load(header, 0)).toBe(600 + 300 + 2 * RECORD);

      const reader = new OutputRingReader(ring);
      const { taken, take } = collect();
      // The two that waited; the drain frees room record by record and wakes the writer each
      // time, so the 500 may go in while this drain still runs and be taken by it too (CI saw 3).
      const first = reader.drain(take);
      expect(first).toBeGreaterThanOrEqual(2);
      const result = await done;
      expect(result.ok).toBe(true);
      expect(Atomics.load(flags, 0)).toBe(2);
      expect(first + reader.drain(take)).toBe(3);
      expect(taken.map((t) => t.bytes)).toEqual([chunk(0, 600), chunk(1, 300), chunk(2, 500)]);
      expect(reader.peakBytes()).toBe(900 + 2 * RECORD); // 600 + 300 waited; the 500 went in after they were read
    } finally {
      await worker.terminate();
    }
  });

  it('the page following the ring waits parked on it, is woken by a write (no message), and lets go of it when unfollowed', async () => {
    const ring = createOutputRing(1000);
    const writes = new Int32Array(ring, 12, 1); // the WRITES word the follower waits on
    const reader = new OutputRingReader(ring);
    const { taken, take } = collect();
    const errors: unknown[] = [];
    const unfollow = reader.follow(take, (e) => errors.push(e));
    // Parked: a notify finds exactly one waiter on WRITES; the spurious wake takes nothing.
    let parked = 0;
    for (let i = 0; i < 50 && parked === 0; i++) {
      await sleep(5);
      parked = Atomics.notify(writes, 0);
    }
    expect(parked).toBe(1);
    await sleep(20); // parked again, its 1 s fallback started afresh
    expect(taken).toEqual([]);
    const writtenAt = Date.now();
    new OutputRingWriter(ring).write(7, chunk(3, 100));
    while (taken.length === 0 && Date.now() - writtenAt < 900) await sleep(2);
    // Well before the fallback: the write's notify woke it.
    expect(Date.now() - writtenAt).toBeLessThan(900);
    expect(taken).toEqual([{ segment: 7, bytes: chunk(3, 100) }]);
    unfollow();
    await sleep(20);
    expect(Atomics.notify(writes, 0)).toBe(0); // no wait left holding the ring
    expect(errors).toEqual([]);
  });

  it('a page that stops reading fails the writer with a sentence instead of hanging it', async () => {
    const ring = createOutputRing(100);
    const { worker, done } = writerWorker({ ring, state: new SharedArrayBuffer(4), sizes: [80, 80], timeoutMs: 300 });
    try {
      const result = await done;
      expect(result).toMatchObject({ ok: false, name: 'OutputRingStalled' });
      expect(result.message).toMatch(/read no encoded output for 0 s while 88 bytes waited/);
    } finally {
      await worker.terminate();
    }
  });
});
