import * as Comlink from 'comlink';
import wasmUrl from '@ffmpeg/core/wasm?url';
import type { PipelineHost, StageWorker } from './controller.ts';
import type { StageKind, StageWorkerApis } from './stage-protocol.ts';

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
    return {
      api: Comlink.wrap<StageWorkerApis[K]>(worker),
      terminate: () => worker.terminate(),
      // A browser reports a worker's fatal error (failed load, uncaught error) as an 'error'
      // event; a worker that silently disappears is caught by the controller's watchdog.
      onExit(listener) {
        worker.addEventListener('error', (event) => listener(`its script failed: ${event.message || 'no detail'}`));
        worker.addEventListener('messageerror', () => listener('a message to it could not be read'));
      },
    };
  },
};
