/**
 * What the dashboard's panels share: the dashboard's run machinery as an interface (app.ts
 * implements it; panels import only this file's types, so there is no import cycle).
 */
import type { LadderRung } from '../../pipeline/ladder.ts';
import type { RecordedSwitch } from '../../pipeline/switch-schedule.ts';
import type { RunSettings } from '../engine.ts';
import type { RunTelemetry } from '../telemetry.ts';

/** A single manual run's switches by frame index, replayable as a `recorded` schedule. */
export interface Recording {
  /** The file it ran on (a recording replays only on the same file). */
  file: File;
  runLabel: string;
  startRung: LadderRung;
  switches: RecordedSwitch[];
}

export type SessionKind = 'single' | 'compare';

export interface Dashboard {
  readonly file: File | null;
  /** Runs of this page that ended done (the first paid the cold start). */
  readonly completedRuns: number;
  /** The most recent single manual run's switches, if any. */
  readonly lastRecording: Recording | null;
  /** True once Stop was pressed in the current session. */
  readonly stopRequested: boolean;
  /** The run settings the controls show now. */
  settings(): RunSettings;
  /** Takes the page for a session (controls locked; for Compare also the ladder). */
  beginSession(kind: SessionKind): void;
  /** Runs one pipeline to its end with the charts overlaying `overlay`; `status` prefixes its status lines. */
  execute(settings: RunSettings, label: string, overlay: RunTelemetry[], status: string): Promise<RunTelemetry | null>;
  /** Gives the page back. */
  endSession(): void;
  setStatus(text: string): void;
  showError(text: string): void;
}
