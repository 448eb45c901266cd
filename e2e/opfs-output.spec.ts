import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { testClip } from './support/clips.ts';
import { chooseFile, expectDescribed, open, setControls, waitForRunEnd } from './support/dashboard.ts';
import { playToEnd } from './support/video.ts';

// Issue 13, output straight to disk: with *Keep output: on disk* a run's segments go to the
// origin-private file system (OPFS) as they are written and are read back from there.

/** Every listed segment's bytes, saved through its link as a user does (the page's CSP keeps fetch off blob: URLs). */
async function savedSegments(page: Page): Promise<Buffer[]> {
  const links = page.getByTestId('segments').getByTestId('segment-download');
  const out: Buffer[] = [];
  for (let i = 0; i < await links.count(); i++) {
    const [download] = await Promise.all([page.waitForEvent('download'), links.nth(i).click()]);
    out.push(readFileSync((await download.path())!));
  }
  return out;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** What OPFS holds under the app's output folder: run directory → file sizes. */
function opfsOutput(page: Page): Promise<Record<string, number[]>> {
  return page.evaluate(async () => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('framepool-output', { create: true });
    const out: Record<string, number[]> = {};
    for await (const [name, dir] of (root as unknown as AsyncIterable<[string, FileSystemDirectoryHandle]>)) {
      try {
        const sizes: number[] = [];
        for await (const [, file] of (dir as unknown as AsyncIterable<[string, FileSystemFileHandle]>)) sizes.push((await file.getFile()).size);
        out[name] = sizes;
      } catch (error) {
        if (!(error instanceof DOMException && error.name === 'NotFoundError')) throw error; // removed while listed: gone
      }
    }
    return out;
  });
}

async function runOnce(page: Page, keep: 'memory' | 'disk'): Promise<void> {
  await page.getByTestId('keep-output').selectOption(keep);
  await page.locator('[data-rung="360"]').click(); // the same start each time (the page starts where the last run ended)
  await page.getByTestId('start').click();
  expect(await waitForRunEnd(page)).toContain('done');
}

test('output kept on disk (OPFS) plays and downloads byte for byte as output kept in memory; clearing the list removes its files, and a page load removes what a closed page left but not a live tab\'s', async ({ page, context }) => {
  const clip = await testClip('opfs', { width: 640, height: 360, fps: 30, seconds: 2 });
  await open(page);
  await expect(page.getByTestId('keep-output')).toHaveValue('disk'); // the default where OPFS exists
  await chooseFile(page, clip);
  await expectDescribed(page, 'opfs-640x360-30-2.mp4', '640×360');
  await setControls(page, { mode: 'pooled', pacing: 'max', switching: 'every', everyN: 20 });
  const rows = page.getByTestId('segments').locator('tr');

  await runOnce(page, 'memory');
  await expect(rows).toHaveCount(3);
  await expect(rows.locator('[data-field=storage]')).toHaveText(['memory', 'memory', 'memory']);
  const inMemory = (await savedSegments(page)).map(sha256);
  expect(await opfsOutput(page)).toEqual({});

  await runOnce(page, 'disk');
  await expect(rows).toHaveCount(3);
  await expect(rows.locator('[data-field=storage]')).toHaveText(['disk', 'disk', 'disk']);
  // Saved through the page's links: the same bytes as the memory run's.
  const saved = await savedSegments(page);
  expect(saved.map(sha256)).toEqual(inMemory);
  const onDisk = await opfsOutput(page);
  expect(Object.values(onDisk)).toHaveLength(1); // one run directory…
  const bySize = (a: number, b: number) => a - b;
  expect(Object.values(onDisk)[0]!.sort(bySize)).toEqual(saved.map((b) => b.byteLength).sort(bySize)); // …holding the listed segments' bytes
  // And a segment plays to its end from OPFS.
  const href = await rows.nth(1).getByTestId('segment-download').getAttribute('href');
  const played = await playToEnd(page, href);
  expect(played).toEqual({ width: Number(await rows.nth(1).getAttribute('data-width')), height: Number(await rows.nth(1).getAttribute('data-height')), reachedEnd: true });

  // A new run clears the list: the disk run's files go with it.
  await runOnce(page, 'memory');
  await expect.poll(() => opfsOutput(page)).toEqual({});

  // Left by a page that closed (no lock held) vs. a live tab's run (its lock held in another page).
  const other = await context.newPage();
  await open(other);
  await other.evaluate(async () => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('framepool-output', { create: true });
    for (const name of ['run-closed', 'run-live']) {
      const file = await (await root.getDirectoryHandle(name, { create: true })).getFileHandle('segment-0000', { create: true });
      const w = await file.createWritable();
      await w.write(new Uint8Array(1000));
      await w.close();
    }
    void navigator.locks.request('framepool-output:run-live', () => new Promise(() => {})); // held while this tab lives
  });
  await page.reload();
  await expect.poll(() => opfsOutput(page)).toEqual({ 'run-live': [1000] });
  await other.close();
});

