import { describe, expect, it } from 'vitest';
import { comparePlan, compareSchedule, compareVariants, recordedSwitches, roundSteps, settleCap } from '../../src/ui/compare/schedule.ts';
import { clampRounds } from '../../src/ui/compare/warmup.ts';

describe('comparePlan', () => {
  it('alternates the modes across rounds, after a cold run of the first mode when the page is cold', () => {
    expect(comparePlan(3, true).map((s) => `${s.role}:${s.variant.mode}:${s.round}`)).toEqual([
      'cold:pooled:0',
      'measured:pooled:1', 'measured:unpooled:1',
      'measured:unpooled:2', 'measured:pooled:2',
      'measured:pooled:3', 'measured:unpooled:3',
    ]);
  });

  it('has no cold run on a warm page, and each mode once per round', () => {
    const plan = comparePlan(2, false);
    expect(plan.every((s) => s.role === 'measured')).toBe(true);
    expect(plan.filter((s) => s.variant.mode === 'pooled')).toHaveLength(2);
    expect(plan.filter((s) => s.variant.mode === 'unpooled')).toHaveLength(2);
  });
});

describe('rounds added until the rows settle', () => {
  it('continue the alternation: the plan of 3 rounds plus round 4 is the plan of 4 rounds', () => {
    const variants = compareVariants('ffmpeg', false);
    const grown = [...comparePlan(3, false, variants), ...roundSteps(variants, 4)];
    expect(grown).toEqual(comparePlan(4, false, variants));
    expect(roundSteps(variants, 4).map((s) => s.variant.mode)).toEqual(['unpooled', 'pooled']);
  });

  it('go up to twice the chosen rounds, at most 10, and none below 3 chosen rounds', () => {
    expect(settleCap(5)).toBe(10);
    expect(settleCap(3)).toBe(6);
    expect(settleCap(8)).toBe(10);
    expect(settleCap(2)).toBe(2);
    expect(settleCap(1)).toBe(1);
  });
});

describe('comparePlan across backends', () => {
  it('measures the four configurations once per round, reversing the order every other round, so no configuration always runs first', () => {
    const plan = comparePlan(2, false, compareVariants('ffmpeg', true));
    expect(plan.map((s) => s.variant.label)).toEqual([
      'ffmpeg.wasm pooled', 'ffmpeg.wasm unpooled', 'WebCodecs pooled', 'WebCodecs unpooled',
      'WebCodecs unpooled', 'WebCodecs pooled', 'ffmpeg.wasm unpooled', 'ffmpeg.wasm pooled',
    ]);
    expect(new Set(plan.map((s) => s.variant.backend))).toEqual(new Set(['ffmpeg', 'webcodecs']));
  });

  it('without the backends, compares the two modes on the chosen backend only', () => {
    expect(compareVariants('webcodecs', false)).toEqual([
      { backend: 'webcodecs', mode: 'pooled', label: 'pooled' },
      { backend: 'webcodecs', mode: 'unpooled', label: 'unpooled' },
    ]);
  });
});

describe('compareSchedule', () => {
  const recording = { runLabel: 'run 2', startRung: '360' as const, switches: [{ frameIndex: 40, rung: '240' as const }, { frameIndex: 90, rung: '720' as const }] };

  it('uses an automatic schedule as it is, from the chosen start', () => {
    const s = compareSchedule({ kind: 'every', frames: 30 }, '480', recording);
    expect(s.schedule).toEqual({ kind: 'every', frames: 30 });
    expect(s.startRung).toBe('480');
  });

  it('replays the last manual run\'s clicks by frame index, from that run\'s start', () => {
    const s = compareSchedule({ kind: 'manual' }, '1080', recording);
    expect(s.schedule).toEqual({ kind: 'recorded', switches: recording.switches });
    expect(s.startRung).toBe('360');
    expect(s.note).toBe('the 2 switches clicked in run 2, replayed by frame index');
  });

  it('has no switches, and says so, when switching is manual and nothing was recorded', () => {
    const s = compareSchedule({ kind: 'manual' }, '480', null);
    expect(s.schedule).toEqual({ kind: 'recorded', switches: [] });
    expect(s.note).toMatch(/^none: switching is manual and no single run/);
  });

  it('turns a run\'s switches into rungs by their output size', () => {
    const ladder = [{ rung: '240' as const, size: { width: 426, height: 240 } }, { rung: '480' as const, size: { width: 854, height: 480 } }];
    expect(recordedSwitches([{ frameIndex: 12, to: { width: 426, height: 240 } }, { frameIndex: 50, to: { width: 1, height: 1 } }], ladder))
      .toEqual([{ frameIndex: 12, rung: '240' }]);
  });
});

describe('clampRounds', () => {
  it('keeps rounds per mode within 1–10, default 5', () => {
    expect(clampRounds('')).toBe(5);
    expect(clampRounds('0')).toBe(1);
    expect(clampRounds('25')).toBe(10);
    expect(clampRounds('2.7')).toBe(2);
    expect(clampRounds('abc')).toBe(5);
  });
});
