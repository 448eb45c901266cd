import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { testClip } from './support/clips.ts';
import { chooseFile, expectDescribed, open, setControls, waitForRunEnd } from './support/dashboard.ts';
import { playToEnd } from './support/video.ts';

// The encoder streams fragmented MP4 (no faststart rewrite): the page must still play each
// segment, and Download all must give a zip another program reads back intact.
test('streamed segments play to their end in the page; Download all gives a zip that Python reads with valid CRCs', async ({ page }) => {
  const clip = await testClip('output', { width: 640, height: 360, fps: 30, seconds: 2 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'output-640x360-30-2.mp4', '640×360');
  await setControls(page, { mode: 'pooled', pacing: 'max', switching: 'every', everyN: 20 });
  await page.getByTestId('start').click();
  expect(await waitForRunEnd(page)).toContain('done');
  const rows = page.getByTestId('segments').locator('tr');
  await expect(rows).toHaveCount(3);

  const href = await rows.nth(1).getByTestId('segment-download').getAttribute('href');
  const played = await playToEnd(page, href);
  const width = Number(await rows.nth(1).getAttribute('data-width'));
  const height = Number(await rows.nth(1).getAttribute('data-height'));
  expect(played).toEqual({ width, height, reachedEnd: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-all').click()]);
  const path = test.info().outputPath('segments.zip');
  await download.saveAs(path);
  // An independent reader: Python's zipfile checks every entry's CRC-32 (testzip).
  const listing = execFileSync('python3', ['-c', [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'bad = z.testzip()',
    'print(bad or "ok")',
    'for i in z.infolist(): print(i.filename, i.file_size)',
  ].join('\n'), path], { encoding: 'utf8' }).trim().split('\n');
  expect(listing[0]).toBe('ok');
  expect(listing.slice(1)).toHaveLength(3);
  for (const line of listing.slice(1)) expect(line).toMatch(/^run-1\/segment-\d{4}-\d+x\d+\.mp4 [1-9]\d*$/);
});
