import { describe, expect, it } from 'vitest';
import { Metrics, StageCounter } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { FrameArena } from '../../src/pool/arena.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import { createLink, type AllocationMode } from '../../src/pool/link.ts';
import { ScenarioWorker } from './helpers.ts';

// Two independent 3-thread chains (producer → relay → verifier) on one shared arena:
// 6 threads, 2 handoffs per frame per chain. STRESS_FRAMES overrides frames per chain.
const FRAMES = Number(process.env.STRESS_FRAMES ?? 250_000);
const SEED = Number(process.env.STRESS_SEED ?? 0x5eed);
const RESULT_TIMEOUT_MS = 150_000;

async function runChain(arena: FrameArena, mode: AllocationMode, seed: number) {
  const metrics = Metrics.create();
  const a = createLink(arena, { name: `A-${mode}`, mode, capacity: 3 + (seed % 6), producer: StageId.decode, consumer: StageId.scale, poison: true });
  const b = createLink(arena, { name: `B-${mode}`, mode, capacity: 2 + (seed % 5), producer: StageId.scale, consumer: StageId.encode, sink: true, poison: true });
  const producer = new ScenarioWorker('stress-producer', { link: a, metrics: metrics.shared, frames: FRAMES, seed });
  const relay = new ScenarioWorker('stress-relay', { input: a, output: b, metrics: metrics.shared, seed });
  const consumer = new ScenarioWorker('stress-consumer', { link: b, metrics: metrics.shared, frames: FRAMES, seed });
  // 16–24 s on an idle 2-core machine; a CI run sharing the cores with other test files took 57 s
  // and hit the old 55 s limit. The limit catches a hang, not slowness.
  try {
    const [p, r, c] = await Promise.all([
      producer.result<{ frames: number }>(RESULT_TIMEOUT_MS),
      relay.result<{ relayed: number; bad: number }>(RESULT_TIMEOUT_MS),
      consumer.result<{ count: number; lastSeq: number; errors: string[] }>(RESULT_TIMEOUT_MS),
    ]);
    return { p, r, c, metrics, a, b };
  } finally {
    await Promise.all([producer.terminate(), relay.terminate(), consumer.terminate()]);
  }
}

describe('cross-thread stress', () => {
  it(`moves ${4 * FRAMES} handoffs across 6 threads with nothing lost, duplicated, reordered or torn`, async () => {
    const arena = FrameArena.create({ initialBytes: 64 * 1024, maxBytes: 64 * 1024 * 1024 });
    const t0 = performance.now();
    // Copy-through exercises both copies of a slot link (into and out of every slot).
    const [pooled, copied] = await Promise.all([runChain(arena, 'pooled', SEED), runChain(arena, 'copy-through', SEED + 1)]);
    const seconds = (performance.now() - t0) / 1000;
    console.info(`stress: ${4 * FRAMES} handoffs in ${seconds.toFixed(1)} s, arena ${JSON.stringify(arena.stats())}`);
    for (const run of [pooled, copied]) {
      expect(run.c.errors).toEqual([]);
      expect(run.c.count).toBe(FRAMES);
      expect(run.c.lastSeq).toBe(FRAMES - 1);
      expect(run.r).toEqual({ relayed: FRAMES, bad: 0 });
      expect(run.metrics.counter(StageId.encode, StageCounter.frames)).toBe(FRAMES);
      // Everything went back: no slot is still held on either link.
      expect(FramePool.attach(run.a.pool, null, { arena }).stats().heldSlots).toBe(0);
      expect(FramePool.attach(run.b.pool, null, { arena }).stats().heldSlots).toBe(0);
    }
    // Pooled: allocations only when carving slots (size changes), far fewer than frames.
    expect(pooled.metrics.counter(StageId.decode, StageCounter.allocations)).toBeLessThan(FRAMES / 50);
    // Copy-through: one allocation per frame on each side of each link, plus warm-up carvings.
    expect(copied.metrics.counter(StageId.encode, StageCounter.allocations)).toBe(FRAMES);
    expect(copied.metrics.counter(StageId.decode, StageCounter.allocations)).toBeGreaterThanOrEqual(FRAMES);
  }, RESULT_TIMEOUT_MS + 30_000);
});
