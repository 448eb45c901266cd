import { SlotReader, SlotWriter } from '../slot-link.ts';
import type { AllocationModeEntry } from './mode.ts';

/**
 * Pooled: a frame lives in one recycled shared slot from decode to encode; links pass the
 * slot's handle. No allocation and no copy per frame after the warm-up (the pools are carved
 * before the run).
 */
export const pooled = {
  name: 'pooled',
  label: 'pooled (recycled slots)',
  summary: 'each frame lives in a recycled shared slot from decode to encode: no allocation, no copy per frame',
  transport: () => 'slots',
  passesSlotsAlong: true,
  writer: (shared, metrics, options) => new SlotWriter(shared, metrics, false, options),
  reader: (shared, metrics, options) => new SlotReader(shared, metrics, false, options),
} as const satisfies AllocationModeEntry;
