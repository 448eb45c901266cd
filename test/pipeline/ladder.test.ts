import { describe, expect, it } from 'vitest';
import { distinctRungs, rungSize } from '../../src/pipeline/ladder.ts';
import { ScheduleCursor } from '../../src/pipeline/switch-schedule.ts';

describe('ladder', () => {
  it('takes width from the display aspect ratio, rounded to even', () => {
    expect(rungSize('480', { width: 1280, height: 720 })).toEqual({ width: 854, height: 480 });
    expect(rungSize('240', { width: 853, height: 481 })).toEqual({ width: 426, height: 240 });
    expect(rungSize('native', { width: 853, height: 481 })).toEqual({ width: 854, height: 482 });
    expect(rungSize('1080', { width: 720, height: 1280 })).toEqual({ width: 608, height: 1080 });
  });

  it('drops rungs that repeat a size', () => {
    expect(distinctRungs({ width: 1280, height: 720 })).toEqual(['240', '360', '480', '720', '1080']);
    expect(distinctRungs({ width: 640, height: 352 })).toEqual(['240', '360', '480', '720', '1080', 'native']);
  });
});

describe('ScheduleCursor', () => {
  const rungs = ['240', '360', '480', '720'] as const;

  it('every N frames walks the ladder from the start rung', () => {
    const cursor = new ScheduleCursor({ kind: 'every', frames: 3 }, rungs, '480');
    const seen = Array.from({ length: 10 }, (_, i) => cursor.rungFor(i));
    expect(seen).toEqual(['480', '480', '480', '720', '720', '720', '240', '240', '240', '360']);
  });

  it('a storm with the same seed replays identically and always changes size', () => {
    const run = () => {
      const cursor = new ScheduleCursor({ kind: 'storm', seed: 42, everyFrames: 1, maxSwitches: 50 }, rungs, '240');
      return Array.from({ length: 60 }, (_, i) => cursor.rungFor(i));
    };
    const a = run();
    expect(run()).toEqual(a);
    for (let i = 1; i <= 50; i++) expect(a[i]).not.toBe(a[i - 1]);
    expect(new Set(a.slice(51))).toEqual(new Set([a[50]]));
  });

  it('a recorded schedule switches at the recorded frames', () => {
    const cursor = new ScheduleCursor({ kind: 'recorded', switches: [{ frameIndex: 2, rung: '720' }, { frameIndex: 5, rung: '240' }] }, rungs, '480');
    expect(Array.from({ length: 7 }, (_, i) => cursor.rungFor(i))).toEqual(['480', '480', '720', '720', '720', '240', '240']);
  });

  it('manual leaves the decision to the user', () => {
    expect(new ScheduleCursor({ kind: 'manual' }, rungs, '480').rungFor(0)).toBeNull();
  });
});
