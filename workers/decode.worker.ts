import * as Comlink from 'comlink';
import { loadCodecCoreInWorker } from '../src/codec/core-browser.ts';
import { decodeWorkerApi } from '../src/pipeline/stages/worker-apis.ts';
import type { RunInput } from '../src/pipeline/stage-protocol.ts';

// In the browser the input is always the user's File (or the sample as a Blob).
const asBlob = (input: RunInput) => {
  if (input instanceof Blob) return input;
  throw new TypeError('the browser pipeline reads Files, not host paths');
};
Comlink.expose(decodeWorkerApi(loadCodecCoreInWorker, asBlob));
