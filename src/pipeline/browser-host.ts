import * as Comlink from 'comlink';
import wasmUrl from '@ffmpeg/core/wasm?url';
import type { PipelineHost, StageWorker } from './controller.ts';
import type { StageKind, StageWorkerApis } from './stage-protocol.ts';
import { readyLock, watchLife } from './worker-life.ts';

let compiled: Promise<WebAssembly.Module> | null = null;

function startWorker(kind: StageKind): Worker {
  // Literal URLs so Vite bundles each worker entry.
  switch (kind) {
    case 'decode': return new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module', name: 'decode' });
    case 'scale': return new Worker(new URL('../../workers/scale.worker.ts', import.meta.url), { type: 'module', name: 'scale' });
    case 'encode': return new Worker(new URL('../../workers/encode.worker.ts', import.meta.url), { type: 'module', name: 'encode' });
  }
}

type CompileReply = { ok: true; module: WebAssembly.Module } | { ok: false; message: string };

/** Compiles the codec in a short-lived worker, so the page never blocks on it. */
function compileOffMainThread(): Promise<WebAssembly.Module> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../workers/codec-compiler.worker.ts', import.meta.url), { type: 'module', name: 'codec-compiler' });
    worker.onmessage = (event: MessageEvent<CompileReply>) => {
      worker.terminate();
      if (event.data.ok) resolve(event.data.module);
      else reject(new Error(`could not load the codec: ${event.data.message}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`could not load the codec: ${event.message}`));
    };
    worker.postMessage({ wasmUrl: new URL(wasmUrl, location.href).href });
  });
}

/** Browser host: module workers built by Vite; the 32 MB codec is compiled once per page. */
export const browserHost: PipelineHost = {
  codecModule() {
    compiled ??= compileOffMainThread().catch((error: unknown) => {
      compiled = null; // let a later run try again
      throw error;
    });
    return compiled;
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
};
