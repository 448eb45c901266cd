/** The test hook's worker: allocates what the page asks (see hook-protocol.ts). */
import { Holder } from './hook-alloc.ts';
import type { HookCommand } from './hook-protocol.ts';

const holder = new Holder();
self.onmessage = (ev: MessageEvent<HookCommand>) => {
  postMessage(holder.run(ev.data));
};
