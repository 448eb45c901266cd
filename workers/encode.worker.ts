import { loadCodecCoreInWorker } from '../src/codec/core-browser.ts';
import { encodeWorkerApi } from '../src/pipeline/stages/worker-apis.ts';
import { exposeStage } from '../src/pipeline/worker-life.ts';

// Holds its life lock until it is gone, so the page notices a death nobody reports.
exposeStage(encodeWorkerApi(loadCodecCoreInWorker));
