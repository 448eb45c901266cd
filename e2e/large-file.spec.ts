/**
 * A file larger than 4 GiB whose frames and index sit past the 4 GiB offset, chosen from disk
 * as a user would: the page reaches every frame by seeking, holding memory far below the
 * file's size. The fixture is an MP4 with 64-bit chunk offsets over a sparse hole (about
 * 50 KB on disk; see test/reliability/gap-fixtures.ts), written to the OS temp folder and
 * deleted after the test.
 *
 * Playwright hands a local browser the file's path (DOM.setFileInputFiles): Chromium's File
 * is backed by the file on disk and read in ranges, nothing is copied into the page first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { loadCodecCoreInNode } from '../src/codec/core-node.ts';
import { GiB, writeMp4PastOffset } from '../test/reliability/gap-fixtures.ts';
import { chooseFile, expectDescribed, open, setControls } from './support/dashboard.ts';
import { osMemory, osMemoryByProcess } from './support/os-memory.ts';

const MiB = 1024 * 1024;
const FRAMES = 60;
let dir = '';
let path = '';
let fileBytes = 0;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'framepool-e2e-large-'));
  path = join(dir, 'past-4gib.mp4');
  const core = await loadCodecCoreInNode({ skipSelfTest: true });
  const written = writeMp4PastOffset(core, path, { size: '640x360', frames: FRAMES, offset: 4 * GiB + 4096 });
  expect(written.framesAt).toBeGreaterThan(4 * GiB);
  fileBytes = written.size;
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a 4 GiB MP4 with its frames and index past the 4 GiB offset runs to its last frame, memory far below its size', async ({ page, browser }) => {
  test.setTimeout(180_000);
  await open(page);
  const idle = await osMemory(browser);
  const idleRenderer = Math.max(...(await osMemoryByProcess(browser)).filter((p) => p.type === 'renderer').map((p) => p.pss));

  await chooseFile(page, path);
  await expectDescribed(page, 'past-4gib.mp4', '640×360');
  await expect(page.getByTestId('file-info').locator('[data-field=size]')).toHaveText('4.00 GiB');

  await setControls(page, { pacing: 'max', switching: 'manual' });
  await page.getByTestId('start').click();
  // Samples what the browser's processes hold while the run reads the file, until it ends.
  let peak = idle;
  let peakRenderer = idleRenderer;
  const status = page.getByTestId('status');
  while (!/ (done|stopped|failed): /.test((await status.textContent()) ?? '')) {
    const processes = await osMemoryByProcess(browser);
    peak = Math.max(peak, processes.reduce((sum, p) => sum + p.pss, 0));
    peakRenderer = Math.max(peakRenderer, ...processes.filter((p) => p.type === 'renderer').map((p) => p.pss));
    await page.waitForTimeout(100);
  }
  const text = (await status.textContent()) ?? '';
  console.log(`past 4 GiB in the page: file ${(fileBytes / GiB).toFixed(2)} GiB; all browser processes (PSS) ${(idle / MiB).toFixed(0)} MB idle → ${(peak / MiB).toFixed(0)} MB peak while running; largest renderer ${(idleRenderer / MiB).toFixed(0)} → ${(peakRenderer / MiB).toFixed(0)} MB; "${text}"`);
  expect(text).toContain(` done: ${FRAMES} frames, 1 segment `);
  await expect(page.getByTestId('segments').locator('tr td:nth-child(4)')).toHaveText([String(FRAMES)]);
  // Three workers, two codec instances and a frame pool: a few hundred MB at most, whatever the
  // file's size. A page that copied the file would hold 4 GiB more.
  expect(peak - idle).toBeLessThan(fileBytes / 8);
});
