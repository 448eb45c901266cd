/**
 * The pool handoff page: `window.runHandoffVariant(variant, options)` runs one variant of
 * bench/handoff/core.ts on two fresh dedicated workers. The page cannot read CPU time, so the
 * runner exposes `benchCpuMark` / `benchCpuRead` (the browser's processes in /proc).
 */
import { runHandoffVariant, variantFrames, type HandoffFigures, type PortLike, type StartThread, type Variant } from './core.ts';

declare global {
  interface Window {
    runHandoffVariant(variant: Variant, options: { frames?: number; copyFrames?: number; warmup?: number }): Promise<HandoffFigures & { cores: number }>;
    benchCpuMark(): Promise<void>;
    benchCpuRead(): Promise<number>;
  }
}

const startThread: StartThread = (args, port) => new Promise<void>((resolve, reject) => {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `handoff-${args.role}` });
  worker.onmessage = (event: MessageEvent<string>) => {
    worker.terminate();
    if (event.data === 'done') resolve();
    else reject(new Error(event.data));
  };
  worker.onerror = (event) => {
    worker.terminate();
    reject(new Error(event.message));
  };
  worker.postMessage({ args, port }, port === null ? [] : [port as unknown as MessagePort]);
});

window.runHandoffVariant = (variant, options) => {
  const { frames, warmup } = variantFrames(variant, options);
  const channel = () => new MessageChannel() as unknown as { port1: PortLike; port2: PortLike };
  return runHandoffVariant(startThread, channel, { mark: () => window.benchCpuMark(), read: () => window.benchCpuRead() }, variant, frames, warmup);
};
