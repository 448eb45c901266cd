/** The idle app's browser CPU, probe paused vs running, with and without the GC watcher: node --import tsx lab/experiments/cost-ab.ts */
import { startLab } from '../lab.ts';
for (const gc of [true, false, true, false]) {
  const lab = await startLab({ headless: true, gc, costSeconds: 3 });
  const a = lab.feed.status.answering!;
  const cost = lab.probe!.samples.at(-1)?.cost;
  console.log(`gc ${gc}: browser ${a.pausedCpuMsPerS.toFixed(0)} paused → ${a.probingCpuMsPerS.toFixed(0)} probing ms/s; node ${cost?.probeCpuMsPerS.toFixed(0)} ms/s at ${cost?.samplesPerS.toFixed(1)} samples/s`);
  await lab.close();
}
