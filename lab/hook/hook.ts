/**
 * The probe's test hook page: one dedicated worker (hook.worker.ts) that allocates known
 * amounts on request, and the same allocations on the page itself. Driven over CDP:
 * `await __labHook.worker({op: 'arraybuffer', mib: 64})`.
 */
import { Holder } from './hook-alloc.ts';
import type { HookCommand, HookReply } from './hook-protocol.ts';

const worker = new Worker(new URL('./hook.worker.ts', import.meta.url), { type: 'module', name: 'lab-hook' });
const page = new Holder();
let queue: Promise<unknown> = Promise.resolve();

function ask(cmd: HookCommand): Promise<HookReply> {
  const reply = queue.then(() => new Promise<HookReply>((resolve) => {
    worker.addEventListener('message', (ev: MessageEvent<HookReply>) => resolve(ev.data), { once: true });
    worker.postMessage(cmd);
  }));
  queue = reply;
  return reply;
}

const hook = {
  worker: ask,
  page: (cmd: HookCommand): HookReply => page.run(cmd),
  /** Allocates a shared buffer on the page and hands it to the worker too. */
  async shareWithWorker(cmd: Extract<HookCommand, { op: 'sab' | 'wasm' }>): Promise<HookReply> {
    const r = page.run(cmd);
    const buffer = page.lastShared();
    if (!r.ok || !buffer) return r;
    return ask({ op: 'adopt', buffer });
  },
  ready: true,
};
(window as unknown as { __labHook: typeof hook }).__labHook = hook;
document.body.dataset.ready = 'true';
