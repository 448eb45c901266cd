/**
 * Can memory-infra (per-allocator totals per process: malloc, partition_alloc, v8, blink_gc…)
 * be read during a run? Requests a light dump every 2.5 s before and during a run and prints
 * how long each took and the renderer's allocator totals:
 *   node --import tsx lab/experiments/memory-infra.ts [pooled|unpooled]
 * Found (Chromium 156): idle, a dump takes 0.6–1.2 s; while the codec workers run, one took
 * 15.7 s and failed (success: false): the dump asks every worker thread for its isolate's
 * figures, and a worker inside ffmpeg's exec never runs the task. So the lab reads no
 * memory-infra during runs; before a run, the renderer's malloc was ~55 MB (30.7 MB of it one
 * allocation), which is most of the baseline "unaccounted".
 */
import type { EventEmitter } from 'node:events';
import { startLab } from '../lab.ts';
import { chooseFile, click, select, waitForApp } from '../drive.ts';

const MIB = 1024 * 1024;
const mode = process.argv[2] ?? 'unpooled';
const lab = await startLab({ headless: true, gc: false });
const emitter = lab.page.client as unknown as EventEmitter;

interface DumpEvent { ph: string; pid: number; args: { dumps?: { allocators?: Record<string, { attrs: { size?: { value: string } } }> } } }

async function dump(tag: string): Promise<void> {
  const events: DumpEvent[] = [];
  const onData = (p: { value: DumpEvent[] }) => { events.push(...p.value); };
  emitter.on('Tracing.dataCollected', onData);
  const t0 = performance.now();
  await lab.page.sendBrowser('Tracing.start', { traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], excludedCategories: ['*'], memoryDumpConfig: { triggers: [] } }, transferMode: 'ReportEvents' });
  const r = await lab.page.sendBrowser<{ success: boolean }>('Tracing.requestMemoryDump', { deterministic: false, levelOfDetail: 'light' });
  const done = new Promise<void>((res) => emitter.once('Tracing.tracingComplete', () => res()));
  await lab.page.sendBrowser('Tracing.end');
  await done;
  emitter.removeListener('Tracing.dataCollected', onData);
  const pid = lab.probe!.samples.at(-1)?.account.rendererPid;
  const top: Record<string, string> = {};
  for (const e of events) {
    if (e.ph !== 'v' || e.pid !== pid) continue;
    for (const [name, a] of Object.entries(e.args.dumps?.allocators ?? {})) {
      if (!name.includes('/') && a.attrs.size) top[name] = (parseInt(a.attrs.size.value, 16) / MIB).toFixed(1);
    }
  }
  console.log(`${tag}: success ${r.success} in ${(performance.now() - t0).toFixed(0)} ms; renderer ${pid}: ${JSON.stringify(top)}`);
}

try {
  await waitForApp(lab.page);
  await chooseFile(lab.page, null);
  await select(lab.page, 'mode', mode);
  await dump('before the run');
  await click(lab.page, 'start');
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 2500));
    await dump(`run + ${(i + 1) * 2.5} s`);
  }
} finally {
  await lab.close();
}
