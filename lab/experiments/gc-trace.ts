/**
 * Which trace category carries V8's collections, and do its events arrive while tracing runs?
 * node --import tsx lab/experiments/gc-trace.ts
 */
import { startLab } from '../lab.ts';
import { waitForWorker } from '../cdp.ts';

const lab = await startLab({ headless: true, path: '/lab/hook/index.html', probe: false });
try {
  const w = await waitForWorker(lab.page, /hook\.worker/);
  const client = lab.page.client as unknown as { on(e: string, l: (p: never) => void): void; once(e: string, l: () => void): void; send(m: string, p?: object): Promise<unknown> };
  const categories = process.argv[2]?.split(',') ?? ['v8', 'devtools.timeline', 'disabled-by-default-v8.gc'];
  let chunks = 0;
  const byCat = new Map<string, number>();
  const gc = new Map<string, number>();
  client.on('Tracing.dataCollected', (p: { value: { name: string; cat: string; ph: string; tid: number; args?: unknown }[] }) => {
    chunks++;
    for (const e of p.value) {
      byCat.set(e.cat, (byCat.get(e.cat) ?? 0) + 1);
      if (/^(MinorGC|MajorGC|V8\.GC_(SCAVENGER|MARK_COMPACTOR|MINOR_MARK_SWEEPER))$/.test(e.name)) {
        const k = `${e.cat} ${e.name} ${e.ph} tid ${e.tid}`;
        if (!gc.has(k)) console.log(k, JSON.stringify(e.args).slice(0, 300));
        gc.set(k, (gc.get(k) ?? 0) + 1);
      }
    }
  });
  await client.send('Tracing.start', { traceConfig: { includedCategories: categories, excludedCategories: ['*'] }, transferMode: 'ReportEvents' });
  for (let i = 0; i < 4; i++) {
    await lab.page.evaluate(`__labHook.worker({ op: 'garbage', mib: 64 })`).catch(() => lab.page.evaluate(`__labHook.worker({ op: 'arraybuffer', mib: 16 })`));
    await lab.page.sendWorker(w, 'HeapProfiler.collectGarbage');
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log('chunks before Tracing.end:', chunks);
  const done = new Promise<void>((r) => client.once('Tracing.tracingComplete', r));
  await client.send('Tracing.end');
  await done;
  console.log('events by category', Object.fromEntries(byCat), 'collections', Object.fromEntries(gc));
} finally {
  await lab.close();
}
