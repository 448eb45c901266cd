import { expect, test } from 'vitest';
import { behindRealtimeText } from '../../src/ui/format.ts';

test('the progress line says how far behind realtime the newest frame is only past three frame intervals (the drop policy\'s bound), not for a frame or two of jitter', () => {
  expect(behindRealtimeText(null)).toBe('');
  expect(behindRealtimeText({ lateMs: 99, intervalMs: 33.3 })).toBe('');
  expect(behindRealtimeText({ lateMs: 1234, intervalMs: 33.3 })).toBe(' · 1.23 s behind realtime');
  expect(behindRealtimeText({ lateMs: 150, intervalMs: 40 })).toBe(' · 150.0 ms behind realtime');
});
