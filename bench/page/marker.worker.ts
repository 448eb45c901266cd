/**
 * Does nothing: while it lives, the page's renderer is the one process with a dedicated-worker
 * thread, which is how the lab probe finds it (bench/case-probe.ts) before a case starts.
 */
export {};
