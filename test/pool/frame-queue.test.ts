import { describe, expect, it } from 'vitest';
import { ClosedError, FailedError, QueueStateError } from '../../src/pool/errors.ts';
import { FrameQueue, QueueResult } from '../../src/pool/frame-queue.ts';
import { rng } from './helpers.ts';
import { WAITER_TIMEOUT_MS, WakeProbe, queueDataSite, queueSpaceSite } from './wake-probe.ts';
import type { BlockingCall } from './workers/blocking-call.protocol.ts';

describe('FrameQueue', () => {
  it('keeps FIFO order around the ring many times (seeded random batches), bounded at capacity', () => {
    const q = FrameQueue.create(5); // ring of 8, capacity 5
    const rand = rng(1234);
    let next = 1;
    let expected = 1;
    for (let round = 0; round < 20_000; round++) {
      const pushes = Math.floor(rand() * 7);
      for (let i = 0; i < pushes; i++) {
        if (q.tryPush(next)) next++;
        else expect(q.size()).toBe(5);
      }
      const pops = Math.floor(rand() * 7);
      for (let i = 0; i < pops; i++) {
        const r = q.tryPop();
        if (r === QueueResult.empty) {
          expect(q.size()).toBe(0);
          break;
        }
        expect(r).toBe(expected++);
      }
    }
    expect(next).toBeGreaterThan(40_000);
  });

  it('distinguishes item, end-of-stream, timeout and empty', () => {
    const q = FrameQueue.create(2);
    expect(q.tryPop()).toBe(QueueResult.empty);
    expect(q.pop(10)).toBe(QueueResult.timeout);
    expect(q.push(9, 10)).toBe(true);
    expect(q.push(10, 10)).toBe(true);
    expect(q.push(11, 10)).toBe(false); // full: timeout
    q.end();
    expect(() => q.tryPush(12)).toThrow(QueueStateError);
    expect(q.pop(10)).toBe(9); // items before the end still arrive
    expect(q.pop(10)).toBe(10);
    expect(q.pop(10)).toBe(QueueResult.end);
    expect(q.pop(10)).toBe(QueueResult.end);
  });

  it('close and fail throw named errors on both sides', () => {
    const q = FrameQueue.create(2);
    q.tryPush(1);
    q.fail(7);
    q.close(); // first stop wins
    expect(() => q.tryPush(2)).toThrow(FailedError);
    try {
      q.pop(10);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FailedError);
      expect((e as FailedError).code).toBe(7);
    }
    const c = FrameQueue.create(2);
    c.close();
    expect(() => c.pop(10)).toThrow(ClosedError);
    expect(() => c.push(1, 10)).toThrow(ClosedError);
  });

  for (const kind of ['queue-pop', 'queue-pop-async'] as const) {
    const name = kind === 'queue-pop' ? 'pop' : 'popAsync';
    it(`a consumer thread proven blocked in ${name} is woken by push with the item, then by end`, async () => {
      const q = FrameQueue.create(4);
      const probe = new WakeProbe(2);
      const consumer = probe.waiter([
        { kind, queue: q.shared, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
        { kind, queue: q.shared, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
      ]);
      try {
        await probe.wakes(0, queueDataSite(q.shared), () => expect(q.tryPush(5)).toBe(true));
        await probe.wakes(1, queueDataSite(q.shared), () => q.end());
        expect(await WakeProbe.outcomes(consumer)).toMatchObject([{ outcome: 'item', value: 5 }, { outcome: 'end' }]);
      } finally {
        await probe.terminate();
      }
    });
  }

  it('a consumer thread proven blocked in peek is woken by push, leaves the item for pop, then is woken by end', async () => {
    const q = FrameQueue.create(4);
    const probe = new WakeProbe(2);
    const consumer = probe.waiter([
      { kind: 'queue-peek', queue: q.shared, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
      { kind: 'queue-pop', queue: q.shared, timeoutMs: 0, probe: false }, // the peeked item, at once
      { kind: 'queue-peek', queue: q.shared, timeoutMs: WAITER_TIMEOUT_MS, probe: true },
    ]);
    try {
      await probe.wakes(0, queueDataSite(q.shared), () => expect(q.tryPush(7)).toBe(true));
      await probe.wakes(1, queueDataSite(q.shared), () => q.end());
      expect(await WakeProbe.outcomes(consumer)).toMatchObject([
        { outcome: 'item', value: 7 },
        { outcome: 'item', value: 7 },
        { outcome: 'end' },
      ]);
      expect(q.size()).toBe(0);
    } finally {
      await probe.terminate();
    }
  });

  it('a producer thread proven blocked in push on a full queue is woken by each pop, and its items follow in order', async () => {
    const q = FrameQueue.create(2);
    const probe = new WakeProbe(2);
    const push = (item: number, probed: boolean): BlockingCall => ({ kind: 'queue-push', queue: q.shared, item, timeoutMs: WAITER_TIMEOUT_MS, probe: probed });
    const producer = probe.waiter([push(1, false), push(2, false), push(3, true), push(4, true)]);
    try {
      await probe.wakes(0, queueSpaceSite(q.shared), () => expect(q.tryPop()).toBe(1));
      await probe.wakes(1, queueSpaceSite(q.shared), () => expect(q.tryPop()).toBe(2));
      expect(await WakeProbe.outcomes(producer)).toMatchObject(Array(4).fill({ outcome: 'pushed' }));
      expect([q.tryPop(), q.tryPop(), q.tryPop()]).toEqual([3, 4, QueueResult.empty]);
    } finally {
      await probe.terminate();
    }
  });

  for (const stop of ['close', 'fail'] as const) {
    const error = stop === 'close' ? 'ClosedError' : 'FailedError';
    it(`${stop} wakes consumers proven blocked in pop, popAsync and peek and a producer proven blocked in push, each with ${error}`, async () => {
      const empty = FrameQueue.create(2);
      const full = FrameQueue.create(1);
      full.tryPush(1);
      const probe = new WakeProbe(4);
      const consumer = (kind: 'queue-pop' | 'queue-pop-async' | 'queue-peek', step: number) =>
        probe.waiter([{ kind, queue: empty.shared, timeoutMs: WAITER_TIMEOUT_MS, probe: true }], { firstStep: step });
      const waiters = [
        consumer('queue-pop', 0),
        consumer('queue-pop-async', 1),
        consumer('queue-peek', 2),
        probe.waiter([{ kind: 'queue-push', queue: full.shared, item: 2, timeoutMs: WAITER_TIMEOUT_MS, probe: true }], { firstStep: 3 }),
      ];
      try {
        await probe.blocked([0, 1, 2], queueDataSite(empty.shared));
        await probe.blocked(3, queueSpaceSite(full.shared));
        probe.release([0, 1, 2, 3], () => {
          for (const q of [empty, full]) {
            if (stop === 'close') q.close();
            else q.fail(3);
          }
        });
        await probe.allWoke([0, 1, 2, 3]);
        const outcomes = await Promise.all(waiters.map((w) => WakeProbe.outcomes(w)));
        const want = stop === 'close' ? { outcome: error } : { outcome: error, code: 3 };
        expect(outcomes).toMatchObject(Array(4).fill([want]));
      } finally {
        await probe.terminate();
      }
    });
  }
});
