/**
 * What does Runtime.getHeapUsage's backingStorageSize include? Allocates known amounts of each
 * kind in the hook worker (and shared ones on the page, handed to the worker) and prints the
 * change of every figure: node --import tsx lab/experiments/backing-store.ts
 */
import { startLab } from '../lab.ts';
import { waitForWorker } from '../cdp.ts';
import type { HookCommand } from '../hook/hook-protocol.ts';

const MIB = 1024 * 1024;
const lab = await startLab({ headless: true, path: '/lab/hook/index.html' });
try {
  const worker = await waitForWorker(lab.page, /hook\.worker/);
  const snapshot = async () => {
    await new Promise((r) => setTimeout(r, 300));
    return lab.probe!.sample();
  };
  const show = (label: string, a: Awaited<ReturnType<typeof snapshot>>, b: Awaited<ReturnType<typeof snapshot>>) => {
    const wa = a.workers.find((w) => w.id === worker.targetId)!;
    const wb = b.workers.find((w) => w.id === worker.targetId)!;
    const d = (x: number, y: number) => ((y - x) / MIB).toFixed(1).padStart(7);
    console.log(`${label.padEnd(44)} worker used ${d(wa.used, wb.used)} total ${d(wa.total, wb.total)} backing ${d(wa.backing, wb.backing)} | page used ${d(a.page!.used, b.page!.used)} backing ${d(a.page!.backing, b.page!.backing)} | OS rss ${d(a.os!.rss, b.os!.rss)} pss ${d(a.os!.pss!, b.os!.pss!)}`);
  };
  const step = async (label: string, expr: string) => {
    const a = await snapshot();
    const r = await lab.page.evaluate(expr);
    const b = await snapshot();
    show(`${label} ${JSON.stringify(r)}`, a, b);
  };
  const cmd = (c: HookCommand) => JSON.stringify(c);
  const gc = async () => {
    await lab.page.sendWorker(worker, 'HeapProfiler.collectGarbage');
    await lab.page.sendPage('HeapProfiler.collectGarbage');
  };
  await step('worker 128 MiB ArrayBuffers', `__labHook.worker(${cmd({ op: 'arraybuffer', mib: 128 })})`);
  await step('worker 128 MiB SharedArrayBuffer', `__labHook.worker(${cmd({ op: 'sab', mib: 128 })})`);
  await step('worker 128 MiB WebAssembly.Memory', `__labHook.worker(${cmd({ op: 'wasm', mib: 128, shared: false })})`);
  await step('worker 128 MiB shared WebAssembly.Memory', `__labHook.worker(${cmd({ op: 'wasm', mib: 128, shared: true })})`);
  await step('page 128 MiB SAB, also held by worker', `__labHook.shareWithWorker(${cmd({ op: 'sab', mib: 128 })})`);
  await step('page 128 MiB shared wasm, also held by wkr', `__labHook.shareWithWorker(${cmd({ op: 'wasm', mib: 128, shared: true })})`);
  await step('page 128 MiB ArrayBuffers', `__labHook.page(${cmd({ op: 'arraybuffer', mib: 128 })})`);
  const a = await snapshot();
  await lab.page.evaluate(`Promise.all([__labHook.worker(${cmd({ op: 'free' })}), __labHook.page(${cmd({ op: 'free' })})])`);
  await gc();
  const b = await snapshot();
  show('both free + HeapProfiler.collectGarbage', a, b);
} finally {
  await lab.close();
}
