import * as Comlink from 'comlink';
import wasmUrl from '@ffmpeg/core/wasm?url';
import type { PipelineHost, StageWorker } from './controller.ts';
import type { StageKind, StageWorkerApis } from './stage-protocol.ts';
import { readyLock, watchLife } from './worker-life.ts';

let compiled: Promise<{ module: WebAssembly.Module; warmed: Promise<void> }> | null = null;

function startWorker(kind: StageKind): Worker {
  // Literal URLs so Vite bundles each worker entry.
  switch (kind) {
    case 'decode': return new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: 'decode' });
    case 'scale': return new Worker(new URL('../../workers/scale.worker.ts', import.meta.url), { type: 'module', name: 'scale' });
    case 'encode': return new Worker(new URL('../../workers/encode.worker.ts', import.meta.url), { type: 'module', name: 'encode' });
  }
}

type CompileReply = { ok: true; module: WebAssembly.Module } | { ok: false; message: string } | { warmed: true };

/**
 * Compiles the codec in a short-lived worker, so the page never blocks on it, and warms it
 * there (workers/codec-compiler.worker.ts: why). `warmed` settles when the warm-up is over,
 * however it went; the worker goes then.
 */
function compileOffMainThread(): Promise<{ module: WebAssembly.Module; warmed: Promise<void> }> {
  let warmDone = (): void => {};
  const warmed = new Promise<void>((resolve) => { warmDone = resolve; });
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../workers/codec-compiler.worker.ts', import.meta.url), { type: 'module', name: 'codec-compiler' });
    const end = (): void => {
      worker.terminate();
      warmDone();
    };
    worker.onmessage = (event: MessageEvent<CompileReply>) => {
      const reply = event.data;
      if ('warmed' in reply) end();
      else if (reply.ok) resolve({ module: reply.module, warmed });
      else {
        end();
        reject(new Error(`could not load the codec: ${reply.message}`));
      }
    };
    worker.onerror = (event) => {
      end();
      reject(new Error(`could not load the codec: ${event.message}`));
    };
    worker.postMessage({ wasmUrl: new URL(wasmUrl, location.href).href });
  });
}

function compiledOnce(): Promise<{ module: WebAssembly.Module; warmed: Promise<void> }> {
  compiled ??= compileOffMainThread().catch((error: unknown) => {
    compiled = null; // let a later run try again
    throw error;
  });
  return compiled;
}

/** Browser host: module workers built by Vite; the 32 MB codec is compiled (and warmed) once per page. */
export const browserHost = {
  codecModule() {
    return compiledOnce().then((c) => c.module);
  },
  warmCodecModule() {
    return compiledOnce().then(async (c) => {
      await c.warmed;
      return c.module;
    });
  },
  codecWarmupSettled() {
    return compiled ? compiled.then((c) => c.warmed, () => undefined) : Promise.resolve();
  },
  spawn<K extends StageKind>(kind: K): StageWorker<K> {
    const worker = startWorker(kind);
    const lifeLock = new Promise<string>((resolve) => {
      const onMessage = (event: MessageEvent) => {
        const lock = readyLock(event.data);
        if (lock === null) return;
        worker.removeEventListener('message', onMessage);
        resolve(lock);
      };
      worker.addEventListener('message', onMessage);
    });
    const ownEnd = new AbortController();
    return {
      api: Comlink.wrap<StageWorkerApis[K]>(worker),
      ready: lifeLock.then(() => undefined),
      terminate: () => {
        ownEnd.abort(); // our own terminate() is not a loss
        worker.terminate();
      },
      // A fatal error (failed load, uncaught error) comes as an 'error' event; a worker that
      // closes itself or is ended by the browser says nothing: its life lock tells.
      onExit(listener) {
        worker.addEventListener('error', (event) => listener(`its script failed: ${event.message || 'no detail'}`));
        worker.addEventListener('messageerror', () => listener('a message to it could not be read'));
        void lifeLock.then((lock) => watchLife(lock, ownEnd.signal, () => listener('it ended without reporting an error')));
      },
    };
  },
} satisfies PipelineHost;
