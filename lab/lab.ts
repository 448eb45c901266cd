/**
 * The lab's parts put together: the app's dev server with the feed, a browser the lab owns
 * (DevTools on loopback), a CDP session on its page and workers, and the probe publishing
 * into the feed.
 */
import { FlatPage } from './cdp.ts';
import { findBrowser, launchBrowser, type LaunchedBrowser } from './chromium.ts';
import { LabFeed } from './feed.ts';
import { osMemoryLimits } from './os-memory.ts';
import { startProbe, type Probe } from './probe.ts';
import type { LabInApp } from './protocol.ts';
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
  env?: NodeJS.ProcessEnv;
  browserArgs?: string[];
}

export interface Lab {
  readonly server: LabServer;
  readonly browser: LaunchedBrowser;
  readonly page: FlatPage;
  readonly probe: Probe | null;
  readonly feed: LabFeed;
  /** Navigates the lab's page to `path` on the lab's server and waits for its load event. */
  open(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  const executable = findBrowser(opts.env ?? process.env);
  const intervalMs = opts.intervalMs ?? 100;
  const feed = new LabFeed({ lab: true, intervalMs, osLimits: osMemoryLimits(), gc: { available: false, note: GC_NOTE }, backingNote: BACKING_NOTE });
  const server = await startLabServer(feed, opts.port);
  let browser: LaunchedBrowser | null = null;
  try {
    browser = await launchBrowser({ executable, headless: opts.headless, args: opts.browserArgs });
    const page = await FlatPage.connect(browser.wsEndpoint);
    await page.sendPage('Page.enable');
    const inApp = () => page.evaluate<LabInApp | null>('globalThis.__framepoolLabInApp?.() ?? null');
    const probe = opts.probe === false ? null : startProbe(page, { rootPid: browser.pid, intervalMs, inApp });
    probe?.onSample((s) => feed.publish(s));
    const b = browser;
    const lab: Lab = {
      server, browser: b, page, probe, feed,
      async open(path: string) {
        const loaded = page.nextPageEvent('Page.loadEventFired');
        const r = await page.sendPage<{ errorText?: string }>('Page.navigate', { url: new URL(path, server.url).href });
        if (r.errorText) throw new Error(`could not open ${path}: ${r.errorText}`);
        await loaded;
      },
      async close() {
        await probe?.stop();
        await page.close();
        await b.close();
        await server.close();
      },
    };
    await lab.open(opts.path ?? '/');
    return lab;
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}
