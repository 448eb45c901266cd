/**
 * The lab's probe (lab/probe.ts) on a bench case's page: each worker's heap and backing stores
 * over CDP (PlaywrightWorkers: Playwright's own session, non-flat), the page's, the browser's
 * process tree from /proc and the renderer's smaps split, so every case gets the lab's
 * accounting (bench/probe-accounting.ts). I/O only; the figures are worked out elsewhere.
 */
import type { Page } from 'playwright-core';
import { PlaywrightWorkers } from '../lab/cdp.ts';
import { workerThreadIds } from '../lab/os-memory.ts';
import { startProbe, type ProbeSample } from '../lab/probe.ts';
import type { LabInApp } from '../lab/protocol.ts';
import type { OsSample } from './os-memory.ts';

export interface CaseProbe {
  /** Stops sampling; resolves with every sample. */
  stop(): Promise<ProbeSample[]>;
}

/**
 * The page's renderer: the renderer that has a dedicated-worker thread while the page runs its
 * marker worker (bench/page/marker.worker.ts), which ends before the case starts. A fresh
 * browser has two more renderers, the about:blank one the COOP/COEP navigation left (it stays
 * busy for seconds: picking the renderer whose CPU grew while the page spun chose it) and a
 * spare (picking the newest chose that). Null when none shows within 3 s.
 */
async function pageRenderer(page: Page, sample: () => OsSample): Promise<number | null> {
  await page.evaluate(() => window.markRenderer(true));
  try {
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const found = sample().processes.filter((p) => p.type === 'renderer' && workerThreadIds(p.pid).length > 0);
      if (found.length === 1) return found[0]!.pid;
    }
    return null;
  } finally {
    await page.evaluate(() => window.markRenderer(false));
  }
}

/**
 * Starts the probe on `page` once it has loaded (`sample` reads the browser's processes).
 * Knowing the renderer before the case's workers start gives the case a baseline. `intervalMs`:
 * the probe's period (lab/probe.ts; 100 = 10 Hz). Each sample asks every worker for its heap,
 * and a worker inside exec keeps what the request leaves (180 B) until the run ends.
 */
export async function startCaseProbe(page: Page, sample: () => OsSample, intervalMs = 100, workerEveryMs = 0): Promise<CaseProbe> {
  const renderer = await pageRenderer(page, sample);
  const browserPid = sample().processes.find((p) => p.type === 'browser')?.pid;
  const bus = await PlaywrightWorkers.attach(await page.context().newCDPSession(page));
  const inApp = async (): Promise<LabInApp | null> => {
    // The bench page publishes its latest in-app sample (bench/page/main.ts): the pool's committed size names its arena.
    const r = await bus.sendPage<{ result: { value?: LabInApp | null } }>('Runtime.evaluate', { expression: 'globalThis.__framepoolLabInApp?.() ?? null', returnByValue: true });
    return r.result.value ?? null;
  };
  const probe = startProbe(bus, { rootPid: browserPid, pageRenderer: renderer ?? undefined, inApp, intervalMs, workerEveryMs });
  return {
    async stop() {
      const samples = await probe.stop();
      await bus.detach();
      return samples;
    },
  };
}
