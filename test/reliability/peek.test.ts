/**
 * The peek the encoder relies on to end a segment (and hand over to a replacement worker)
 * without taking the next frame: it shows the next item and leaves it queued.
 */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { FailedError } from '../../src/pool/errors.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import { FrameQueue, QueueResult } from '../../src/pool/frame-queue.ts';
import { createLink, LinkReader, LinkWriter, type AllocationMode } from '../../src/pool/link.ts';

describe('FrameQueue peek', () => {
  it('shows the next item without taking it; pop then takes that same item', () => {
    const q = FrameQueue.create(4);
    expect(q.tryPeek()).toBe(QueueResult.empty);
    q.push(11, 0);
    q.push(12, 0);
    expect(q.tryPeek()).toBe(11);
    expect(q.peek(10)).toBe(11);
    expect(q.size()).toBe(2);
    expect(q.pop(0)).toBe(11);
    expect(q.tryPeek()).toBe(12);
    expect(q.pop(0)).toBe(12);
    q.end();
    expect(q.peek(10)).toBe(QueueResult.end);
  });

  it('blocks until the timeout when empty, and throws once the queue failed', () => {
    const q = FrameQueue.create(2);
    const t0 = performance.now();
    expect(q.peek(30)).toBe(QueueResult.timeout);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    q.fail(5);
    expect(() => q.peek(10)).toThrow(FailedError);
  });
});

describe('LinkReader peek', () => {
  for (const mode of ['pooled', 'unpooled', 'copy-through'] as const satisfies readonly AllocationMode[]) {
    it(`${mode}: size and index of the next frame; next() then delivers it`, () => {
      const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 16 * WASM_PAGE });
      const metrics = Metrics.create();
      const link = createLink(arena, { name: 'B', mode, capacity: 3, producer: StageId.scale, consumer: StageId.encode });
      const writer = LinkWriter.attach(link, metrics, { arena });
      const reader = LinkReader.attach(link, metrics, { arena });
      for (const [i, [w, h]] of [[32, 18], [64, 36]].entries()) {
        const f = writer.begin(w!, h!, 100);
        if (f === 'timeout') throw new Error('begin timed out');
        f.data.fill(i + 1);
        f.frameIndex = 40 + i;
        expect(writer.commit(f, 100)).toBe('ok');
      }
      writer.end();
      expect(reader.peek(10)).toEqual({ width: 32, height: 18, frameIndex: 40 });
      expect(reader.peek(10)).toEqual({ width: 32, height: 18, frameIndex: 40 }); // still there
      const first = reader.next(0);
      if (typeof first === 'string') throw new Error(first);
      expect([first.width, first.frameIndex, first.data[0]]).toEqual([32, 40, 1]);
      reader.done(first);
      expect(reader.peek(10)).toEqual({ width: 64, height: 36, frameIndex: 41 });
      const second = reader.next(0);
      if (typeof second === 'string') throw new Error(second);
      reader.done(second);
      expect(reader.peek(10)).toBe('end');
      expect(FramePool.attach(link.pool, null, { arena }).stats().heldSlots).toBe(0);
    });
  }
});
