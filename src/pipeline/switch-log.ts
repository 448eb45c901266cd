/**
 * Resolution switches as they happen, written by the scale stage, read by the controller.
 *
 * Layout: a SharedArrayBuffer of CAPACITY entries × 8 Float64 fields (a ring):
 *   0 frameIndex     first frame scaled at the new size
 *   1 requestedAt    shared-clock ms of the request (manual: the click; scheduled: the moment
 *                    the scaler took the frame the schedule switches at)
 *   2 firstOutAt     shared-clock ms the first new-size frame left the scaler
 *   3 fromWidth, 4 fromHeight, 5 toWidth, 6 toHeight
 *   7 manual         1 for a user's click, 0 for the schedule
 * The entry count is published in the control block (SWITCH_COUNT) after each entry is
 * written; a reader that falls more than CAPACITY behind loses the oldest entries.
 */
export const SWITCH_LOG_CAPACITY = 4096;
const FIELDS = 8;

export interface SwitchEvent {
  frameIndex: number;
  requestedAt: number;
  firstOutAt: number;
  from: { width: number; height: number };
  to: { width: number; height: number };
  manual: boolean;
}

export class SwitchLog {
  readonly buffer: SharedArrayBuffer;
  private readonly f64: Float64Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(SWITCH_LOG_CAPACITY * FIELDS * 8)) {
    this.buffer = buffer;
    this.f64 = new Float64Array(buffer);
  }

  /** Scale stage: writes entry `index` (the caller then publishes the count). Allocation-free. */
  write(index: number, frameIndex: number, requestedAt: number, firstOutAt: number,
    fromW: number, fromH: number, toW: number, toH: number, manual: boolean): void {
    const o = (index % SWITCH_LOG_CAPACITY) * FIELDS;
    const f = this.f64;
    f[o] = frameIndex; f[o + 1] = requestedAt; f[o + 2] = firstOutAt;
    f[o + 3] = fromW; f[o + 4] = fromH; f[o + 5] = toW; f[o + 6] = toH; f[o + 7] = manual ? 1 : 0;
  }

  /** Controller: reads entry `index` into a fresh object (off the hot path). */
  read(index: number): SwitchEvent {
    const o = (index % SWITCH_LOG_CAPACITY) * FIELDS;
    const f = this.f64;
    return {
      frameIndex: f[o]!, requestedAt: f[o + 1]!, firstOutAt: f[o + 2]!,
      from: { width: f[o + 3]!, height: f[o + 4]! }, to: { width: f[o + 5]!, height: f[o + 6]! },
      manual: f[o + 7] === 1,
    };
  }
}
