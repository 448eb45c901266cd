import { describe, expect, it } from 'vitest';
import { Metrics, StageCounter } from '../../src/metrics/metrics-block.ts';
import { StageId, sharedNow } from '../../src/metrics/stages.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { ClosedError, FailedError, StaleHandleError } from '../../src/pool/errors.ts';
import { FramePool, POISON_BYTE } from '../../src/pool/frame-pool.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import { ScenarioWorker } from './helpers.ts';
import { holders, isLive, readFrameIndex, writeFrameIndex } from './pool-inspect.ts';
import { WAITER_TIMEOUT_MS, WakeProbe, poolSite } from './wake-probe.ts';
import { checksum, fillFrame } from './stress-data.ts';

function makePool(capacity: number, poison = false, initialBytes = 4 * WASM_PAGE) {
  const arena = FrameArena.create({ initialBytes, maxBytes: 256 * WASM_PAGE });
  return FramePool.create(arena, { capacity, poison });
}

function mustAcquire(pool: FramePool, w: number, h: number, stage: StageId): number {
  const handle = pool.acquire(w, h, stage, 0);
  if (handle === null) throw new Error('pool empty');
  return handle;
}

describe('FramePool', () => {
  it('acquires, reuses and bounds slots per size class', () => {
    const metrics = Metrics.create();
    const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 16 * WASM_PAGE });
    const pool = FramePool.create(arena, { capacity: 2 }, metrics);
    const a = mustAcquire(pool, 16, 9, StageId.decode);
    const b = mustAcquire(pool, 16, 9, StageId.decode);
    expect(pool.acquire(16, 9, StageId.decode, 0)).toBeNull(); // bounded
    expect(pool.data(a).byteLength).toBe(i420ByteLength(16, 9));
    expect(pool.data(a)).toBe(pool.data(a)); // cached view
    pool.release(a, StageId.decode);
    const c = mustAcquire(pool, 16, 9, StageId.decode);
    expect(c & 1023).toBe(a & 1023); // same slot …
    expect(c).not.toBe(a); // … new generation
    expect(pool.stats()).toMatchObject({ slotsCreated: 2, slotsReused: 1, heldSlots: 2 });
    expect(metrics.counter(StageId.decode, StageCounter.allocations)).toBe(2);
    expect(metrics.counter(StageId.decode, StageCounter.poolMisses)).toBe(2);
    expect(metrics.counter(StageId.decode, StageCounter.poolHits)).toBe(1);
    pool.release(b, StageId.decode);
    pool.release(c, StageId.decode);
    expect(pool.stats()).toMatchObject({ heldSlots: 0, inUseBytes: 0 });
  });

  it('fan-out: two consumer threads hold one slot; it returns only after both release', async () => {
    const pool = makePool(1);
    const h = mustAcquire(pool, 32, 18, StageId.decode);
    const sum = fillFrame(pool.data(h), 7, 1);
    pool.addRef(h, StageId.encode);
    pool.transferRef(h, StageId.decode, StageId.scale);
    expect(holders(pool, h)).toEqual(['scale', 'encode']);
    const gates = [new SharedArrayBuffer(4), new SharedArrayBuffer(4)];
    const readers = [
      new ScenarioWorker('fanout-reader', { pool: pool.shared, handle: h, stage: StageId.scale, gate: gates[0] }),
      new ScenarioWorker('fanout-reader', { pool: pool.shared, handle: h, stage: StageId.encode, gate: gates[1] }),
    ];
    try {
      expect(await readers[0]!.ready()).toBe(sum);
      expect(await readers[1]!.ready()).toBe(sum);
      open(gates[0]!);
      expect(await readers[0]!.result()).toEqual({ sum, again: sum });
      expect(isLive(pool, h)).toBe(true); // the second consumer still holds it
      expect(pool.acquire(32, 18, StageId.decode, 0)).toBeNull();
      open(gates[1]!);
      expect(await readers[1]!.result()).toEqual({ sum, again: sum });
      expect(isLive(pool, h)).toBe(false);
      expect(pool.stats().heldSlots).toBe(0);
      expect(pool.acquire(32, 18, StageId.decode, 0)).not.toBeNull();
    } finally {
      await Promise.all(readers.map((r) => r.terminate()));
    }
  });

  it('use after release: the generation check throws and poisoning marks the bytes', () => {
    const pool = makePool(1, true);
    const h = mustAcquire(pool, 8, 8, StageId.scale);
    const view = pool.data(h);
    view.fill(7);
    writeFrameIndex(pool, h, 3);
    pool.release(h, StageId.scale);
    expect(view.every((b) => b === POISON_BYTE)).toBe(true); // a kept view reads poison
    expect(() => pool.data(h)).toThrow(StaleHandleError);
    expect(() => pool.release(h, StageId.scale)).toThrow(StaleHandleError);
    expect(() => pool.addRef(h, StageId.encode)).toThrow(StaleHandleError);
    expect(() => pool.slot(h)).toThrow(StaleHandleError);
    // The slot is reused under a new generation; the old handle still fails.
    const again = mustAcquire(pool, 8, 8, StageId.scale);
    expect(again & 1023).toBe(h & 1023);
    expect(() => readFrameIndex(pool, h)).toThrow(StaleHandleError);
    expect(readFrameIndex(pool, again)).toBe(-1);
    // A stage without a reference cannot release someone else's.
    expect(() => pool.release(again, StageId.encode)).toThrow(StaleHandleError);
    pool.release(again, StageId.scale);
  });

  it('a thread proven blocked in acquire on a full pool is woken by release with a live handle; unreleased, it times out', async () => {
    const pool = makePool(1);
    const h = mustAcquire(pool, 16, 16, StageId.decode);
    const probe = new WakeProbe(1);
    const acquire = { kind: 'pool-acquire', pool: pool.shared, width: 16, height: 16, stage: StageId.encode } as const;
    const waiter = probe.waiter([
      { ...acquire, timeoutMs: 200, probe: false },
      { ...acquire, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
    ]);
    try {
      await probe.wakes(0, poolSite(pool.shared), () => pool.release(h, StageId.decode));
      const [timedOut, woken] = await WakeProbe.outcomes(waiter);
      expect(timedOut).toMatchObject({ outcome: 'timeout' });
      expect(timedOut!.ms).toBeGreaterThanOrEqual(199);
      expect(woken).toMatchObject({ outcome: 'handle' });
      const got = woken!.outcome === 'handle' ? woken!.value : 0;
      expect(isLive(pool, got)).toBe(true);
      expect(holders(pool, got)).toEqual(['encode']);
      expect(got & 1023).toBe(h & 1023); // the released slot, under a new generation
      expect(got).not.toBe(h);
    } finally {
      await probe.terminate();
    }
  });

  for (const stop of ['close', 'fail'] as const) {
    const error = stop === 'close' ? 'ClosedError' : 'FailedError';
    it(`${stop} wakes acquirers proven blocked (acquire and acquireAsync) with ${error}`, async () => {
      const pool = makePool(1);
      mustAcquire(pool, 16, 16, StageId.decode);
      const probe = new WakeProbe(2);
      for (const [step, kind] of [[0, 'pool-acquire'], [1, 'pool-acquire-async']] as const) {
        probe.waiter([{ kind, pool: pool.shared, width: 16, height: 16, stage: StageId.decode, timeoutMs: WAITER_TIMEOUT_MS, probe: true }], { firstStep: step });
      }
      try {
        await probe.wakes([0, 1], poolSite(pool.shared), () => {
          if (stop === 'close') pool.close();
          else pool.fail(42);
        });
        const outcomes = await Promise.all(probe.waiters.map((w) => WakeProbe.outcomes(w)));
        expect(outcomes).toMatchObject(Array(2).fill([stop === 'close' ? { outcome: error } : { outcome: error, code: 42 }]));
        expect(() => pool.acquire(16, 16, StageId.decode, 0)).toThrow(stop === 'close' ? ClosedError : FailedError);
      } finally {
        await probe.terminate();
      }
    });
  }

  // Bug: every size class was carved anew at each switch (a retired class gave its slots back
  // to the arena), so a ladder that came back to a size allocated again.
  it('size change while old frames are held: they stay intact, and coming back to a size reuses its slots', () => {
    const pool = makePool(2, true, WASM_PAGE);
    const idle = mustAcquire(pool, 32, 32, StageId.scale);
    const held = mustAcquire(pool, 32, 32, StageId.scale);
    const sum = fillFrame(pool.data(held), 1, 1);
    writeFrameIndex(pool, held, 11);
    pool.release(idle, StageId.scale);
    // New size: the old class retires but keeps its slots.
    const small = mustAcquire(pool, 16, 16, StageId.scale);
    expect(pool.width(small)).toBe(16);
    expect(pool.data(small).byteLength).toBe(i420ByteLength(16, 16));
    expect(pool.stats()).toMatchObject({ slotsRetired: 0, liveSlots: 3 });
    // The held old-size frame is untouched.
    expect(checksum(pool.data(held))).toBe(sum);
    expect([pool.width(held), pool.height(held), readFrameIndex(pool, held)]).toEqual([32, 32, 11]);
    // The new class has its own capacity (old held frames do not block it).
    const small2 = mustAcquire(pool, 16, 16, StageId.scale);
    expect(pool.acquire(16, 16, StageId.scale, 0)).toBeNull();
    pool.release(held, StageId.scale);
    pool.release(small, StageId.scale);
    pool.release(small2, StageId.scale);
    // Back to 32×32: both of its slots are there, nothing is carved.
    const created = pool.stats().slotsCreated;
    const again = [mustAcquire(pool, 32, 32, StageId.scale), mustAcquire(pool, 32, 32, StageId.scale)];
    expect(pool.stats()).toMatchObject({ slotsCreated: created, liveSlots: 4 });
    for (const h of again) pool.release(h, StageId.scale);
  });

  it('reserve carves a size before use; a slot counts as reused only once it held an earlier frame', () => {
    const arena = FrameArena.create({ initialBytes: 4 * WASM_PAGE, maxBytes: 16 * WASM_PAGE });
    const metrics = Metrics.create();
    const pool = FramePool.create(arena, { capacity: 2 }, metrics);
    expect(pool.reserve(32, 32, 5)).toBe(2 * i420ByteLength(32, 32)); // at most the capacity
    expect(pool.reserve(16, 16, 2)).toBe(2 * i420ByteLength(16, 16));
    const created = pool.stats().slotsCreated;
    const cycle = (w: number) => {
      const a = mustAcquire(pool, w, w, StageId.decode);
      const b = mustAcquire(pool, w, w, StageId.decode);
      pool.release(a, StageId.decode);
      pool.release(b, StageId.decode);
    };
    cycle(32);
    cycle(16);
    expect(metrics.counter(StageId.decode, StageCounter.poolHits)).toBe(0); // first frames in pre-carved slots
    expect(metrics.counter(StageId.decode, StageCounter.poolMisses)).toBe(4);
    cycle(32);
    cycle(16);
    expect(metrics.counter(StageId.decode, StageCounter.poolHits)).toBe(4);
    expect(pool.stats().slotsCreated).toBe(created); // switching sizes carved nothing
    expect(metrics.counter(StageId.decode, StageCounter.allocations)).toBe(0);
  });

  it('when the arena is full, idle slots of retired sizes go back to it for a new size', () => {
    const bytes = i420ByteLength(64, 64); // 6144 B: ten fit in a page
    const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: WASM_PAGE });
    const pool = FramePool.create(arena, { capacity: 8 });
    expect(pool.reserve(64, 64, 8)).toBe(8 * bytes);
    expect(pool.reserve(64, 62, 8)).toBeLessThan(8 * bytes); // the page is full
    const h = mustAcquire(pool, 60, 60, StageId.decode); // neither size: needs room
    expect(pool.width(h)).toBe(60);
    expect(pool.stats().slotsRetired).toBeGreaterThan(0);
    pool.release(h, StageId.decode);
  });

  it('leak detector names the stage holding a slot past the deadline', () => {
    const pool = makePool(4);
    const a = mustAcquire(pool, 8, 8, StageId.decode);
    writeFrameIndex(pool, a, 5);
    pool.transferRef(a, StageId.decode, StageId.scale);
    const b = mustAcquire(pool, 8, 8, StageId.decode);
    const now = sharedNow();
    expect(pool.findLeaks(now, 1000)).toEqual([]);
    const leaks = pool.findLeaks(now + 2000, 1000);
    expect(leaks.map((l) => [l.stageName, l.frameIndex])).toEqual([
      ['scale', 5],
      ['decode', -1],
    ]);
    expect(leaks[0]!.handle).toBe(a);
    expect(leaks[0]!.heldForMs).toBeGreaterThan(1000);
    pool.release(a, StageId.scale);
    pool.release(b, StageId.decode);
  });

  it('reclaims the slots of a worker that died holding them', async () => {
    const pool = makePool(2);
    const dead = new ScenarioWorker('dead-holder', { pool: pool.shared, width: 8, height: 8, stage: StageId.encode, count: 2 });
    const handles = (await dead.ready()) as number[];
    await dead.terminate();
    expect(pool.acquire(8, 8, StageId.decode, 0)).toBeNull();
    const leaks = pool.findLeaks(sharedNow() + 10_000, 5000);
    expect(leaks.map((l) => [l.stageName, l.frameIndex])).toEqual([
      ['encode', 100],
      ['encode', 101],
    ]);
    expect(pool.reclaimHeldBy(StageId.encode)).toBe(2);
    expect(handles.every((h) => !isLive(pool, h))).toBe(true);
    expect(pool.stats().heldSlots).toBe(0);
    expect(pool.acquire(8, 8, StageId.decode, 0)).not.toBeNull();
  });

  it('arena grow while another thread holds views: it sees the grow and data stays intact', async () => {
    const pool = makePool(8, false, WASM_PAGE);
    const bytes = i420ByteLength(100, 100); // 15000 → 4 slots fit in the first page
    const first = mustAcquire(pool, 100, 100, StageId.decode);
    const sum = fillFrame(pool.data(first), 3, 3);
    const others = [1, 2, 3].map(() => mustAcquire(pool, 100, 100, StageId.decode));
    expect(pool.arena.stats().grows).toBe(0);
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const w = new ScenarioWorker('grow-view', { pool: pool.shared, handle: first, gate: gate.buffer });
    try {
      const info = (await w.ready()) as { before: number; bytesBefore: number };
      expect(info.before).toBe(sum);
      const grown = mustAcquire(pool, 100, 100, StageId.decode); // the fifth slot needs a grow
      expect(pool.arena.stats().grows).toBe(1);
      const newSum = fillFrame(pool.data(grown), 4, 4);
      Atomics.store(gate, 1, grown);
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      const r = await w.result<Record<string, number | boolean>>();
      expect(r).toMatchObject({ before: sum, oldViewAfter: sum, freshOld: sum, newSum, remade: true });
      expect(r.epochAfter).toBe((r.epochBefore as number) + 1);
      expect(r.bytesAfter as number).toBeGreaterThan(info.bytesBefore);
      expect(r.newOffsetEnd as number).toBeGreaterThan(info.bytesBefore);
      expect(bytes).toBe(15000);
      for (const h of [first, grown, ...others]) pool.release(h, StageId.decode);
    } finally {
      await w.terminate();
    }
  });
});

function open(gate: SharedArrayBuffer): void {
  const g = new Int32Array(gate);
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
}
