import { describe, expect, it } from 'vitest';
import { ClosedError, FailedError, QueueStateError } from '../../src/pool/errors.ts';
import { FrameQueue, QueueResult } from '../../src/pool/frame-queue.ts';
import { ScenarioWorker, rng, sleep } from './helpers.ts';

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

  it('a blocked consumer thread wakes on push and on end', async () => {
    const q = FrameQueue.create(4);
    const consumer = new ScenarioWorker('queue-pop', { queue: q.shared, timeoutMs: 10_000 });
    try {
      await consumer.ready();
      await sleep(30);
      q.push(5, 100);
      await sleep(30);
      q.push(6, 100);
      q.end();
      expect(await consumer.result()).toEqual({ outcome: 'end', items: [5, 6] });
    } finally {
      await consumer.terminate();
    }
  });

  it('a blocked producer thread wakes when the consumer makes room', async () => {
    const q = FrameQueue.create(2);
    const producer = new ScenarioWorker('queue-push', { queue: q.shared, items: [1, 2, 3, 4], timeoutMs: 10_000 });
    try {
      await producer.ready();
      await sleep(50);
      expect(q.size()).toBe(2);
      const got: number[] = [];
      while (got.length < 4) {
        const r = q.pop(5000);
        expect(r).toBeGreaterThan(0);
        got.push(r);
      }
      expect(got).toEqual([1, 2, 3, 4]);
      expect(await producer.result()).toEqual({ outcome: 'done', pushed: 4 });
    } finally {
      await producer.terminate();
    }
  });

  it('close wakes every waiter on both sides (blocking pop, async pop, blocking push)', async () => {
    for (const stop of ['close', 'fail'] as const) {
      const empty = FrameQueue.create(2);
      const full = FrameQueue.create(1);
      full.tryPush(1);
      const waiters = [
        new ScenarioWorker('queue-pop', { queue: empty.shared, timeoutMs: 20_000 }),
        new ScenarioWorker('queue-pop', { queue: empty.shared, timeoutMs: 20_000, async: true }),
        new ScenarioWorker('queue-push', { queue: full.shared, items: [2], timeoutMs: 20_000 }),
      ];
      try {
        await Promise.all(waiters.map((w) => w.ready()));
        await sleep(50);
        const t0 = performance.now();
        for (const q of [empty, full]) {
          if (stop === 'close') q.close();
          else q.fail(3);
        }
        const results = await Promise.all(waiters.map((w) => w.result<{ outcome: string }>()));
        expect(results.map((r) => r.outcome)).toEqual(Array(3).fill(stop === 'close' ? 'ClosedError' : 'FailedError'));
        expect(performance.now() - t0).toBeLessThan(10_000);
      } finally {
        await Promise.all(waiters.map((w) => w.terminate()));
      }
    }
  });
});
