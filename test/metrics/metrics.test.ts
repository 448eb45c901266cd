import { describe, expect, it } from 'vitest';
import { HIST_BUCKETS, HIST_FACTOR, HIST_MIN_MS, bucketLowerMs, bucketOf, histogramQuantile } from '../../src/metrics/histogram.ts';
import { GlueCounter, GlueGauge, HIST_E2E, LEAD_IN_FRAMES, Metrics, StageCounter, StageGauge, stageHistogram } from '../../src/metrics/metrics-block.ts';
import { MetricsSampler } from '../../src/metrics/sampler.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { seededRandom as mulberry } from '../../src/seeded-random.ts';


describe('latency histogram', () => {
  it('puts values in log buckets of ratio 1.25 from 0.05 ms to past 60 s', () => {
    expect(bucketOf(0.01)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(HIST_MIN_MS)).toBe(1);
    expect(bucketOf(1e9)).toBe(HIST_BUCKETS - 1);
    expect(bucketLowerMs(HIST_BUCKETS - 1)).toBeGreaterThan(60_000);
    for (const v of [0.06, 0.9, 1, 16.7, 250, 59_000]) {
      const b = bucketOf(v);
      expect(v).toBeGreaterThanOrEqual(bucketLowerMs(b) * (1 - 1e-12));
      expect(v).toBeLessThan((b >= HIST_BUCKETS - 1 ? Infinity : bucketLowerMs(b + 1)) * (1 + 1e-12));
    }
  });

  it('percentiles match a sorted-array oracle within one bucket', () => {
    const rand = mulberry(99);
    const m = Metrics.create();
    for (const n of [1, 7, 1000, 50_000]) {
      const h = stageHistogram(StageId.scale);
      m.ints.fill(0, m.histogramOffset(h), m.histogramOffset(h) + HIST_BUCKETS + 1);
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        // Log-uniform 0.1 ms … 2 s, plus a few spikes.
        const v = rand() < 0.01 ? 500 + rand() * 5000 : Math.exp(Math.log(0.1) + rand() * Math.log(20_000));
        samples.push(v);
        m.recordLatency(h, v);
      }
      samples.sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.99, 1]) {
        const oracle = samples[Math.max(0, Math.ceil(q * n) - 1)]!;
        const got = histogramQuantile(m.ints, q, m.histogramOffset(h));
        expect(got / oracle).toBeGreaterThanOrEqual(1 / HIST_FACTOR);
        expect(got / oracle).toBeLessThanOrEqual(HIST_FACTOR);
      }
      expect(m.histogramMaxMs(h)).toBeCloseTo(samples[n - 1]!, 2);
    }
  });

  it('is NaN when empty', () => {
    expect(histogramQuantile(new Int32Array(HIST_BUCKETS), 0.5)).toBeNaN();
  });
});

