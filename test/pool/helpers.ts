import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../support/ts-worker.ts';
import { errorFromData, type ErrorData } from '../../src/pool/errors.ts';
export { seededRandom as rng } from '../../src/seeded-random.ts';

export type WorkerMessage = { type: 'ready'; info?: unknown } | { type: 'result'; value: unknown } | { type: 'error'; error: ErrorData };

const SCENARIO_URL = new URL('./workers/scenario-worker.ts', import.meta.url);

/** A scenario worker with promise helpers; every wait has a timeout and terminates on failure. */
export class ScenarioWorker {
  readonly worker: Worker;
  private readonly messages: WorkerMessage[] = [];
  private waiters: (() => void)[] = [];
  private exitError: Error | null = null;

  constructor(scenario: string, data: Record<string, unknown>) {
    this.worker = startTsWorker(SCENARIO_URL, { workerData: { scenario, ...data } });
    this.worker.on('message', (m: WorkerMessage) => {
      this.messages.push(m);
      this.wake();
    });
    this.worker.on('error', (e) => {
      this.exitError = e;
      this.wake();
    });
    this.worker.on('exit', (code) => {
      if (this.exitError === null) this.exitError = new Error(`worker exited (${code}) before answering`);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Next message of a type; rejects on timeout, worker error or exit. */
  async next(type: 'ready' | 'result', timeoutMs = 30_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type || m.type === 'error');
      if (i >= 0) {
        const m = this.messages.splice(i, 1)[0]!;
        if (m.type === 'error') throw errorFromData(m.error);
        return m.type === 'ready' ? m.info : m.value;
      }
      if (this.exitError !== null) throw this.exitError;
      const left = deadline - Date.now();
      if (left <= 0) {
        await this.worker.terminate();
        throw new Error(`timed out waiting for '${type}'`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  result<T>(timeoutMs?: number): Promise<T> {
    return this.next('result', timeoutMs) as Promise<T>;
  }

  ready(timeoutMs?: number): Promise<unknown> {
    return this.next('ready', timeoutMs);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}


export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
