import { expect, test } from 'vitest';
import type { TargetBus, WorkerTarget } from '../../lab/cdp.ts';
import { startProbe } from '../../lab/probe.ts';

/** A bus with two workers that counts the heap requests each gets; each answer's size is that count. */
function countingBus() {
  const asked = new Map<string, number>();
  const worker = (id: string): WorkerTarget => ({ sessionId: id, targetId: id, url: `http://x/${id}.worker.js`, attached: true });
  const targets = [worker('decode'), worker('encode')];
  const bus: TargetBus = {
    sendPage: async <T>() => ({ usedSize: 1, totalSize: 1 }) as T,
    sendWorker: async <T>(w: WorkerTarget) => {
      const n = (asked.get(w.targetId) ?? 0) + 1;
      asked.set(w.targetId, n);
      return { usedSize: n, totalSize: n } as T;
    },
    workers: () => targets,
    onWorker: () => () => {},
  };
  return { bus, asked };
}

test('workerEveryMs: the probe asks each worker for its heap at most that often (each command leaves bytes in a worker inside exec), and samples between give its last answer', async () => {
  const { bus, asked } = countingBus();
  const probe = startProbe(bus, { intervalMs: 50, workerEveryMs: 400 });
  await new Promise((r) => setTimeout(r, 1300));
  const samples = await probe.stop();
  expect(samples.length).toBeGreaterThanOrEqual(15);
  // 1.3 s at one request per 400 ms: 4 requests each (at 0, 400, 800, 1200 ms), not one per sample.
  for (const n of asked.values()) expect(n).toBeLessThanOrEqual(5);
  expect([...asked.values()]).toEqual([asked.get('decode'), asked.get('decode')]);
  // Every sample still has both workers, with the figure of the latest request.
  for (const s of samples) expect(s.workers.map((w) => w.role).sort()).toEqual(['decode', 'encode']);
  expect(samples.at(-1)!.workers[0]!.total).toBe(asked.get('decode'));
});

test('by default the probe asks every worker at every sample', async () => {
  const { bus, asked } = countingBus();
  const probe = startProbe(bus, { intervalMs: 50 });
  await new Promise((r) => setTimeout(r, 600));
  const samples = await probe.stop();
  expect(asked.get('decode')).toBe(samples.length);
});
