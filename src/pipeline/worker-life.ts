/**
 * Knowing, in the browser, that a stage worker is gone. A Worker fires no event when it closes
 * itself or the browser ends it, so each stage worker holds a Web Lock for its whole life (the
 * browser releases a context's locks when the context is destroyed) and the page asks for the
 * same lock: it is granted only then. No polling, and a worker busy in one long codec call
 * (an encoder's start, a flush) still holds its lock, so it is never taken for dead.
 *
 * Measured in Chromium: a worker's self.close() releases its lock as soon as the running task
 * returns (about 1 ms); terminate() of a worker busy in a call, about 2 s later (the browser's
 * forcible-termination delay). A closing worker is not interrupted: the task it is in runs on.
 */
import * as Comlink from 'comlink';
import type { StageReady } from './stage-protocol.ts';

/**
 * Worker side: exposes `api` over comlink, takes the life lock, then tells the page which lock
 * to watch (StageReady). Once the worker has closed itself it sends nothing more: a worker on
 * its way out does not answer, as a crashed one would not. (`self` is typed as a Window by the
 * DOM lib; the members used here exist on a worker's global scope with the same shapes.)
 */
export function exposeStage(api: object): void {
  let closed = false;
  const close = self.close.bind(self);
  self.close = () => {
    closed = true;
    close();
  };
  Comlink.expose(api, {
    postMessage: (message: unknown, transfer: Transferable[] = []) => {
      if (!closed) self.postMessage(message, { transfer });
    },
    addEventListener: self.addEventListener.bind(self),
    removeEventListener: self.removeEventListener.bind(self),
  });

  const lifeLock = `framepool-stage-${crypto.randomUUID()}`;
  void navigator.locks.request(lifeLock, () => {
    const ready: StageReady = { type: 'framepool:stage-ready', lifeLock };
    self.postMessage(ready);
    return new Promise<never>(() => {}); // held until this worker is gone
  });
}

/** Page side: the lock a StageReady message names, or null for any other message. */
export function readyLock(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const message = data as Partial<StageReady>;
  return message.type === 'framepool:stage-ready' && typeof message.lifeLock === 'string' ? message.lifeLock : null;
}

/**
 * Page side: calls `onGone` once the worker holding `lifeLock` is destroyed (closed itself,
 * crashed, or terminated). Aborting `signal` cancels the watch (the page's own terminate()).
 */
export function watchLife(lifeLock: string, signal: AbortSignal, onGone: () => void): void {
  navigator.locks.request(lifeLock, { mode: 'exclusive', signal }, () => {
    if (!signal.aborted) onGone();
  }).catch(() => {}); // AbortError: the watch was cancelled
}
