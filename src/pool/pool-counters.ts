/**
 * What a pool reports to the metrics block, kept out of the allocator: slots carved (counted
 * allocations), arena grows, reuse hits and misses, and time spent waiting. Called outside the
 * pool's lock, so counting never lengthens a critical section. Allocation-free.
 */
import { StageCounter, type Metrics } from '../metrics/metrics-block.ts';
import type { StageId } from '../metrics/stages.ts';

export class PoolCounters {
  constructor(
    private readonly metrics: Metrics | null,
    /** False for slots that only carry a copy (plumbing, not frame buffers): no hit/miss. */
    private readonly countReuse: boolean,
  ) {}

  /** An acquire was served: by a slot that held an earlier frame (`hit`), or by carving `carvedBytes` (≥ 0). */
  acquired(stage: StageId, hit: boolean, carvedBytes: number, grew: boolean): void {
    const metrics = this.metrics;
    if (metrics === null) return;
    if (carvedBytes >= 0) metrics.countAllocation(stage, carvedBytes);
    if (grew) metrics.count(stage, StageCounter.poolGrows);
    if (this.countReuse) metrics.count(stage, hit ? StageCounter.poolHits : StageCounter.poolMisses);
  }

  /** An acquire waited `ms` for a slot (back-pressure), and got none if `timedOut`. */
  waited(stage: StageId, ms: number, timedOut: boolean): void {
    this.metrics?.addWait(stage, ms, timedOut);
  }
}
