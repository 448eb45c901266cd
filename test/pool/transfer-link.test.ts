import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Metrics, StageCounter, StageGauge } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { createLink, failLink, LinkReader, type LinkShared, type ReadableFrame } from '../../src/pool/link.ts';
import { startTsWorker } from '../support/ts-worker.ts';

const CAPACITY = 3;

function transferLink(metrics: Metrics): LinkShared {
  const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 4 * WASM_PAGE });
  const link = createLink(arena, { name: 'A', mode: 'unpooled', capacity: CAPACITY, producer: StageId.decode, consumer: StageId.scale, consumerListens: true, metrics });
  expect(link.transport).toBe('transfer');
  return link;
}

function startProducer(link: LinkShared, metrics: Metrics, frames: number) {
  const { port1, port2 } = new MessageChannel();
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const worker = startTsWorker(new URL('./workers/transfer-producer.ts', import.meta.url), {
    workerData: { link, metrics: metrics.shared, port: port1, frames, progress: progress.buffer },
    transferList: [port1],
  });
  const result = new Promise<{ ok: boolean; name?: string; message?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const reader = LinkReader.attach(link, metrics, { port: port2 as unknown as MessagePort });
  return { worker, result, reader, committed: () => Atomics.load(progress, 0), close: () => { port2.close(); return worker.terminate(); } };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('transfer link (unpooled, to a consumer with an event loop)', () => {
  it('delivers every frame in order, moved not copied, one fresh buffer per frame on the producer side', async () => {
    const metrics = Metrics.create();
    const link = transferLink(metrics);
    const p = startProducer(link, metrics, 40);
    try {
      const seen: number[] = [];
      for (;;) {
        const r = await p.reader.nextAsync(5000);
        if (r === 'timeout') throw new Error('no frame within 5 s');
        if (r === 'end') break;
        expect(r.data.every((b) => b === (r.frameIndex & 255))).toBe(true);
        seen.push(r.frameIndex);
        p.reader.done(r);
      }
      expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(await p.result).toEqual({ ok: true });
      expect(metrics.counter(StageId.decode, StageCounter.allocations)).toBe(40);
      expect(metrics.counter(StageId.scale, StageCounter.allocations)).toBe(0);
      expect(metrics.gauge(StageId.decode, StageGauge.bytesCopied) + metrics.gauge(StageId.scale, StageGauge.bytesCopied)).toBe(0);
    } finally {
      await p.close();
    }
  });

  it(`holds at most ${CAPACITY} frames in flight: a producer proven blocked on credits wakes when one frame is done`, async () => {
    const metrics = Metrics.create();
    const link = transferLink(metrics);
    const p = startProducer(link, metrics, CAPACITY + 2);
    try {
      await until(() => p.committed() === CAPACITY);
      // Blocked, not slow: 200 ms later it still has not committed frame CAPACITY.
      await new Promise((r) => setTimeout(r, 200));
      expect(p.committed()).toBe(CAPACITY);
      const held: ReadableFrame[] = [];
      for (let i = 0; i < CAPACITY; i++) {
        const r = await p.reader.nextAsync(5000);
        if (typeof r === 'string') throw new Error(r);
        held.push(r);
      }
      expect(p.committed()).toBe(CAPACITY); // receiving is not done(): still no credit
      p.reader.done(held.shift()!);
      await until(() => p.committed() === CAPACITY + 1);
      for (const f of held) p.reader.done(f);
      await until(() => p.committed() === CAPACITY + 2);
      expect(await p.result).toEqual({ ok: true });
    } finally {
      await p.close();
    }
  });

  it('failing the link wakes a producer blocked on credits, and the reader throws', async () => {
    const metrics = Metrics.create();
    const link = transferLink(metrics);
    const p = startProducer(link, metrics, CAPACITY + 1);
    try {
      await until(() => p.committed() === CAPACITY);
      failLink(link, 7);
      expect(await p.result).toMatchObject({ ok: false, name: 'FailedError' });
      await expect(p.reader.nextAsync(100)).rejects.toThrow(/failed with code 7/);
    } finally {
      await p.close();
    }
  });
});
