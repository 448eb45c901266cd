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
