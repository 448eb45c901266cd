import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadCodecCoreInNode } from '../../src/codec/core-node.ts';
import { decodeWorkerApi, encodeWorkerApi, scaleWorkerApi } from '../../src/pipeline/stages/worker-apis.ts';
import type { RunInput, StageKind } from '../../src/pipeline/stage-protocol.ts';
import { openNodeInput } from '../../src/codec/input-node.ts';

// The same stage objects the browser workers expose, under worker_threads.
const loadCore = (module: WebAssembly.Module) => loadCodecCoreInNode({ module });
const kind = (workerData as { kind: StageKind }).kind;
const openInput = (input: RunInput) => (input instanceof Blob ? input : openNodeInput(input.hostPath));
const api = kind === 'decode' ? decodeWorkerApi(loadCore, openInput) : kind === 'scale' ? scaleWorkerApi() : encodeWorkerApi(loadCore);
Comlink.expose(api, nodeEndpoint(parentPort!));
