/** Page helpers for the dashboard, written as a user would act. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect, type Page } from '@playwright/test';

export async function open(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByTestId('start')).toBeVisible();
}

export async function chooseFile(page: Page, path: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(path);
}

/** A synthetic drag-and-drop of the file onto the page (DataTransfer with a File). */
export async function dropFile(page: Page, path: string): Promise<void> {
  const base64 = readFileSync(path).toString('base64');
  await page.evaluate(({ base64, name }) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type: 'video/mp4' }));
    const target = document.querySelector('main') ?? document.body;
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    }
  }, { base64, name: basename(path) });
}

/** Waits until the file is described (codec, resolution, … shown). */
export async function expectDescribed(page: Page, name: string, resolution: string): Promise<void> {
  const info = page.getByTestId('file-info');
  await expect(info.locator('[data-field=name]')).toHaveText(name);
  await expect(info.locator('[data-field=resolution]')).toContainText(resolution, { timeout: 60_000 });
  await expect(info.locator('[data-field=codec]')).toContainText('h264');
  await expect(page.getByTestId('start')).toBeEnabled();
}

export async function setControls(page: Page, opts: { mode?: string; codec?: string; pacing?: string; switching?: string; everyN?: number; rounds?: number }): Promise<void> {
  if (opts.mode) await page.getByTestId('mode').selectOption(opts.mode);
  if (opts.codec) await page.getByTestId('codec').selectOption(opts.codec);
  if (opts.pacing) await page.getByTestId('pacing').selectOption(opts.pacing);
  if (opts.switching) await page.getByTestId('switching').selectOption(opts.switching);
  if (opts.everyN !== undefined) await page.getByTestId('every-n').fill(String(opts.everyN));
  if (opts.rounds !== undefined) await page.getByTestId('rounds').fill(String(opts.rounds));
}

/** Waits for a Compare to finish (the status says "Compare n done:") and returns the status text. */
export async function waitForCompareEnd(page: Page, timeout = 200_000): Promise<string> {
  await expect(page.getByTestId('status')).toHaveText(/^Compare \d+ (done|failed|stopped)/, { timeout });
  await expect(page.getByTestId('start')).toBeEnabled({ timeout: 10_000 });
  return (await page.getByTestId('status').textContent()) ?? '';
}

/** The comparison table's text, row by row, cells separated by " | ". */
export function tableText(page: Page, testId = 'report'): Promise<string> {
  return page.getByTestId(testId).evaluate((table) =>
    [...(table as HTMLTableElement).rows].map((row) => [...row.cells].map((c) => (c.textContent ?? '').trim()).join(' | ')).join('\n'));
}

/** Waits for the run's end and returns the status text. */
export async function waitForRunEnd(page: Page, timeout = 100_000): Promise<string> {
  await expect(page.getByTestId('status')).toHaveText(/ done: | stopped: | failed: /, { timeout });
  await expect(page.getByTestId('start')).toBeEnabled({ timeout: 10_000 });
  return (await page.getByTestId('status').textContent()) ?? '';
}

export interface DebugState {
  points: Record<string, number>;
  redraws: number;
  longTasks: number;
  longTaskMaxMs: number;
  previewDrawn: number;
  reports: { mode: string; frames: number; allocationsPerFrameAfterWarmup: number; allocationsPerFrame: number; role?: string }[];
  compare: {
    setup: { rounds: number; order: string[]; coldRun: boolean; schedule: { kind: string }; settings: { startRung: string } };
    runs: { label: string; mode: string; role: string; round: number; phase: string; switches: number; frames: number }[];
  } | null;
}

export function debugState(page: Page): Promise<DebugState> {
  return page.evaluate(() => (window as unknown as { framepool: { debugState(): unknown } }).framepool.debugState() as DebugState);
}

/** The report table's value for a row key in column i (raw number, NaN if empty). */
export async function reportValue(page: Page, key: string, column: number): Promise<number> {
  const cell = page.getByTestId('report').locator(`tr[data-key="${key}"] td`).nth(column);
  const raw = await cell.getAttribute('data-value');
  return raw ? Number(raw) : NaN;
}
