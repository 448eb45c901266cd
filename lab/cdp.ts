/**
 * DevTools Protocol sessions on a page and its dedicated workers, behind one small interface
 * (`TargetBus`) that the probe uses, with two transports:
 *
 * - `connectFlat`: chrome-remote-interface on the browser's loopback DevTools endpoint, in
 *   flatten mode: every worker gets its own sessionId on the same socket. The lab uses this.
 * - `PlaywrightWorkers`: a Playwright CDPSession on a page (Playwright cannot address child
 *   sessions, microsoft/playwright#22992), so auto-attach runs in non-flat mode and worker
 *   commands go in as `Target.sendMessageToTarget`. For Playwright tests and the bench.
 *
 * Either way the inspector answers a worker that is busy in wasm or blocked in
 * `Atomics.wait` (it interrupts the isolate), so a stage inside ffmpeg's exec can be measured
 * while it runs.
 */
import type { EventEmitter } from 'node:events';
import CDP from 'chrome-remote-interface';

export interface WorkerTarget {
  readonly sessionId: string;
  readonly targetId: string;
  readonly url: string;
  /** False once the worker is gone (terminated or detached). */
  attached: boolean;
}

/** A page and its workers, each addressable by protocol method. */
export interface TargetBus {
  /** Sends a command to the page's own session. */
  sendPage<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Sends a command to one worker's session. */
  sendWorker<T = unknown>(target: WorkerTarget, method: string, params?: Record<string, unknown>): Promise<T>;
  /** Workers attached now. */
  workers(): WorkerTarget[];
  /** Calls `listener` for every worker attached from now on; returns the unsubscribe. */
  onWorker(listener: (target: WorkerTarget) => void): () => void;
}

interface AttachedEvent { sessionId: string; targetInfo: { targetId: string; type: string; url: string } }

/** Keeps the worker list of one page from Target.attachedToTarget / detachedFromTarget. */
class WorkerRegistry {
  readonly targets = new Map<string, WorkerTarget>();
  private readonly listeners = new Set<(t: WorkerTarget) => void>();

  attached(e: AttachedEvent): void {
    if (e.targetInfo.type !== 'worker') return;
    const target: WorkerTarget = { sessionId: e.sessionId, targetId: e.targetInfo.targetId, url: e.targetInfo.url, attached: true };
    this.targets.set(e.sessionId, target);
    for (const l of this.listeners) l(target);
  }

  detached(sessionId: string): void {
    const t = this.targets.get(sessionId);
    if (!t) return;
    t.attached = false;
    this.targets.delete(sessionId);
  }

  list(): WorkerTarget[] {
    return [...this.targets.values()].filter((t) => t.attached);
  }

  on(listener: (t: WorkerTarget) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Resolves with the first attached worker of `bus` whose URL matches `pattern` (now or later). */
export function waitForWorker(bus: TargetBus, pattern: RegExp, timeoutMs = 60_000): Promise<WorkerTarget> {
  const now = bus.workers().find((t) => pattern.test(t.url));
  if (now) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const off = bus.onWorker((t) => {
      if (!pattern.test(t.url)) return;
      clearTimeout(timer);
      off();
      resolve(t);
    });
    const timer = setTimeout(() => { off(); reject(new Error(`no worker matching ${pattern} within ${timeoutMs} ms`)); }, timeoutMs);
  });
}

/** A page of a lab-owned browser, reached over chrome-remote-interface in flatten mode. */
export class FlatPage implements TargetBus {
  private readonly registry = new WorkerRegistry();

  private constructor(readonly client: CDP.Client, readonly pageSessionId: string, readonly targetId: string) {
    client.on('Target.attachedToTarget', (params: AttachedEvent, sessionId?: string) => {
      if (sessionId === pageSessionId) this.registry.attached(params);
    });
    client.on('Target.detachedFromTarget', (params: { sessionId: string }) => this.registry.detached(params.sessionId));
  }

