import * as Comlink from 'comlink';
import { loadCodecCoreInWorker } from '../src/codec/core-browser.ts';
import { decodeWorkerApi } from '../src/pipeline/stages/worker-apis.ts';

Comlink.expose(decodeWorkerApi(loadCodecCoreInWorker));
