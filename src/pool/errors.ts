/**
 * Named errors of the data plane. Each can be sent across threads as data with
 * `errorToData` and rebuilt as the same subclass with `errorFromData`.
 */
export class PoolError extends Error {
  override name = 'PoolError';
}

/** A handle whose slot was released (generation moved on) or never held by that stage. */
export class StaleHandleError extends PoolError {
  override name = 'StaleHandleError';
}

/** The pool or queue was closed (stop): every waiter wakes with this. */
export class ClosedError extends PoolError {
  override name = 'ClosedError';
}

/** The pool or queue was failed with a code (error elsewhere): every waiter wakes with this. */
export class FailedError extends PoolError {
  override name = 'FailedError';
  constructor(
    readonly code: number,
    message = `failed with code ${code}`,
  ) {
    super(message);
  }
}

/** A shared lock could not be taken in time (a thread probably died inside it). */
export class LockTimeoutError extends PoolError {
  override name = 'LockTimeoutError';
}

/** The arena cannot give the requested bytes (maximum reached or free list full). */
export class ArenaExhaustedError extends PoolError {
  override name = 'ArenaExhaustedError';
}

/** Push after end-of-stream, or other misuse of a queue's protocol. */
export class QueueStateError extends PoolError {
  override name = 'QueueStateError';
}

export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  code?: number;
}

export function errorToData(e: unknown): ErrorData {
  if (e instanceof Error) {
    const d: ErrorData = { name: e.name, message: e.message };
    if (e.stack !== undefined) d.stack = e.stack;
    if (e instanceof FailedError) d.code = e.code;
    return d;
  }
  return { name: 'Error', message: String(e) };
}

export function errorFromData(d: ErrorData): Error {
  let e: Error;
  switch (d.name) {
    case 'StaleHandleError': e = new StaleHandleError(d.message); break;
    case 'ClosedError': e = new ClosedError(d.message); break;
    case 'FailedError': e = new FailedError(d.code ?? 0, d.message); break;
    case 'LockTimeoutError': e = new LockTimeoutError(d.message); break;
    case 'ArenaExhaustedError': e = new ArenaExhaustedError(d.message); break;
    case 'QueueStateError': e = new QueueStateError(d.message); break;
    case 'PoolError': e = new PoolError(d.message); break;
    default: e = new Error(d.message); e.name = d.name;
  }
  if (d.stack !== undefined) e.stack = d.stack;
  return e;
}
