import { SlotReader, SlotWriter } from '../slot-link.ts';
import type { AllocationModeEntry } from './mode.ts';

/**
 * Copy-through: a stricter unpooled variant (this project's first unpooled mode). Every link
 * goes through shared slots, and both sides copy: the producer from a fresh buffer into a
 * slot, the consumer out of it into another fresh buffer. Two allocations and two copies per
 * frame per link: what code that never transfers pays.
 */
export const copyThrough = {
  name: 'copy-through',
  label: 'copy-through (fresh buffers, copied through shared slots)',
  summary: 'a fresh buffer on each side of every link, copied into and out of a shared slot: two allocations and two copies per frame per link',
  transport: () => 'slots',
  passesSlotsAlong: false, // copied into a slot of the downstream link
  writer: (shared, metrics, options) => new SlotWriter(shared, metrics, true, options),
  reader: (shared, metrics, options) => new SlotReader(shared, metrics, true, options),
} as const satisfies AllocationModeEntry;
