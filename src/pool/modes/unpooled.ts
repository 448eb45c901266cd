import { SlotReader, SlotWriter } from '../slot-link.ts';
import { TransferReader, TransferWriter } from '../transfer-link.ts';
import type { AllocationModeEntry } from './mode.ts';

/**
 * Unpooled, as most code is written: every stage puts its output in a fresh buffer (the
 * `HEAPU8.slice` pattern) and the garbage collector reclaims it. To a worker with an event
 * loop the buffer moves by postMessage transfer (no copy); into a worker blocked in exec it
 * is copied once into memory shared before the run, which that worker reads in place.
 */
export const unpooled = {
  name: 'unpooled',
  label: 'unpooled (new buffer per frame)',
  summary: 'a fresh buffer per frame per stage, moved by transfer, copied once only into a worker blocked in exec; the GC reclaims it',
  transport: (listens) => (listens ? 'transfer' : 'slots'),
  passesSlotsAlong: false, // its own buffer moves on, or is copied into a downstream slot
  writer: (shared, metrics, options) =>
    shared.transport === 'transfer' ? new TransferWriter(shared, metrics, options) : new SlotWriter(shared, metrics, true, options),
  reader: (shared, metrics, options) =>
    shared.transport === 'transfer' ? new TransferReader(shared, metrics, options) : new SlotReader(shared, metrics, false, options),
} as const satisfies AllocationModeEntry;
