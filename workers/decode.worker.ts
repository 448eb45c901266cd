import { loadCodecCoreInWorker } from '../src/codec/core-browser.ts';
import { decodeWorkerApi } from '../src/pipeline/stages/worker-apis.ts';
import type { RunInput } from '../src/pipeline/stage-protocol.ts';
import { exposeStage } from '../src/pipeline/worker-life.ts';

// In the browser the input is always the user's File (or the sample as a Blob).
const asBlob = (input: RunInput) => {
  if (input instanceof Blob) return input;
  throw new TypeError('the browser pipeline reads Files, not host paths');
};
// Holds its life lock until it is gone, so the page notices a death nobody reports.
exposeStage(decodeWorkerApi(loadCodecCoreInWorker, asBlob));
