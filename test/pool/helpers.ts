import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorFromData, type ErrorData } from '../../src/pool/errors.ts';
export { seededRandom as rng } from '../../src/seeded-random.ts';

export type WorkerMessage = { type: 'ready'; info?: unknown } | { type: 'result'; value: unknown } | { type: 'error'; error: ErrorData };

const SCENARIO_SOURCE = fileURLToPath(new URL('./workers/scenario-worker.ts', import.meta.url));
let scenarioBundle: URL | null = null;

/**
 * The scenario worker bundled once per test file into plain JS (a data: URL, no files). A
 * worker started through tsx compiles its whole import graph again (about 1 s of CPU each,
 * several seconds for a test with four waiters on a loaded 2-core machine); a bundled one
 * starts in tens of ms. esbuild is the one tsx itself runs, resolved through tsx.
 */
function scenarioWorkerUrl(): URL {
  if (scenarioBundle === null) {
    const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({ entryPoints: [SCENARIO_SOURCE], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', logLevel: 'error' });
    const code = out.outputFiles[0]!.contents;
    scenarioBundle = new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  }
  return scenarioBundle;
}

/** A scenario worker with promise helpers; every wait has a timeout and terminates on failure. */
export class ScenarioWorker {
  readonly worker: Worker;
  private readonly messages: WorkerMessage[] = [];
  private waiters: (() => void)[] = [];
  private exitError: Error | null = null;

  constructor(scenario: string, data: Record<string, unknown>, transferList: Transferable[] = []) {
    this.worker = new Worker(scenarioWorkerUrl(), { workerData: { scenario, ...data }, transferList: transferList as never });
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
