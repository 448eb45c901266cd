import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Starts a worker_threads Worker running a TypeScript module (tsx compiles it on load). */
export function startTsWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const bootstrap =
    `import { register } from 'tsx/esm/api'; register(); ` +
    `await import(${JSON.stringify(moduleUrl.href)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
