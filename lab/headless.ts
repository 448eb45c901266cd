/**
 * One lab run without a window: the app on a file, one mode or a Compare, and a report with
 * the app's own run reports and every probe sample.
 */
import { writeFileSync } from 'node:fs';
import { chooseFile, click, markPage, select, waitForApp, waitForEnd } from './drive.ts';
import type { Lab } from './lab.ts';
import type { ProbeSample } from './probe.ts';
import type { LabStatus } from './protocol.ts';

export interface HeadlessOptions {
  file: string | null;
  mode: 'pooled' | 'unpooled';
  pacing: 'max' | 'realtime';
  compare: boolean;
  timeoutMs: number;
}

export interface LabReport {
  tool: 'framepool-lab';
  kind: 'single' | 'compare';
  file: string;
  mode: string | null;
  pacing: string;
  browser: string;
  probe: {
    enabled: boolean; intervalMs: number; samples: number; tookMsP50: number | null; tookMsP99: number | null;
    /** Samples per second while the run's workers were up. */
    runRateHz: number | null;
    /** The browser's CPU answering the probe (idle, paused vs running), from the lab's start. */
    answering: LabStatus['answering'];
    /** Share of the run's wall time the GC watcher traced. */
    gcCoverage: number | null;
  };
  status: string;
  /** The app's own run reports (results panel), as its JSON export has them. */
  runs: unknown[];
  samples: ProbeSample[];
}

function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

export async function runHeadless(lab: Lab, opts: HeadlessOptions): Promise<LabReport> {
  const { page } = lab;
  await waitForApp(page);
  await markPage(page);
  await chooseFile(page, opts.file);
  await select(page, 'pacing', opts.pacing);
  if (!opts.compare) await select(page, 'mode', opts.mode);
  const from = lab.probe?.samples.length ?? 0;
  await click(page, opts.compare ? 'compare' : 'start');
  const progress = setInterval(() => {
    void page.evaluate<string>(`document.querySelector('[data-testid=status]').textContent + ' · ' + document.querySelector('[data-testid=progress-text]').textContent`)
      .then((s) => process.stderr.write(`${s}\n`), () => {});
  }, 10_000);
  const status = await waitForEnd(page, opts.compare, opts.timeoutMs).finally(() => clearInterval(progress));
  const samples = lab.probe ? lab.probe.samples.slice(from) : [];
  const state = await page.evaluate<{ reports: unknown[] }>('window.framepool.debugState()');
  const version = await page.sendBrowser<{ product: string }>('Browser.getVersion');
  const took = samples.map((s) => s.tookMs);
  return {
    tool: 'framepool-lab',
    kind: opts.compare ? 'compare' : 'single',
    file: opts.file ?? 'sample.mp4 (bundled)',
    mode: opts.compare ? null : opts.mode,
    pacing: opts.pacing,
    browser: version.product,
    probe: {
      enabled: lab.probe !== null, intervalMs: lab.feed.status.intervalMs, samples: samples.length, tookMsP50: quantile(took, 0.5), tookMsP99: quantile(took, 0.99),
      runRateHz: runRate(samples), answering: lab.feed.status.answering, gcCoverage: lab.gc?.coverage ?? null,
    },
    status,
    runs: state.reports,
    samples,
  };
}

/** Samples per second from the first to the last sample with three or more workers up. */
function runRate(samples: ProbeSample[]): number | null {
  const run = samples.filter((s) => s.workers.length >= 3);
  if (run.length < 2) return null;
  return ((run.length - 1) * 1000) / (run.at(-1)!.t - run[0]!.t);
}

export function writeReport(path: string, report: LabReport): void {
  writeFileSync(path, JSON.stringify(report, null, 1));
}
