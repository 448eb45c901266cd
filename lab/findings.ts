/** What the lab's experiments found (README "Lab" has the experiments and their numbers). */

/** lab/experiments/backing-store.ts, Chromium 156. */
export const BACKING_NOTE =
  "Buffers = Runtime.getHeapUsage backingStorageSize: that isolate's ordinary ArrayBuffers only. Measured: 128 MiB of ArrayBuffers in a worker add 128 MiB to its figure; " +
  'a 128 MiB SharedArrayBuffer or WebAssembly.Memory (shared or not, allocated there or handed over) adds nothing to any isolate\'s. ' +
  "So the pool's arena and the codecs' WASM memories come from the app's own figures, each counted once, and unaccounted = renderer PSS − (heaps + buffers + pool + codec WASM).";

/** Checked on a worker session and a browser trace, Chromium 156. */
export const GC_NOTE =
  'No GC counts per worker: on a worker session Performance.getMetrics does not exist and Runtime.getHeapUsage has no GC figure; ' +
  'a browser trace (devtools.timeline) has MinorGC / MajorGC per thread, but delivers them only when tracing ends, so they cannot be charted live.';
