/** One thread of a pool handoff variant in a Chromium dedicated worker (bench/handoff/core.ts). */
import { handoffThread, type HandoffArgs, type PortLike } from './core.ts';

self.onmessage = (event: MessageEvent<{ args: HandoffArgs; port: PortLike | null }>) => {
  handoffThread(event.data.args, event.data.port).then(
    () => self.postMessage('done'),
    (error: unknown) => self.postMessage(`failed: ${String(error)}`),
  );
};
