/** A failure the lab explains to its user in one sentence (no stack trace). */
export class LabError extends Error {
  override readonly name = 'LabError';
}
