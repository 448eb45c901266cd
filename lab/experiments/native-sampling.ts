/**
 * Does Memory.startSampling (the native heap sampler) see the renderer's malloc/PartitionAlloc
 * growth during a run? node --import tsx lab/experiments/native-sampling.ts [pooled|unpooled]
 */
import { startLab } from '../lab.ts';
import { chooseFile, click, select, waitForApp } from '../drive.ts';

const MIB = 1024 * 1024;
const mode = process.argv[2] ?? 'unpooled';
const lab = await startLab({ headless: true, gc: false });
try {
  await waitForApp(lab.page);
  await chooseFile(lab.page, null);
  await select(lab.page, 'mode', mode);
  await lab.page.sendPage('Memory.startSampling', { samplingInterval: 64 * 1024, suppressRandomness: false });
  await click(lab.page, 'start');
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 3000));
    const { profile } = await lab.page.sendPage<{ profile: { samples: { size: number; total: number; stack: string[] }[]; modules: { name: string; baseAddress: string; size: number }[] } }>('Memory.getSamplingProfile');
    const total = profile.samples.reduce((s, x) => s + x.total, 0);
    const s = lab.probe!.samples.at(-1)!;
    const byTop = new Map<string, number>();
    for (const x of profile.samples) { const k = x.stack.slice(0, 3).join(' < '); byTop.set(k, (byTop.get(k) ?? 0) + x.total); }
    console.log(`t${i} native sampled live ${(total / MIB).toFixed(1)} MiB in ${profile.samples.length} samples | backing ${(s.account.backingStores / MIB).toFixed(1)} unaccounted ${((s.account.unaccounted ?? 0) / MIB).toFixed(1)} renderer ${((s.account.renderer ?? 0) / MIB).toFixed(1)}`);
    if (i === 2) console.log([...byTop].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `   ${(v / MIB).toFixed(1)} ${k.slice(0, 200)}`).join('\n'), profile.modules.length);
  }
} finally {
  await lab.close();
}
