/**
 * One waiter, many notifiers: a WebCodecs stage awaits "something happened" (a decoder
 * output, a dequeue, an error) with a timeout, so its loop can also notice a stop or a stall.
 * Allocates a promise per wait: codec glue, on the WebCodecs path only.
 */
export class Wakeup {
  private resolve: (() => void) | null = null;
  private pending = false;

  /** Wakes the current waiter, or the next one if nobody waits now. */
  readonly notify = (): void => {
    if (this.resolve) {
      const resolve = this.resolve;
      this.resolve = null;
      resolve();
    } else {
      this.pending = true;
    }
  };

  /** Resolves at the next notify (or at once if one came since the last wait), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.resolve = null;
        resolve();
      }, timeoutMs);
      this.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
