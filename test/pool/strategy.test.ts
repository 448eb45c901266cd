import { describe, expect, it } from 'vitest';
import { HIST_E2E, Metrics, StageCounter, StageGauge, stageHistogram } from '../../src/metrics/metrics-block.ts';
import { histogramCount } from '../../src/metrics/histogram.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { PoolError } from '../../src/pool/errors.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import { LinkReader, LinkWriter, PreviewReader, closeLink, createLink, failLink, type AllocationMode, type LinkShared } from '../../src/pool/strategy.ts';
import { ScenarioWorker, sleep } from './helpers.ts';
import { checksum, fillFrame } from './stress-data.ts';

const W = 64;
const H = 36;
const BYTES = i420ByteLength(W, H);

function setup(mode: AllocationMode, capacity = 3, preview = false) {
  const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 64 * WASM_PAGE });
  const metrics = Metrics.create();
  const link = createLink(arena, { name: 'A', mode, capacity, producer: StageId.decode, consumer: StageId.scale, sink: true, preview, poison: true });
  const writer = LinkWriter.attach(link, metrics, { arena });
  const reader = LinkReader.attach(link, metrics, { arena });
  return { arena, metrics, link, writer, reader };
}

/** Stage code: identical for both modes. */
function produce(writer: LinkWriter, index: number): number {
  const f = writer.begin(W, H, 1000);
  if (f === 'timeout') throw new Error('begin timed out');
  const sum = fillFrame(f.data, 9, index);
  f.frameIndex = index;
  f.ptsUs = index * 40_000;
  expect(writer.commit(f, 1000)).toBe('ok');
  return sum;
}

function consume(reader: LinkReader): { index: number; sum: number; pts: number } {
  const f = reader.next(1000);
  if (typeof f === 'string') throw new Error(`next: ${f}`);
  const out = { index: f.frameIndex, sum: checksum(f.data), pts: f.ptsUs };
  expect(f.data.byteLength).toBe(BYTES);
  expect(f.stamps[StageId.decode]).toBeGreaterThan(0);
  reader.done(f);
  return out;
}

function allocs(m: Metrics, s: StageId): [number, number, number] {
  return [m.counter(s, StageCounter.allocations), m.gauge(s, StageGauge.bytesAllocated), m.gauge(s, StageGauge.bytesCopied)];
}

