import * as Comlink from 'comlink';
import wasmUrl from '@ffmpeg/core/wasm?url';
import { compileCodecModule } from '../codec/core-browser.ts';
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

/** Browser host: module workers built by Vite; the 32 MB codec is compiled once per page. */
export const browserHost: PipelineHost = {
  codecModule() {
    compiled ??= compileCodecModule(wasmUrl).catch((error: unknown) => {
      compiled = null; // let a later run try again
      throw error;
    });
    return compiled;
  },
  spawn<K extends StageKind>(kind: K): StageWorker<K> {
    const worker = startWorker(kind);
    return { api: Comlink.wrap<StageWorkerApis[K]>(worker), terminate: () => worker.terminate() };
  },
};
