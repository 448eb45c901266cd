/**
 * The pool handoff in Chromium (issue 14: measured in the browser beside the bare thread wake,
 * not only in Node): each variant of bench/handoff/core.ts on two dedicated workers of the
 * bench's handoff page, in a fresh browser, with the CPU all of the browser's processes burn
 * over the measured frames (a spinning consumer shows as a busy core).
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { descendants } from '../os-memory.ts';
import { VARIANTS, type HandoffFigures, type Variant } from './core.ts';

export type CostedFigures = HandoffFigures & { cores: number };
export type HandoffByVariant = Record<Variant, CostedFigures>;

const CLK_TCK = 100; // USER_HZ on Linux

/** CPU ms of every process under this one (the browser the runner launched). */
function browserCpuMs(): number {
  let ticks = 0;
  for (const pid of descendants(process.pid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // the process ended between listing and reading
    }
  }
  return (ticks * 1000) / CLK_TCK;
}

/** Runs every variant in order on `origin`'s handoff page; one fresh browser for all of them. */
export async function runChromiumHandoff(
  launch: () => Promise<Browser>, origin: string, options: { frames?: number; copyFrames?: number; warmup?: number },
): Promise<HandoffByVariant> {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    let from = 0;
    await page.exposeFunction('benchCpuMark', () => void (from = browserCpuMs()));
    await page.exposeFunction('benchCpuRead', () => browserCpuMs() - from);
    await page.goto(`${origin}/handoff.html`, { waitUntil: 'load' });
    const out: Partial<HandoffByVariant> = {};
    for (const variant of VARIANTS) {
      out[variant] = await page.evaluate(([v, o]) => window.runHandoffVariant(v, o), [variant, options] as const);
    }
    return out as HandoffByVariant;
  } finally {
    await browser.close();
  }
}

const ROWS: [Variant, string][] = [
  ['wake-floor', 'wake floor (Atomics only, no pool)'],
  ['pooled', 'pooled (shipped path: consumer sleeps in Atomics.wait)'],
  ['pooled-poll', 'pooled, consumer spins (next(0)): no wake, a busy core'],
  ['alloc-transfer', 'alloc + copy + postMessage transfer'],
  ['unpooled', 'unpooled strategy (alloc + copy via shared)'],
];

/**
 * The handoff in both hosts side by side: p50 / p99 µs and the cores busy over the measured
 * frames (Node: the process; Chromium: all of the browser's processes, its idle main thread
 * included). Chromium's clock in a cross-origin isolated page is coarsened to 5 µs.
 */
export function handoffHostsTable(node: Record<Variant, CostedFigures> | null, chromium: Record<Variant, CostedFigures> | null, table: (header: string[], rows: string[][]) => string): string {
  const f1 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1));
  const f2 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
  return table(
    ['1080p I420 frame between two threads', 'frames', 'Node p50 / p99 µs', 'Node cores', 'Chromium p50 / p99 µs', 'Chromium cores'],
    ROWS.map(([v, name]) => {
      const n = node?.[v];
      const c = chromium?.[v];
      return [name, String(n?.frames ?? c?.frames ?? '–'), `${f1(n?.p50Us)} / ${f1(n?.p99Us)}`, f2(n?.cores), `${f1(c?.p50Us)} / ${f1(c?.p99Us)}`, f2(c?.cores)];
    }),
  );
}
