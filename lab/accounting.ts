/**
 * Counting each byte of the page's renderer once. Measured (lab/experiments/backing-store.ts,
 * README "Lab"): backingStorageSize counts an isolate's ordinary ArrayBuffers only — not
 * SharedArrayBuffers, not WebAssembly.Memory, shared or not. So the kinds are disjoint:
 *
 *   V8 heaps (page + each worker, totalSize: committed heap pages)
 *   + backing stores (page + each worker: each ArrayBuffer belongs to one isolate)
 *   + the pool's arena (one shared WebAssembly.Memory, counted once, from the app)
 *   + each codec worker's WASM memory (from the app)
 *   = measured;  unaccounted = renderer PSS − measured, no fitted constant.
 */
import type { LabAccount, LabHeap, LabInApp, LabOs, LabWorker } from './protocol.ts';

const orZero = (v: number | null | undefined) => (v !== null && v !== undefined && Number.isFinite(v) ? v : 0);

export function account(page: LabHeap | null, workers: readonly LabWorker[], os: LabOs | null, inApp: LabInApp | null): LabAccount {
  const pageHeap = orZero(page?.total);
  const workerHeaps = workers.reduce((s, w) => s + w.total, 0);
  const backingStores = orZero(page?.backing) + workers.reduce((s, w) => s + w.backing, 0);
  const pool = orZero(inApp?.poolCommitted);
  const wasm = orZero(inApp?.wasmDecode) + orZero(inApp?.wasmScale) + orZero(inApp?.wasmEncode);
  const measured = pageHeap + workerHeaps + backingStores + pool + wasm;
  const rendererProcess = os?.processes.find((p) => p.workers) ?? null;
  const size = (p: { rss: number; pss: number | null }) => p.pss ?? p.rss;
  const renderer = rendererProcess ? size(rendererProcess) : null;
  const all = os ? (os.pss ?? os.rss) : null;
  return {
    rendererPid: rendererProcess?.pid ?? null,
    renderer,
    otherProcesses: all !== null && renderer !== null ? all - renderer : all,
    pageHeap, workerHeaps, backingStores, pool, wasm, measured,
    unaccounted: renderer !== null ? renderer - measured : null,
  };
}
