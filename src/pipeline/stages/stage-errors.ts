/** Errors cross threads as data ({name, message, stack}); these rebuild them by name. */

/** The run was stopped (by the user or because another stage failed): not a failure of this stage. */
export class StageStopped extends Error {
  override name = 'StageStopped';
}

/** A stage failed; `stage` names it and `message` says why in plain words. */
export class StageFailure extends Error {
  override name = 'StageFailure';
  readonly stage: string;
  constructor(stage: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.stage = stage;
  }
}

/** A short, plain description of whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.message.includes('memory access out of bounds')) {
      return 'the codec crashed (WebAssembly memory access out of bounds)';
    }
    return error.message;
  }
  return String(error);
}

/** "5 s", "1.5 s": a duration in a message. */
export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

const STALL_HINT: Record<string, string> = {
  decode: 'The file may be damaged: try another file.',
  scale: 'Try again.',
  encode: 'Try again; if it happens again, try the other codec or a smaller output size.',
};

/** The controller's watchdog saw no progress from a stage for too long (it may be hung). */
export class StageStalled extends Error {
  override name = 'StageStalled';
  constructor(stage: string, stalledMs: number) {
    super(`the ${stage} stage made no progress for ${seconds(stalledMs)}, so the run was ended. ${STALL_HINT[stage] ?? 'Try again.'}`);
  }
}

/** A stage's worker went away (crashed or was killed) while the run needed it. */
export class WorkerLost extends Error {
  override name = 'WorkerLost';
  constructor(stage: string, why: string) {
    super(`the ${stage} worker stopped unexpectedly (${why}), so the run was ended. Segments finished before it are kept; start again to continue.`);
  }
}

/** A setup step (loading the codec, opening the file) took longer than allowed; the message says which and what to try. */
export class SetupTimeout extends Error {
  override name = 'SetupTimeout';
}
