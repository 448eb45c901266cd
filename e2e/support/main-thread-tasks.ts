import type { Browser, Page } from '@playwright/test';

export interface MainThreadTask {
  /** Start to end on the wall clock. */
  wallMs: number;
  /** CPU time the main thread used in it (the trace's thread time). */
  cpuMs: number;
}

interface TraceEvent { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string; data?: { frames?: { url?: string; processId?: number }[] } } }

/**
 * Traces `during` and returns the page's main-thread tasks longer than `overMs` on the wall
 * clock, each with the CPU time it used. Why both: on two cores shared with the page's own
 * busy workers and V8's compile and GC threads, the scheduler stretches a task's wall time
 * (measured: a frame task of 154 ms that used 19 ms of CPU); the CPU time is the page's part.
 */
export async function longMainThreadTasks(browser: Browser, page: Page, during: () => Promise<void>, overMs = 50): Promise<MainThreadTask[]> {
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  let buffer: Buffer;
  try {
    await during();
  } finally {
    buffer = await browser.stopTracing();
  }
  const parsed = JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const origin = new URL(page.url()).origin;
  const pids = new Set<number>();
  for (const e of events) {
    if (e.name !== 'TracingStartedInBrowser') continue;
    for (const f of e.args?.data?.frames ?? []) if (f.url?.startsWith(origin) && f.processId) pids.add(f.processId);
  }
  if (pids.size === 0) throw new Error(`the trace names no renderer for ${origin}`);
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && pids.has(e.pid)).map((e) => `${e.pid}/${e.tid}`));
  return events
    .filter((e) => e.name === 'RunTask' && e.ph === 'X' && mains.has(`${e.pid}/${e.tid}`) && (e.dur ?? 0) / 1000 > overMs)
    .map((e) => ({ wallMs: Math.round((e.dur ?? 0) / 100) / 10, cpuMs: Math.round((e.tdur ?? NaN) / 100) / 10 }));
}
