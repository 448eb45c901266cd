/**
 * Counting each byte of the page's renderer once. Measured (lab/experiments/, README "Lab"):
 * backingStorageSize counts an isolate's ordinary ArrayBuffers only — not SharedArrayBuffers,
 * not WebAssembly.Memory, shared or not; embedderHeapUsedSize is that isolate's Oilpan heap,
 * outside V8's; WebAssembly memories are mappings of their own (lab/smaps.ts). So the kinds
 * are disjoint:
 *
 *   V8 heaps (page + each worker, totalSize: committed heap pages)
 *   + backing stores + Oilpan heaps (page + each worker)
 *   + the pool's arena and the codecs' WASM memories (resident, from smaps; else committed, from the app)
 *   + binary and libraries + shared memory + JIT code (smaps)
 *   + native heaps: PartitionAlloc's resident pages (smaps) minus the backing stores they hold
 *   = measured;  unaccounted = renderer PSS − measured, no fitted constant.
 *
 * One overlap is known and small: V8's code space pages are in the heaps' totalSize and in
 * the JIT code mappings (memory-infra: v8/*\/heap/code_space, ≈ 0.5–1 MB per isolate).
 */
import type { LabAccount, LabHeap, LabInApp, LabOs, LabWorker } from './protocol.ts';
import type { RendererSplit } from './smaps.ts';

const orZero = (v: number | null | undefined) => (v !== null && v !== undefined && Number.isFinite(v) ? v : 0);

/** `accountable` false: the sample has no split of its own, so no `unaccounted` (see probe.ts SPLIT_EVERY). */
export function account(page: LabHeap | null, workers: readonly LabWorker[], os: LabOs | null, inApp: LabInApp | null, anySplit: RendererSplit | null = null, accountable = true): LabAccount {
  const rendererProcess = os?.processes.find((p) => p.workers) ?? null;
  // A split of another process (read before the page's renderer was known for sure) accounts for nothing here.
  const split = anySplit && (!rendererProcess || anySplit.pid === rendererProcess.pid) ? anySplit : null;
  if (anySplit && !split) accountable = false;
  const pageHeap = orZero(page?.total);
  const workerHeaps = workers.reduce((s, w) => s + w.total, 0);
  const backingStores = orZero(page?.backing) + workers.reduce((s, w) => s + w.backing, 0);
  const blinkHeaps = orZero(page?.blink) + workers.reduce((s, w) => s + orZero(w.blink), 0);
  const poolCommitted = orZero(inApp?.poolCommitted);
  const wasmCommitted = orZero(inApp?.wasmDecode) + orZero(inApp?.wasmScale) + orZero(inApp?.wasmEncode);
  let pool = poolCommitted;
  let wasm = wasmCommitted;
  if (split) {
    // The arena is the memory whose committed size is the app's poolCommitted; every other one is a codec's (or another wasm module's).
    const arena = poolCommitted > 0 ? split.wasm.find((m) => m.size === poolCommitted) : undefined;
    pool = arena?.pss ?? 0;
    wasm = split.wasm.reduce((s, m) => s + m.pss, 0) - pool;
  }
  const osKinds = split ? split.files + split.shared + split.code : 0;
  // ArrayBuffers live in PartitionAlloc too: what is left of it is malloc, Blink's partitions and allocator slack.
  const nativeHeaps = split ? Math.max(0, split.partitionAlloc - backingStores) : null;
  const measured = pageHeap + workerHeaps + backingStores + blinkHeaps + pool + wasm + osKinds + (nativeHeaps ?? 0);
  const size = (p: { rss: number; pss: number | null }) => p.pss ?? p.rss;
  // With a split, the renderer's PSS is the split's own total: kinds and whole from one reading.
  // A split with no OS reading (it timed out under load) still gives the renderer's whole.
  const renderer = split ? split.total : rendererProcess ? size(rendererProcess) : null;
  const all = os ? (os.pss ?? os.rss) : null;
  return {
    rendererPid: rendererProcess?.pid ?? split?.pid ?? null,
    renderer,
    otherProcesses: all !== null && renderer !== null ? all - renderer : all,
    pageHeap, workerHeaps, backingStores, blinkHeaps,
    pool, wasm, wasmBasis: split ? 'resident' : 'committed', poolCommitted, wasmCommitted,
    files: split?.files ?? null, sharedMemory: split?.shared ?? null, jitCode: split?.code ?? null, nativeHeaps, otherPrivate: split?.otherPrivate ?? null, splitAt: split?.at ?? null,
    measured,
    unaccounted: renderer !== null && accountable ? renderer - measured : null,
  };
}