describe('link strategies', () => {
  for (const mode of ['pooled', 'unpooled'] as const) {
    it(`${mode}: frames, meta and stamps arrive intact through the same stage code`, () => {
      const { writer, reader, metrics, link } = setup(mode);
      for (let i = 0; i < 50; i++) {
        const sum = produce(writer, i);
        expect(consume(reader)).toEqual({ index: i, sum, pts: i * 40_000 });
      }
      writer.end();
      expect(reader.next(10)).toBe('end');
      expect(metrics.counter(StageId.decode, StageCounter.frames)).toBe(50);
      expect(metrics.counter(StageId.scale, StageCounter.frames)).toBe(50);
      expect(histogramCount(metrics.ints, metrics.histogramOffset(HIST_E2E))).toBe(50);
      expect(histogramCount(metrics.ints, metrics.histogramOffset(stageHistogram(StageId.decode)))).toBe(50);
      expect(FramePool.attach(link.pool).stats().heldSlots).toBe(0);
    });
  }

  it('unpooled counts one allocation and one copy per frame on each side', () => {
    const { writer, reader, metrics } = setup('unpooled');
    produce(writer, 0); // warm-up carves the transport slot
    consume(reader);
    const d0 = allocs(metrics, StageId.decode);
    const s0 = allocs(metrics, StageId.scale);
    const N = 20;
    for (let i = 1; i <= N; i++) {
      produce(writer, i);
      consume(reader);
    }
    const d1 = allocs(metrics, StageId.decode);
    const s1 = allocs(metrics, StageId.scale);
    expect([d1[0] - d0[0], d1[1] - d0[1], d1[2] - d0[2]]).toEqual([N, N * BYTES, N * BYTES]);
    expect([s1[0] - s0[0], s1[1] - s0[1], s1[2] - s0[2]]).toEqual([N, N * BYTES, N * BYTES]);
    expect(metrics.counter(StageId.decode, StageCounter.poolHits)).toBe(0);
  });

  it('pooled counts zero allocations and copies after warm-up', () => {
    const { writer, reader, metrics } = setup('pooled', 3);
    for (let i = 0; i < 3; i++) produce(writer, i); // fill: 3 slots carved
    for (let i = 0; i < 3; i++) consume(reader);
    const d0 = allocs(metrics, StageId.decode);
    expect(d0).toEqual([3, 3 * BYTES, 0]);
    for (let i = 3; i < 200; i++) {
      produce(writer, i);
      consume(reader);
    }
    expect(allocs(metrics, StageId.decode)).toEqual(d0);
    expect(allocs(metrics, StageId.scale)).toEqual([0, 0, 0]);
    expect(metrics.counter(StageId.decode, StageCounter.poolHits)).toBe(197);
  });

  for (const mode of ['pooled', 'unpooled'] as const) {
    it(`${mode}: the preview tap keeps only the newest frame and skips the rest`, () => {
      const { writer, reader, metrics, link, arena } = setup(mode, 3, true);
      const preview = PreviewReader.attach(link, metrics, { arena });
      const pool = FramePool.attach(link.pool, null, { arena });
      expect(preview.take()).toBeNull();
      const sums = [0, 1, 2].map((i) => produce(writer, i));
      // The consumer drains everything even though the preview holds a ref.
      for (let i = 0; i < 3; i++) expect(consume(reader).index).toBe(i);
      const p = preview.take();
      expect(p).not.toBeNull();
      expect(p!.frameIndex).toBe(2);
      expect(checksum(p!.data)).toBe(sums[2]);
      expect(preview.take()).toBeNull();
      preview.release(p!);
      expect(pool.stats()).toMatchObject({ heldSlots: 0, previewSkipped: 2 });
      expect(metrics.counter(StageId.preview, StageCounter.frames)).toBe(1);
      // A frame left in the mailbox is dropped at teardown.
      produce(writer, 3);
      consume(reader);
      preview.clear();
      expect(pool.stats().heldSlots).toBe(0);
    });
  }

  it('one open frame per writer; done twice is an error', () => {
    const { writer, reader } = setup('pooled');
    const f = writer.begin(W, H, 100);
    expect(() => writer.begin(W, H, 100)).toThrow(PoolError);
    if (f === 'timeout') throw new Error('timeout');
    writer.abort(f);
    produce(writer, 0);
    const r = reader.next(100);
    if (typeof r === 'string') throw new Error(r);
    reader.done(r);
    expect(() => reader.done(r)).toThrow(PoolError);
  });

  for (const stop of ['close', 'fail'] as const) {
    it(`${stop} wakes a writer blocked on back-pressure and readers blocked on an empty queue`, async () => {
      const { writer, reader, metrics, link } = setup('pooled', 2);
      // The consumer holds every slot and waits for more: a deadlock only stop can break.
      produce(writer, 0);
      produce(writer, 1);
      const held = [reader.next(100), reader.next(100)];
      const args = { link, metrics: metrics.shared, width: W, height: H, timeoutMs: 20_000 };
      const waiters = [
        new ScenarioWorker('link-begin', args),
        new ScenarioWorker('link-next', args),
        new ScenarioWorker('link-next', { ...args, async: true }),
      ];
      try {
        await Promise.all(waiters.map((w) => w.ready()));
        await sleep(50);
        if (stop === 'close') closeLink(link as LinkShared);
        else failLink(link, 5);
        const name = stop === 'close' ? 'ClosedError' : 'FailedError';
        const results = await Promise.all(waiters.map((w) => w.result<{ outcome: string }>(10_000)));
        expect(results.map((r) => r.outcome)).toEqual([name, name, name]);
        // Held frames can still be released after a stop.
        for (const f of held) if (typeof f !== 'string') reader.done(f);
        expect(FramePool.attach(link.pool).stats().heldSlots).toBe(0);
      } finally {
        await Promise.all(waiters.map((w) => w.terminate()));
      }
    });
  }
});
