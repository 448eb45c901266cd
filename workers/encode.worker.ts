import * as Comlink from 'comlink';
import { loadCodecCoreInWorker } from '../src/codec/core-browser.ts';
import { encodeWorkerApi } from '../src/pipeline/stages/worker-apis.ts';

Comlink.expose(encodeWorkerApi(loadCodecCoreInWorker));
