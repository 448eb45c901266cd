import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { ControlBlock } from '../../src/pipeline/control-block.ts';
import { beginFrameAsync } from '../../src/pipeline/stages/link-io.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import { createLink, LinkReader, LinkWriter, type AllocationMode } from '../../src/pool/link.ts';
import { WAITER_TIMEOUT_MS, WakeProbe, creditSite, poolSite, queueDataSite } from './wake-probe.ts';

const W = 64;
const H = 36;

function setup(mode: AllocationMode, capacity: number, consumerListens = false) {
  const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 64 * WASM_PAGE });
  const metrics = Metrics.create();
  const link = createLink(arena, { name: 'A', mode, capacity, producer: StageId.decode, consumer: StageId.scale, consumerListens, poison: true });
  return { arena, metrics, link };
}

function produce(writer: LinkWriter, index: number): void {
  const f = writer.begin(W, H, 1000);
  if (f === 'timeout') throw new Error('begin timed out');
  f.frameIndex = index;
  expect(writer.commit(f, 1000)).toBe('ok');
}

const frame = (frameIndex: number) => ({ outcome: 'frame', frameIndex, width: W, height: H });

describe('producers and consumers that must not block (awaitable begin and next)', () => {
  it('pooled: a writer proven waiting in beginAsync on a full pool keeps its event loop running and is woken by the reader releasing a frame', async () => {
    const { metrics, link, arena } = setup('pooled', 2);
    const reader = LinkReader.attach(link, metrics, { arena });
    const probe = new WakeProbe(1);
    const writer = probe.waiter(
      [
        { kind: 'link-begin-async', width: W, height: H, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
        { kind: 'link-commit', frameIndex: 2, timeoutMs: 0, probe: false }, // the slot is already its own: no wait
      ],
      { link, metrics: metrics.shared, heartbeat: true, produceFirst: { width: W, height: H, count: 2 } },
    );
    try {
      await writer.ready();
      const first = reader.next(1000);
      if (typeof first === 'string') throw new Error(`next: ${first}`);
      await probe.blocked(0, poolSite(link.pool));
      await probe.eventLoopRuns(0);
      probe.release(0, () => reader.done(first));
      await probe.woke(0);
      expect(await WakeProbe.outcomes(writer)).toMatchObject([{ outcome: 'begun' }, { outcome: 'committed' }]);
      for (const want of [1, 2]) {
        const f = reader.next(1000);
        if (typeof f === 'string') throw new Error(`next: ${f}`);
        expect(f.frameIndex).toBe(want);
        reader.done(f);
      }
      expect(FramePool.attach(link.pool).stats().heldSlots).toBe(0);
    } finally {
      await probe.terminate();
    }
  });

  it('unpooled by transfer: a writer proven waiting in beginAsync for a credit keeps its event loop running and is woken when the reader is done with a frame', async () => {
    const { metrics, link } = setup('unpooled', 2, true);
    expect(link.transport).toBe('transfer');
    const { port1, port2 } = new MessageChannel();
    const reader = LinkReader.attach(link, metrics, { port: port2 as unknown as MessagePort });
    const probe = new WakeProbe(1);
    const writer = probe.waiter(
      [
        { kind: 'link-begin-async', width: W, height: H, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
        { kind: 'link-commit', frameIndex: 2, timeoutMs: 0, probe: false }, // its credit was taken by beginAsync
      ],
      { link, metrics: metrics.shared, heartbeat: true, port: port1 as unknown as MessagePort, produceFirst: { width: W, height: H, count: 2 } },
    );
    try {
      await writer.ready();
      const first = await reader.nextAsync(5000);
      if (typeof first === 'string') throw new Error(`next: ${first}`);
      await probe.blocked(0, creditSite(link));
      await probe.eventLoopRuns(0);
      probe.release(0, () => reader.done(first));
      await probe.woke(0);
      expect(await WakeProbe.outcomes(writer)).toMatchObject([{ outcome: 'begun' }, { outcome: 'committed' }]);
      for (const want of [1, 2]) {
        const f = await reader.nextAsync(5000);
        if (typeof f === 'string') throw new Error(`next: ${f}`);
        expect(f.frameIndex).toBe(want);
        reader.done(f);
      }
    } finally {
      port2.close();
      await probe.terminate();
    }
  });

  it('pooled: a reader proven waiting in nextAsync on an empty slot link keeps its event loop running and is woken by a commit', async () => {
    const { metrics, link, arena } = setup('pooled', 2);
    const writer = LinkWriter.attach(link, metrics, { arena });
    const probe = new WakeProbe(1);
    const reader = probe.waiter([{ kind: 'link-next-async', timeoutMs: WAITER_TIMEOUT_MS, probe: true }], { link, metrics: metrics.shared, heartbeat: true });
    try {
      await probe.blocked(0, queueDataSite(link.queue));
      await probe.eventLoopRuns(0);
      probe.release(0, () => produce(writer, 7));
      await probe.woke(0);
      expect(await WakeProbe.outcomes(reader)).toMatchObject([frame(7)]);
      expect(FramePool.attach(link.pool).stats().heldSlots).toBe(0);
    } finally {
      await probe.terminate();
    }
  });

  it('copy-through: beginAsync holds the slot its copy will need, commit uses it, and abort gives it back', async () => {
    const { metrics, link, arena } = setup('copy-through', 1);
    const writer = LinkWriter.attach(link, metrics, { arena });
    const reader = LinkReader.attach(link, metrics, { arena });
    const pool = FramePool.attach(link.pool);
    const aborted = await writer.beginAsync(W, H, 1000);
    if (aborted === 'timeout') throw new Error('beginAsync timed out');
    expect(pool.stats().heldSlots).toBe(1); // capacity 1: a second frame could not get one now
    expect(await LinkWriter.attach(link, metrics, { arena }).beginAsync(W, H, 0)).toBe('timeout');
    writer.abort(aborted);
    expect(pool.stats().heldSlots).toBe(0);
    const f = await writer.beginAsync(W, H, 1000);
    if (f === 'timeout') throw new Error('beginAsync timed out');
    f.data.fill(9);
    f.frameIndex = 3;
    expect(writer.commit(f, 0)).toBe('ok');
    const got = reader.next(1000);
    if (typeof got === 'string') throw new Error(`next: ${got}`);
    expect([got.frameIndex, got.byteLength, got.data.every((b) => b === 9)]).toEqual([3, i420ByteLength(W, H), true]);
    reader.done(got);
    expect(pool.stats().heldSlots).toBe(0);
  });

  it('beginFrameAsync beats progress for its stage while the link is full and returns null once the run stops', async () => {
    const { metrics, link, arena } = setup('pooled', 1);
    const writer = LinkWriter.attach(link, metrics, { arena });
    produce(writer, 0); // the only slot waits in the queue: the link is full
    const control = ControlBlock.create('max');
    const beats0 = control.progress(StageId.decode);
    let settled = false;
    const pending = beginFrameAsync(writer, control, StageId.decode, { width: W, height: H }).finally(() => { settled = true; });
    await until(() => control.progress(StageId.decode) >= beats0 + 2);
    expect(settled).toBe(false);
    control.requestStop();
    expect(await pending).toBeNull();
  });
});

async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

