/** Reads size requests as the scale stage does, as fast as it can, and reports torn reads. */
import { parentPort, workerData } from 'node:worker_threads';
import { ControlBlock, type TargetRequest } from '../../../src/pipeline/control-block.ts';

const control = new ControlBlock(workerData.control as SharedArrayBuffer);
const ready = new Int32Array(workerData.ready as SharedArrayBuffer);
const request: TargetRequest = { width: 0, height: 0, requestedAt: 0 };
let reads = 0;
let torn = 0;
let seen = control.targetSeq;
Atomics.store(ready, 0, 1);
Atomics.notify(ready, 0);
while (Atomics.load(ready, 1) === 0) {
  if (control.targetSeq === seen) continue;
  seen = control.readTarget(request);
  reads++;
  Atomics.store(ready, 2, reads); // progress for the writer
  // The writer always asks for height = width + 2 and stamps requestedAt = width.
  if (request.height !== request.width + 2 || request.requestedAt < 0) torn++;
}
parentPort!.postMessage({ reads, torn });
