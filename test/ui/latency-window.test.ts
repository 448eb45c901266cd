import { describe, expect, it } from 'vitest';
import { LatencyWindow } from '../../src/ui/telemetry.ts';

describe('LatencyWindow (the live chart\'s rolling p50/p99)', () => {
  it('forgets frames older than its window: a slow start stops counting after 120 frames', () => {
    const w = new LatencyWindow(120);
    for (let i = 0; i < 30; i++) w.push(500); // cold start
    for (let i = 0; i < 120; i++) w.push(10 + (i % 10));
    expect(w.length).toBe(120);
    expect(w.quantile(0.99)).toBe(19);
    expect(w.quantile(0.5)).toBe(14);
  });

  it('takes p99 by nearest rank over the window, not the maximum of a few samples', () => {
    const w = new LatencyWindow(120);
    for (let i = 1; i <= 120; i++) w.push(i);
    expect(w.quantile(0.99)).toBe(119);
    expect(w.quantile(1)).toBe(120);
  });

  it('is NaN before any frame', () => {
    expect(new LatencyWindow(120).quantile(0.5)).toBeNaN();
  });
});
