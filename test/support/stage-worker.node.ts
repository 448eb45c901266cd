import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadCodecCoreInNode } from '../../src/codec/core-node.ts';
import { decodeWorkerApi, encodeWorkerApi, scaleWorkerApi } from '../../src/pipeline/stages/worker-apis.ts';
import type { StageKind } from '../../src/pipeline/stage-protocol.ts';

// The same stage objects the browser workers expose, under worker_threads.
const loadCore = (module: WebAssembly.Module) => loadCodecCoreInNode({ module });
const kind = (workerData as { kind: StageKind }).kind;
const api = kind === 'decode' ? decodeWorkerApi(loadCore) : kind === 'scale' ? scaleWorkerApi() : encodeWorkerApi(loadCore);
Comlink.expose(api, nodeEndpoint(parentPort!));
