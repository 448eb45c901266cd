// Writes chunks into an output ring from its own thread (test/pipeline/output-ring.test.ts).
// STATE[0]: 1 = about to write the last chunk, 2 = it returned.
import { parentPort, workerData } from 'node:worker_threads';
import { OutputRingWriter } from '../../../src/pipeline/output-ring.ts';

const { ring, state, sizes, timeoutMs } = workerData as { ring: SharedArrayBuffer; state: SharedArrayBuffer; sizes: number[]; timeoutMs?: number };
const flags = new Int32Array(state);
const writer = new OutputRingWriter(ring, timeoutMs);
try {
  sizes.forEach((n, i) => {
    const bytes = new Uint8Array(n).map((_, k) => (i * 31 + k) & 255);
    if (i === sizes.length - 1) Atomics.store(flags, 0, 1);
    writer.write(i, bytes);
  });
  Atomics.store(flags, 0, 2);
  parentPort!.postMessage({ ok: true });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message, name: (error as Error).constructor.name });
}
