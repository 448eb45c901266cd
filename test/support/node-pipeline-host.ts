import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { compiledCoreModuleInNode } from '../../src/codec/core-node.ts';
import type { PipelineHost, StageWorker } from '../../src/pipeline/controller.ts';
import type { StageKind, StageWorkerApis } from '../../src/pipeline/stage-protocol.ts';
import { startTsWorker } from './ts-worker.ts';

/** A Node host whose stage workers run `entry` (a worker_threads module), given `{ kind, ...data }`. */
export function nodeHostWithEntry(entry: URL, data: Record<string, unknown> = {}): PipelineHost {
  return {
    codecModule: () => compiledCoreModuleInNode(),
    spawn<K extends StageKind>(kind: K): StageWorker<K> {
      const worker = startTsWorker(entry, { workerData: { kind, ...data } });
      return {
        api: Comlink.wrap<StageWorkerApis[K]>(nodeEndpoint(worker)),
        terminate: () => void worker.terminate(),
        onExit(listener) {
          worker.once('exit', (code) => listener(`its thread exited with code ${code}`));
          worker.once('error', (error) => listener(`it threw ${error.name}: ${error.message}`));
        },
      };
    },
  };
}

/** Node host for integration tests: the real stages in worker_threads, the real codec. */
export const nodePipelineHost: PipelineHost = nodeHostWithEntry(new URL('./stage-worker.node.ts', import.meta.url));