  /**
   * Connects to the browser at `wsEndpoint`, takes its first page (or opens one) and watches
   * that page's workers (auto-attach, flatten, none paused on start).
   */
  static async connect(wsEndpoint: string): Promise<FlatPage> {
    // local: use the protocol description bundled with the client, not one fetched over HTTP.
    const client = await CDP({ target: wsEndpoint, local: true });
    const { targetInfos } = await client.send('Target.getTargets');
    const targetId = targetInfos.find((t) => t.type === 'page')?.targetId
      ?? (await client.send('Target.createTarget', { url: 'about:blank' })).targetId;
    const { sessionId } = await client.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new FlatPage(client, sessionId, targetId);
    await client.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, sessionId);
    return page;
  }

  /** Sends to the browser itself (no session). */
  sendBrowser<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return (this.client.send as (m: string, p: object) => Promise<T>)(method, params);
  }

  sendPage<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return (this.client.send as (m: string, p: object, s: string) => Promise<T>)(method, params, this.pageSessionId);
  }

  sendWorker<T = unknown>(target: WorkerTarget, method: string, params: Record<string, unknown> = {}): Promise<T> {
    return (this.client.send as (m: string, p: object, s: string) => Promise<T>)(method, params, target.sessionId);
  }

  workers(): WorkerTarget[] {
    return this.registry.list();
  }

  onWorker(listener: (t: WorkerTarget) => void): () => void {
    return this.registry.on(listener);
  }

  /** Resolves with the params of the page session's next `method` event. */
  nextPageEvent<T = unknown>(method: string): Promise<T> {
    const emitter = this.client as unknown as EventEmitter;
    return new Promise((resolve) => {
      const handler = (params: T, sessionId?: string) => {
        if (sessionId !== this.pageSessionId) return;
        emitter.removeListener(method, handler);
        resolve(params);
      };
      emitter.on(method, handler);
    });
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.sendPage<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value as T;
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => {});
  }
}

/** The subset of Playwright's CDPSession this needs (so lab/ does not depend on @playwright/test). */
export interface CdpSessionLike {
  send(method: never, params?: never): Promise<unknown>;
  // `never`: Playwright's overloaded, event-typed `on` is assignable to it; the class calls it through its own narrower type.
  on(event: never, listener: never): unknown;
  detach(): Promise<void>;
}

interface Pending { resolve: (value: unknown) => void; reject: (error: Error) => void; method: string }

/** The workers of a Playwright page, in non-flat mode (see the file's comment). */
export class PlaywrightWorkers implements TargetBus {
  private readonly registry = new WorkerRegistry();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly session: { send(m: string, p?: object): Promise<unknown>; on(e: string, l: (p: unknown) => void): unknown; detach(): Promise<void> };

  private constructor(session: CdpSessionLike) {
    this.session = session as unknown as PlaywrightWorkers['session'];
    this.session.on('Target.attachedToTarget', (e) => this.registry.attached(e as AttachedEvent));
    this.session.on('Target.detachedFromTarget', (e) => this.registry.detached((e as { sessionId: string }).sessionId));
    this.session.on('Target.receivedMessageFromTarget', (e) => {
      const msg = JSON.parse((e as { message: string }).message) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return; // an event of the worker's domains: not used here
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    });
  }

  /** Starts watching the workers of the page `session` belongs to (existing ones too). */
  static async attach(session: CdpSessionLike): Promise<PlaywrightWorkers> {
    const workers = new PlaywrightWorkers(session);
    await workers.session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return workers;
  }

  sendPage<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.session.send(method, params) as Promise<T>;
  }

  sendWorker<T = unknown>(target: WorkerTarget, method: string, params: Record<string, unknown> = {}): Promise<T> {
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

  workers(): WorkerTarget[] {
    return this.registry.list();
  }

  onWorker(listener: (t: WorkerTarget) => void): () => void {
    return this.registry.on(listener);
  }

  async detach(): Promise<void> {
    await this.session.detach().catch(() => {});
  }
}