describe('metrics block and sampler', () => {
  it('round-trips through a structured clone (shared memory, one block)', () => {
    const m = Metrics.create({ recentCapacity: 4 });
    const other = Metrics.attach(structuredClone(m.shared));
    other.countAllocation(StageId.decode, 100);
    other.countCopy(StageId.decode, 50);
    expect(m.counter(StageId.decode, StageCounter.allocations)).toBe(1);
    expect(m.gauge(StageId.decode, StageGauge.bytesAllocated)).toBe(100);
    expect(m.gauge(StageId.decode, StageGauge.bytesCopied)).toBe(50);
  });

  it('keeps the newest per-frame latencies in the recent ring', () => {
    const m = Metrics.create({ recentCapacity: 4 });
    for (let i = 0; i < 10; i++) m.recordEndToEnd(i + 0.5, i, 1000 + i);
    const t = new Float64Array(8);
    const ms = new Float64Array(8);
    const fr = new Float64Array(8);
    const r = m.readRecent(0, t, ms, fr);
    expect(r).toEqual({ next: 10, count: 4 });
    expect([...fr.subarray(0, 4)]).toEqual([6, 7, 8, 9]);
    expect([...ms.subarray(0, 4)]).toEqual([6.5, 7.5, 8.5, 9.5]);
    expect(m.readRecent(10, t, ms, fr).count).toBe(0);
  });

  it('samples rates, reuse ratio and windowed percentiles into ring columns', () => {
    const m = Metrics.create();
    let reserved = 1000;
    const s = new MetricsSampler(m, { capacity: 3, gauges: { 'pool.reservedBytes': () => reserved } });
    s.sample(0); // baseline
    for (let i = 0; i < 30; i++) {
      m.count(StageId.encode, StageCounter.frames);
      m.count(StageId.encode, i < 27 ? StageCounter.poolHits : StageCounter.poolMisses);
      m.countAllocation(StageId.encode, 10);
      m.addBusy(StageId.encode, 10);
      m.recordLatency(HIST_E2E, 20);
    }
    s.sample(500);
    expect(s.latest('encode.fps')).toBeCloseTo(60);
    expect(s.latest('encode.allocsPerSec')).toBeCloseTo(60);
    expect(s.latest('encode.allocBytesPerSec')).toBeCloseTo(600);
    expect(s.latest('encode.reuseRatio')).toBeCloseTo(0.9);
    expect(s.latest('encode.busyFraction')).toBeCloseTo(0.6);
    expect(s.latest('e2e.p50Ms') / 20).toBeGreaterThan(0.8);
    expect(s.latest('e2e.p50Ms') / 20).toBeLessThan(1.25);
    expect(s.latest('pool.reservedBytes')).toBe(1000);
    reserved = 2000;
    s.sample(1000); // nothing happened in this window
    expect(s.latest('encode.fps')).toBe(0);
    expect(s.latest('encode.reuseRatio')).toBeNaN();
    expect(s.latest('e2e.p50Ms')).toBeNaN();
    expect(s.latest('e2e.maxMs')).toBeCloseTo(20);
    s.sample(1500);
    s.sample(2000); // wraps the 3-sample ring
    expect(s.length).toBe(3);
    expect([...s.series('t')]).toEqual([1000, 1500, 2000]);
    expect([...s.series('pool.reservedBytes')]).toEqual([2000, 2000, 2000]);
  });
});

describe('the lead-in reading (counters as they stood at the sink\'s frame LEAD_IN_FRAMES)', () => {
  const allocateAndFinish = (m: Metrics, frames: number): void => {
    for (let i = 0; i < frames; i++) {
      m.countAllocation(StageId.decode, 100);
      m.countSinkFrame(StageId.encode);
    }
  };

  it('is null before the sink finishes frame LEAD_IN_FRAMES, then holds that frame\'s counts while the live ones move on', () => {
    const m = Metrics.create();
    allocateAndFinish(m, LEAD_IN_FRAMES - 1);
    expect(m.atLeadIn()).toBeNull();
    allocateAndFinish(m, 1);
    allocateAndFinish(m, 45); // the run goes on; nobody reads in between
    const atLeadIn = m.atLeadIn()!;
    expect(atLeadIn.counter(StageId.encode, StageCounter.frames)).toBe(LEAD_IN_FRAMES);
    expect(atLeadIn.counter(StageId.decode, StageCounter.allocations)).toBe(LEAD_IN_FRAMES);
    expect(atLeadIn.gauge(StageId.decode, StageGauge.bytesAllocated)).toBe(LEAD_IN_FRAMES * 100);
    expect(m.counter(StageId.encode, StageCounter.frames)).toBe(LEAD_IN_FRAMES + 45);
    expect(m.counter(StageId.decode, StageCounter.allocations)).toBe(LEAD_IN_FRAMES + 45);
  });

  it('copies the glue rows too, and survives a structured clone to another reader', () => {
    const m = Metrics.create();
    m.publishGlue(StageId.decode, { inputReads: 7, inputReadBytes: 7000, logLines: 3, logBytes: 90, viewsMade: 2 });
    m.addCodecCopy(StageId.encode, 512);
    allocateAndFinish(m, LEAD_IN_FRAMES);
    m.publishGlue(StageId.decode, { inputReads: 70, inputReadBytes: 70_000, logLines: 30, logBytes: 900, viewsMade: 20 });
    const other = Metrics.attach(structuredClone(m.shared)).atLeadIn()!;
    expect(other.glue(StageId.decode, GlueCounter.inputReads)).toBe(7);
    expect(other.glue(StageId.decode, GlueCounter.viewsMade)).toBe(2);
    expect(other.glueGauge(StageId.decode, GlueGauge.inputReadBytes)).toBe(7000);
    expect(other.glueGauge(StageId.encode, GlueGauge.codecCopyBytes)).toBe(512);
  });
});
