/** Every allocation mode, in the order pickers show them. Adding a mode: one file, one line here. */
import { copyThrough } from './copy-through.ts';
import type { AllocationModeEntry } from './mode.ts';
import { pooled } from './pooled.ts';
import { unpooled } from './unpooled.ts';

export const ALLOCATION_MODES = [pooled, unpooled, copyThrough] as const;

export type AllocationMode = (typeof ALLOCATION_MODES)[number]['name'];
export type { AllocationModeEntry } from './mode.ts';

export function allocationMode(name: string): AllocationModeEntry {
  const mode = ALLOCATION_MODES.find((m) => m.name === name);
  if (!mode) throw new RangeError(`unknown allocation mode '${name}' (known: ${ALLOCATION_MODES.map((m) => m.name).join(', ')})`);
  return mode;
}
