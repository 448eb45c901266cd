/** What the lab's experiments found (README "Lab" has the experiments and their numbers). */

/** lab/experiments/backing-store.ts, Chromium 156. */
export const BACKING_NOTE =
  "Buffers = Runtime.getHeapUsage backingStorageSize: that isolate's ordinary ArrayBuffers only. Measured: 128 MiB of ArrayBuffers in a worker add 128 MiB to its figure; " +
  'a 128 MiB SharedArrayBuffer or WebAssembly.Memory (shared or not, allocated there or handed over) adds nothing to any isolate\'s. ' +
  "So the pool's arena and the codecs' WASM memories come from the app's own figures, each counted once, and unaccounted = renderer PSS − (heaps + buffers + pool + codec WASM).";

/** lab/experiments/gc-trace.ts, Chromium 156 (lab/gc-watch.ts). */
export const GC_NOTE =
  'GC counts per worker come from V8\'s trace events (disabled-by-default-v8.gc: scavenges and mark-compacts, their pauses summed), ' +
  'traced in back-to-back 1 s windows because a trace delivers its events only when it ends: counts lag by up to 2 s and miss what falls in the flush between windows. ' +
  'Worker threads are matched to workers by start order, only while the renderer has as many worker threads as the page has workers.';
