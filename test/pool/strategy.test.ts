import { describe, expect, it } from 'vitest';
import { HIST_E2E, Metrics, StageCounter, StageGauge, stageHistogram } from '../../src/metrics/metrics-block.ts';
import { histogramCount } from '../../src/metrics/histogram.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { PoolError } from '../../src/pool/errors.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import { LinkReader, LinkWriter, PreviewReader, createLink, failLink, type AllocationMode, type NextResult } from '../../src/pool/link.ts';
import { WAITER_TIMEOUT_MS, WakeProbe, poolSite, queueDataSite, queueSpaceSite } from './wake-probe.ts';
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

  it('copy-through counts one allocation and one copy per frame on each side', () => {
    const { writer, reader, metrics } = setup('copy-through');
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

  it('unpooled into a consumer that cannot take messages: the producer allocates and copies once, the consumer reads in place', () => {
    const { writer, reader, metrics } = setup('unpooled');
    produce(writer, 0);
    consume(reader);
    const d0 = allocs(metrics, StageId.decode);
    const N = 20;
    for (let i = 1; i <= N; i++) {
      produce(writer, i);
      consume(reader);
    }
    const d1 = allocs(metrics, StageId.decode);
    expect([d1[0] - d0[0], d1[1] - d0[1], d1[2] - d0[2]]).toEqual([N, N * BYTES, N * BYTES]);
    expect(allocs(metrics, StageId.scale)).toEqual([0, 0, 0]);
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

  it('a reader proven blocked in next, peek and nextAsync is woken by commits (peek leaves the frame for next) and by end', async () => {
    const { writer, metrics, link } = setup('pooled', 2);
    const probe = new WakeProbe(3);
    const t = WAITER_TIMEOUT_MS;
    const reader = probe.waiter(
      [
        { kind: 'link-next', timeoutMs: t, probe: true },
        { kind: 'link-peek', timeoutMs: t, probe: true },
        { kind: 'link-next', timeoutMs: 0, probe: false }, // the peeked frame, at once
        { kind: 'link-next-async', timeoutMs: t, probe: true },
      ],
      { link, metrics: metrics.shared },
    );
    try {
      const queue = queueDataSite(link.queue);
      await probe.wakes(0, queue, () => produce(writer, 0));
      await probe.wakes(1, queue, () => produce(writer, 1));
      await probe.wakes(2, queue, () => writer.end());
      const frame = (frameIndex: number) => ({ outcome: 'frame', frameIndex, width: W, height: H });
      expect(await WakeProbe.outcomes(reader)).toMatchObject([frame(0), frame(1), frame(1), { outcome: 'end' }]);
      expect(FramePool.attach(link.pool).stats().heldSlots).toBe(0);
    } finally {
      await probe.terminate();
    }
  });

  it('pooled: a writer proven blocked in begin (every slot held) is woken when the reader is done with a frame', async () => {
    const { reader, metrics, link } = setup('pooled', 2);
    const probe = new WakeProbe(1);
    const writer = probe.waiter(
      [
        { kind: 'link-begin', width: W, height: H, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
        { kind: 'link-commit', frameIndex: 2, timeoutMs: 1000, probe: false },
      ],
      { link, metrics: metrics.shared, produceFirst: { width: W, height: H, count: 2 } },
    );
    try {
      await writer.ready();
      const first = reader.next(1000); // its slot stays held until done()
      if (typeof first === 'string') throw new Error(`next: ${first}`);
      expect(first.frameIndex).toBe(0);
      await probe.wakes(0, poolSite(link.pool), () => reader.done(first));
      expect(await WakeProbe.outcomes(writer)).toMatchObject([{ outcome: 'begun' }, { outcome: 'committed' }]);
      expect([consume(reader).index, consume(reader).index]).toEqual([1, 2]);
    } finally {
      await probe.terminate();
    }
  });

  it('unpooled: a writer proven blocked in commit (every transport slot queued) is woken when the reader takes a frame and is done', async () => {
    const { reader, metrics, link } = setup('unpooled', 2);
    const probe = new WakeProbe(1);
    const writer = probe.waiter(
      [
        { kind: 'link-begin', width: W, height: H, timeoutMs: 0, probe: false }, // a fresh buffer: never waits
        { kind: 'link-commit', frameIndex: 2, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
      ],
      { link, metrics: metrics.shared, produceFirst: { width: W, height: H, count: 2 } },
    );
    try {
      await writer.ready();
      const taken: NextResult[] = [];
      await probe.wakes(0, poolSite(link.pool), () => {
        const f = reader.next(1000); // frees the transport slot: at once (copied out) or at done()
        if (typeof f !== 'string') reader.done(f);
        taken.push(f);
      });
      expect(taken.map((f) => (typeof f === 'string' ? f : f.frameIndex))).toEqual([0]);
      expect(await WakeProbe.outcomes(writer)).toMatchObject([{ outcome: 'begun' }, { outcome: 'committed' }]);
      expect([consume(reader).index, consume(reader).index]).toEqual([1, 2]);
    } finally {
      await probe.terminate();
    }
  });

  it('pooled: a writer proven blocked in commit on a full queue (after a size change) is woken when the reader pops', async () => {
    const { reader, metrics, link } = setup('pooled', 2);
    const probe = new WakeProbe(1);
    const writer = probe.waiter(
      [
        { kind: 'link-begin', width: 2 * W, height: 2 * H, timeoutMs: 0, probe: false }, // a new size class: free slots
        { kind: 'link-commit', frameIndex: 2, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
      ],
      { link, metrics: metrics.shared, produceFirst: { width: W, height: H, count: 2 } },
    );
    try {
      await writer.ready();
      const taken: NextResult[] = [];
      await probe.wakes(0, queueSpaceSite(link.queue), () => taken.push(reader.next(1000)));
      const first = taken[0]!;
      if (typeof first === 'string') throw new Error(`next: ${first}`);
      expect(first.frameIndex).toBe(0);
      reader.done(first);
      expect(await WakeProbe.outcomes(writer)).toMatchObject([{ outcome: 'begun' }, { outcome: 'committed' }]);
      expect(consume(reader).index).toBe(1);
      const last = reader.next(1000);
      if (typeof last === 'string') throw new Error(`next: ${last}`);
      expect([last.frameIndex, last.width, last.height]).toEqual([2, 2 * W, 2 * H]);
      reader.done(last);
    } finally {
      await probe.terminate();
    }
  });

  for (const stop of ['close', 'fail'] as const) {
    const error = stop === 'close' ? 'ClosedError' : 'FailedError';
    it(`${stop} wakes a writer proven blocked in begin and readers proven blocked in next, nextAsync and peek, each with ${error}`, async () => {
      const { writer, reader, metrics, link } = setup('pooled', 2);
      // The consumer holds every slot and waits for more: a deadlock only stop can break.
      produce(writer, 0);
      produce(writer, 1);
      const held = [reader.next(100), reader.next(100)];
      const probe = new WakeProbe(4);
      const t = WAITER_TIMEOUT_MS;
      const options = { link, metrics: metrics.shared };
      probe.waiter([{ kind: 'link-begin', width: W, height: H, timeoutMs: t, probe: true }], { ...options, firstStep: 0 });
      probe.waiter([{ kind: 'link-next', timeoutMs: t, probe: true }], { ...options, firstStep: 1 });
      probe.waiter([{ kind: 'link-next-async', timeoutMs: t, probe: true }], { ...options, firstStep: 2 });
      probe.waiter([{ kind: 'link-peek', timeoutMs: t, probe: true }], { ...options, firstStep: 3 });
      try {
        await probe.blocked(0, poolSite(link.pool));
        await probe.blocked([1, 2, 3], queueDataSite(link.queue));
        probe.release([0, 1, 2, 3], () => {
          if (stop === 'close') writer.close(); // closes the link's queue and pool, as a reader's close() would
          else failLink(link, 5);
        });
        await probe.allWoke([0, 1, 2, 3]);
        const outcomes = await Promise.all(probe.waiters.map((w) => WakeProbe.outcomes(w)));
        expect(outcomes).toMatchObject(Array(4).fill([stop === 'close' ? { outcome: error } : { outcome: error, code: 5 }]));
        // Held frames can still be released after a stop.
        for (const f of held) if (typeof f !== 'string') reader.done(f);
        expect(FramePool.attach(link.pool).stats().heldSlots).toBe(0);
      } finally {
        await probe.terminate();
      }
    });
  }
});
