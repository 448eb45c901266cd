// Issue 11: the pool and links read the shared clock once where a frame is acquired, handed on
// or taken, and every figure of that moment uses that one reading (a reading boxes a double in
// Maglev code). These tests pin which figures share a reading, so a stray extra read shows up.
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics-block.ts';
import { StageId, clock, readClock } from '../../src/metrics/stages.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { FrameQueue, QueueResult } from '../../src/pool/frame-queue.ts';
import { LinkReader, LinkWriter, createLink, type LinkShared } from '../../src/pool/link.ts';
import type { SlotLinkWriter } from '../../src/pool/frame-record.ts';
import { lastWaitMs } from '../../src/pool/wait.ts';

function pooledLink(): { link: LinkShared; writer: SlotLinkWriter; reader: LinkReader } {
  const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 16 * WASM_PAGE });
  const metrics = Metrics.create();
  const link = createLink(arena, { name: 'A', mode: 'pooled', capacity: 2, producer: StageId.decode, consumer: StageId.scale, preview: true });
  return {
    link,
    writer: LinkWriter.attach(link, metrics, { arena }) as SlotLinkWriter,
    reader: LinkReader.attach(link, metrics, { arena }),
  };
}

/** How long `stage` has held slots at shared-clock `at`, per slot it holds (the leak detector's figure). */
function heldFor(writer: SlotLinkWriter, stage: 'decode' | 'scale' | 'preview', at: number): number[] {
  return writer.pool.findLeaks(at, -Infinity).filter((l) => l.stageName === stage).map((l) => l.heldForMs);
}

describe('clock readings per frame', () => {
  it("a writer's frame starts at its slot's hold time: the acquire's one reading", () => {
    const { writer } = pooledLink();
    const f = writer.begin(32, 18, 100);
    if (f === 'timeout') throw new Error('begin timed out');
    expect(f.startedAt).toBe(writer.pool.acquiredAt);
    expect(heldFor(writer, 'decode', f.startedAt)).toEqual([0]);
  });

  it("commit's reading is the producer's stamp and the since of the consumer's and the preview's references", () => {
    const { writer, reader } = pooledLink();
    const f = writer.begin(32, 18, 100);
    if (f === 'timeout') throw new Error('begin timed out');
    expect(writer.commit(f, 100)).toBe('ok');
    const r = reader.next(100);
    if (typeof r === 'string') throw new Error(`next: ${r}`);
    const stamp = r.stamps[StageId.decode]!;
    expect(stamp).toBeGreaterThanOrEqual(f.startedAt);
    expect(heldFor(writer, 'scale', stamp)).toEqual([0]);
    expect(heldFor(writer, 'preview', stamp)).toEqual([0]);
    expect(r.startedAt).toBeGreaterThanOrEqual(stamp); // the take reads the clock again
  });

  it("commit with `ready` stamps with the caller's reading instead of reading the clock", () => {
    const { writer, reader } = pooledLink();
    const f = writer.begin(32, 18, 100);
    if (f === 'timeout') throw new Error('begin timed out');
    readClock();
    const readyAt = clock[0]!;
    const spin = performance.now() + 2;
    while (performance.now() < spin); // a later reading would differ
    expect(writer.commit(f, 100, true)).toBe('ok');
    const r = reader.next(100);
    if (typeof r === 'string') throw new Error(`next: ${r}`);
    expect(r.stamps[StageId.decode]).toBe(readyAt);
  });

  it('a blocking pop or push that did not wait reports no wait, not the last wait of the thread (regression: a stale wait counted twice)', () => {
    const q = FrameQueue.create(1);
    expect(q.pop(20)).toBe(QueueResult.timeout);
    expect(lastWaitMs()).toBeGreaterThanOrEqual(15);
    expect(q.push(7, 20)).toBe(true);
    expect(lastWaitMs()).toBe(0);
    expect(q.push(8, 20)).toBe(false); // full: waits out its timeout
    expect(lastWaitMs()).toBeGreaterThanOrEqual(15);
    expect(q.pop(20)).toBe(7);
    expect(lastWaitMs()).toBe(0);
  });
});
