/**
 * DevTools Protocol sessions on a page's dedicated workers, through Playwright.
 *
 * Playwright's CDPSession cannot address a child (worker) session (microsoft/playwright#22992,
 * out of scope there), so this uses the Target domain's non-flat mode on a page session:
 * auto-attach announces each worker with a sessionId, commands go in as
 * `Target.sendMessageToTarget` and replies and events come back as
 * `Target.receivedMessageFromTarget`. The inspector answers a worker that is busy in wasm or
 * blocked in `Atomics.wait` (it interrupts the isolate), so a stage inside ffmpeg's exec can
 * be profiled while it runs.
 */
import type { BrowserContext, CDPSession, Page } from '@playwright/test';

export interface WorkerTarget {
  readonly sessionId: string;
  readonly targetId: string;
  readonly url: string;
  /** False once the worker is gone (terminated or detached). */
  attached: boolean;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  method: string;
}

/** The workers of one page, each addressable by its sessionId. */
export class PageWorkers {
  private readonly targets = new Map<string, WorkerTarget>();
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(target: WorkerTarget) => void>();
  private nextId = 1;

  private constructor(private readonly session: CDPSession) {
    session.on('Target.attachedToTarget', (e) => {
      const { sessionId, targetInfo } = e as { sessionId: string; targetInfo: { targetId: string; type: string; url: string } };
      if (targetInfo.type !== 'worker') return;
      const target: WorkerTarget = { sessionId, targetId: targetInfo.targetId, url: targetInfo.url, attached: true };
      this.targets.set(sessionId, target);
      for (const listener of this.listeners) listener(target);
    });
    session.on('Target.detachedFromTarget', (e) => {
      const { sessionId } = e as { sessionId: string };
      const target = this.targets.get(sessionId);
      if (target) target.attached = false;
    });
    session.on('Target.receivedMessageFromTarget', (e) => {
      const { message } = e as { sessionId: string; message: string };
      const msg = JSON.parse(message) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return; // an event of the worker's domains: not used here
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    });
  }

  /** Starts watching `page`'s workers (existing ones too); none is paused on start. */
  static async attach(context: BrowserContext, page: Page): Promise<PageWorkers> {
    const session = await context.newCDPSession(page);
    const workers = new PageWorkers(session);
    await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return workers;
  }

  /** Workers attached now whose script URL matches `pattern`. */
  find(pattern: RegExp): WorkerTarget[] {
    return [...this.targets.values()].filter((t) => t.attached && pattern.test(t.url));
  }

  /** Resolves with the first attached worker whose URL matches `pattern` (now or later). */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<WorkerTarget> {
    const now = this.find(pattern)[0];
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no worker matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (t: WorkerTarget) => {
        if (!pattern.test(t.url)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(t);
      };
      this.listeners.add(listener);
    });
  }

  /** Sends one protocol command to a worker and resolves with its result. */
  send<T = unknown>(target: WorkerTarget, method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
    });
    this.session
      .send('Target.sendMessageToTarget', { sessionId: target.sessionId, message: JSON.stringify({ id, method, params }) })
      .catch((error: Error) => {
        const p = this.pending.get(id);
        this.pending.delete(id);
        p?.reject(error);
      });
    return reply;
  }

  async detach(): Promise<void> {
    await this.session.detach().catch(() => {});
  }
}

/** One node of V8's sampling heap profile (HeapProfiler.SamplingHeapProfileNode). */
export interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId: string };
  /** Bytes sampled at this node itself (V8 scales each sample by its sampling probability). */
  selfSize: number;
  id: number;
  children: SamplingNode[];
}

export interface SamplingProfile {
  head: SamplingNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}
