/**
 * The lab's parts put together: the app's dev server with the feed, a browser the lab owns
 * (DevTools on loopback), a CDP session on its page and workers, and the probe publishing
 * into the feed.
 */
import { FlatPage } from './cdp.ts';
import { findBrowser, launchBrowser, type LaunchedBrowser } from './chromium.ts';
import { browserCpuRate } from './cost.ts';
import { GcWatcher } from './gc-watch.ts';
import { LabFeed } from './feed.ts';
import { osMemoryLimits } from './os-memory.ts';
import { startProbe, type Probe } from './probe.ts';
import type { LabInApp, LabStatus } from './protocol.ts';
import { BACKING_NOTE, GC_NOTE } from './findings.ts';
import { startLabServer, type LabServer } from './server.ts';

export interface LabOptions {
  headless: boolean;
  port?: number;
  /** Path opened first (default '/': the app). */
  path?: string;
  /** Probe period, ms (default 100). */
  intervalMs?: number;
  /** False: no probe (to measure what the probe costs). */
  probe?: boolean;
  /** False: no live GC counts (no tracing). */
  gc?: boolean;
  /** Seconds of each half of the answering-cost measurement at start (probe paused, then running); 0: not measured. */
  costSeconds?: number;
  env?: NodeJS.ProcessEnv;
  browserArgs?: string[];
}

export interface Lab {
  readonly server: LabServer;
  readonly browser: LaunchedBrowser;
  readonly page: FlatPage;
  readonly probe: Probe | null;
  readonly gc: GcWatcher | null;
  readonly feed: LabFeed;
  /** Navigates the lab's page to `path` on the lab's server and waits for its load event. */
  open(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  const executable = findBrowser(opts.env ?? process.env);
  const intervalMs = opts.intervalMs ?? 100;
  const feed = new LabFeed({ lab: true, intervalMs, osLimits: osMemoryLimits(), gc: { available: opts.gc !== false && opts.probe !== false, note: GC_NOTE }, backingNote: BACKING_NOTE, answering: null });
  const server = await startLabServer(feed, opts.port);
  let browser: LaunchedBrowser | null = null;
  try {
    browser = await launchBrowser({ executable, headless: opts.headless, args: opts.browserArgs });
    const page = await FlatPage.connect(browser.wsEndpoint);
    await page.sendPage('Page.enable');
    const inApp = () => page.evaluate<LabInApp | null>('globalThis.__framepoolLabInApp?.() ?? null');
    let probe: Probe | null = null;
    const gc = opts.probe === false || opts.gc === false ? null
      : new GcWatcher(page, () => probe?.samples.at(-1)?.account.rendererPid ?? null, () => page.workers().map((w) => w.targetId));
    probe = opts.probe === false ? null : startProbe(page, { rootPid: browser.pid, intervalMs, inApp, gc: gc ?? undefined });
    probe?.onSample((s) => feed.publish(s));
    const b = browser;
    const lab: Lab = {
      server, browser: b, page, probe, gc, feed,
      async open(path: string) {
        const loaded = page.nextPageEvent('Page.loadEventFired');
        const r = await page.sendPage<{ errorText?: string }>('Page.navigate', { url: new URL(path, server.url).href });
        if (r.errorText) throw new Error(`could not open ${path}: ${r.errorText}`);
        await loaded;
      },
      async close() {
        await gc?.stop();
        await probe?.stop();
        await page.close();
        await b.close();
        await server.close();
      },
    };
    await lab.open(opts.path ?? '/');
    const seconds = opts.costSeconds ?? 0;
    if (probe && seconds > 0) feed.status.answering = await answeringCost(probe, seconds);
    return lab;
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}

/** The idle browser's CPU with the probe paused, then running (what answering it costs the browser). */
async function answeringCost(probe: Probe, seconds: number): Promise<LabStatus['answering']> {
  const read = () => probe.readOs();
  probe.paused = true;
  await new Promise((r) => setTimeout(r, 500)); // answers in flight land first
  const paused = await browserCpuRate(read, seconds * 1000);
  probe.paused = false;
  const probing = await browserCpuRate(read, seconds * 1000);
  return paused !== null && probing !== null ? { pausedCpuMsPerS: paused, probingCpuMsPerS: probing, seconds } : null;
}
