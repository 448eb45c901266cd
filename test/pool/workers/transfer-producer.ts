/** Producer side of a transfer link in its own thread: N frames, blocking on credits, then end. */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Metrics, type MetricsShared } from '../../../src/metrics/metrics-block.ts';
import { LinkWriter, type LinkShared } from '../../../src/pool/link.ts';

const { link, metrics, port, frames, progress } = workerData as {
  link: LinkShared; metrics: MetricsShared; port: MessagePort; frames: number; progress: SharedArrayBuffer;
};
const committed = new Int32Array(progress);
const writer = LinkWriter.attach(link, Metrics.attach(metrics), { port: port as unknown as globalThis.MessagePort });
try {
  for (let i = 0; i < frames; i++) {
    const frame = writer.begin(16, 8, 1000);
    if (frame === 'timeout') throw new Error('begin timed out');
    frame.data.fill(i & 255);
    frame.frameIndex = i;
    if (writer.commit(frame, 10_000) === 'timeout') throw new Error(`commit ${i} timed out`);
    Atomics.store(committed, 0, i + 1); // publishing: frame i is on its way
  }
  writer.end();
  parentPort!.postMessage({ ok: true });
} catch (error) {
  parentPort!.postMessage({ ok: false, name: (error as Error).name, message: (error as Error).message });
}
