/** What the operating system says the browser's processes hold (Linux /proc), for memory bounds in e2e tests. */
import { readFileSync } from 'node:fs';
import type { Browser } from '@playwright/test';

/** Proportional set size (shared pages counted once) of each of the browser's processes, bytes by kind ('renderer', 'browser', 'gpu', 'utility', …). */
export async function osMemoryByProcess(browser: Browser): Promise<{ type: string; pss: number }[]> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { id: number; type: string }[] };
    const out: { type: string; pss: number }[] = [];
    for (const { id, type } of processInfo) {
      try {
        out.push({ type, pss: Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${id}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024 });
      } catch {
        // the process ended meanwhile
      }
    }
    return out;
  } finally {
    await cdp.detach();
  }
}

/**
 * What all of the browser's processes hold (PSS): the only figure that includes busy workers
 * and their WASM memory. Misses nothing the OS charges to them; includes the browser's own
 * processes, so compare it with an idle figure taken the same way.
 */
export async function osMemory(browser: Browser): Promise<number> {
  return (await osMemoryByProcess(browser)).reduce((sum, p) => sum + p.pss, 0);
}