test('writing to OPFS fails mid-run (quota): the rest is kept in memory, every segment still saves byte for byte, and a notice says what happened and what to do', async ({ page }) => {
  // From the 6th chunk written on, every write to a file fails as a full disk does.
  await page.addInitScript(() => {
    const write = FileSystemWritableFileStream.prototype.write;
    let writes = 0;
    FileSystemWritableFileStream.prototype.write = function (this: FileSystemWritableFileStream, data: FileSystemWriteChunkType) {
      if (++writes > 5) return Promise.reject(new DOMException('the test filled the disk', 'QuotaExceededError'));
      return write.call(this, data);
    };
  });
  const clip = await testClip('opfs', { width: 640, height: 360, fps: 30, seconds: 2 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'opfs-640x360-30-2.mp4', '640×360');
  await setControls(page, { mode: 'pooled', pacing: 'max', switching: 'every', everyN: 20 });
  const rows = page.getByTestId('segments').locator('tr');
  await runOnce(page, 'memory');
  const inMemory = (await savedSegments(page)).map(sha256);

  await runOnce(page, 'disk');
  await expect(rows).toHaveCount(3);
  await expect(rows.locator('[data-field=storage]')).toHaveText(['memory', 'memory', 'memory']); // the first failed after 5 chunks
  expect((await savedSegments(page)).map(sha256)).toEqual(inMemory);
  await expect(page.getByTestId('notice')).toContainText("Writing this run's output to the browser's disk store (OPFS) failed (QuotaExceededError: the test filled the disk), so the segments from then on are kept in memory. Free disk space, or choose Keep output: in memory.");
});

/** The page's ArrayBuffer backing stores after a forced collection, bytes (DevTools Protocol). */
async function pageBuffers(page: Page, cdp: Awaited<ReturnType<ReturnType<Page['context']>['newCDPSession']>>): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = await cdp.send('Runtime.getHeapUsage') as { backingStorageSize?: number };
  if (typeof usage.backingStorageSize !== 'number') throw new Error('this Chromium does not report backingStorageSize');
  return usage.backingStorageSize;
}

/** Runs one 720p segment, sampling the page's buffers (collected) until it ends: the largest growth, and the segment's bytes. */
async function heldWhileRunning(page: Page, keep: 'memory' | 'disk'): Promise<{ grew: number; bytes: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await page.getByTestId('keep-output').selectOption(keep);
  const base = await pageBuffers(page, cdp);
  await page.getByTestId('start').click();
  let grew = 0;
  const segments = page.getByTestId('segments').locator('tr');
  while (await segments.count() === 0) {
    grew = Math.max(grew, (await pageBuffers(page, cdp)) - base);
    await page.waitForTimeout(250);
  }
  expect(await waitForRunEnd(page)).toContain('done');
  await expect(segments).toHaveCount(1);
  const bytes = (await savedSegments(page))[0]!.byteLength;
  await cdp.detach();
  return { grew, bytes };
}

test('a long one-segment run with output on disk: the page\'s buffers never hold a quarter of the segment; kept in memory they hold most of it', async ({ page }) => {
  test.setTimeout(300_000);
  const clip = await testClip('opfs-heap', { width: 1280, height: 720, fps: 30, seconds: 8 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'opfs-heap-1280x720-30-8.mp4', '1280×720');
  await setControls(page, { mode: 'pooled', pacing: 'max', switching: 'manual' });
  await page.locator('[data-rung="720"]').click(); // start at 720p: about 3 MB of output
  const memory = await heldWhileRunning(page, 'memory');
  const disk = await heldWhileRunning(page, 'disk');
  console.log(`page buffers grew by at most ${(memory.grew / 1e6).toFixed(2)} MB in memory, ${(disk.grew / 1e6).toFixed(2)} MB on disk; the segment is ${(disk.bytes / 1e6).toFixed(2)} MB`);
  expect(memory.bytes).toBe(disk.bytes);
  expect(memory.grew).toBeGreaterThan(memory.bytes / 2); // the measurement sees a held segment
  expect(disk.grew).toBeLessThan(disk.bytes / 4);
});
