import type { LadderRung } from './ladder.ts';
import { seededRandom } from '../seeded-random.ts';

/**
 * When the target resolution changes. Automatic schedules are functions of the frame index
 * (evaluated by the scale stage per frame), so a schedule replays identically in both
 * allocation modes and on every run. Manual switches are recorded with the frame index they
 * took effect at, and can be replayed as a `recorded` schedule.
 */
export type SwitchSchedule =
  | { kind: 'manual' }
  | { kind: 'every'; frames: number }
  | { kind: 'storm'; seed: number; everyFrames: number; maxSwitches: number }
  | { kind: 'recorded'; switches: readonly RecordedSwitch[] };

export interface RecordedSwitch {
  frameIndex: number;
  rung: LadderRung;
}


/**
 * Expands a schedule into the rung each frame index asks for, as a stateful cursor:
 * `rungFor(i)` must be called with i = 0, 1, 2, … in order (the scale stage does). Returns
 * null when the schedule does not decide (manual: the user's clicks decide).
 */
export class ScheduleCursor {
  private readonly schedule: SwitchSchedule;
  private readonly rungs: readonly LadderRung[];
  private readonly startIndex: number;
  private readonly random: () => number;
  private rung: LadderRung;
  private switches = 0;
  private recordedNext = 0;

  /** `rungs`: the ladder for this source with rungs of equal size removed (see `distinctRungs`). */
  constructor(schedule: SwitchSchedule, rungs: readonly LadderRung[], startRung: LadderRung) {
    this.schedule = schedule;
    this.rungs = rungs;
    this.startIndex = Math.max(0, rungs.indexOf(startRung));
    this.rung = startRung;
    this.random = seededRandom(schedule.kind === 'storm' ? schedule.seed : 1);
  }

  rungFor(frameIndex: number): LadderRung | null {
    const s = this.schedule;
    switch (s.kind) {
      case 'manual':
        return null;
      case 'every': {
        const step = Math.floor(frameIndex / s.frames);
        return this.rungs[(this.startIndex + step) % this.rungs.length]!;
      }
      case 'storm': {
        if (frameIndex > 0 && frameIndex % s.everyFrames === 0 && this.switches < s.maxSwitches) {
          // Pick a different rung so every scheduled switch is a real size change
          // (index arithmetic instead of filtering: no allocation on the per-frame path).
          const current = this.rungs.indexOf(this.rung);
          let pick = Math.floor(this.random() * (this.rungs.length - 1));
          if (pick >= current) pick++;
          this.rung = this.rungs[pick]!;
          this.switches++;
        }
        return this.rung;
      }
      case 'recorded': {
        while (this.recordedNext < s.switches.length && s.switches[this.recordedNext]!.frameIndex <= frameIndex) {
          this.rung = s.switches[this.recordedNext]!.rung;
          this.recordedNext++;
        }
        return this.rung;
      }
    }
  }
}
