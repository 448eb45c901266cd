import { expect, test } from '@playwright/test';
import { testClip } from './support/clips.ts';
import { chooseFile, expectDescribed, open, setControls, waitForRunEnd } from './support/dashboard.ts';

// Issue 13 in the page: the 'Behind' choice reaches the run (block at max speed, drop only with
// realtime pacing), and the table shows drops with their rungs and the switch cost to the viewer.
test('drop late frames: the run says its bound, the table shows drops by rung, the switch cost into the encoder and to the viewer', async ({ page }) => {
  const clip = await testClip('clip', { width: 640, height: 360, fps: 30, seconds: 3 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'clip-640x360-30-3.mp4', '640×360');
  await setControls(page, { pacing: 'max', switching: 'every', everyN: 20 });
  await expect(page.getByTestId('live-policy')).toBeDisabled(); // max speed keeps every frame
  await setControls(page, { pacing: 'realtime' });
  await expect(page.getByTestId('live-policy')).toBeEnabled();
  await page.getByTestId('live-policy').selectOption('drop');
  await page.getByTestId('start').click();
  expect(await waitForRunEnd(page)).toContain('done');

  const report = page.getByTestId('report');
  await expect(report.locator('thead th').nth(1)).toContainText('drops frames over 100 ms late');
  // A count, then the rungs it happened at when there were any ("3 (240p: 2, 360p: 1)").
  await expect(report.locator('tr[data-key=dropped] td').first()).toHaveText(/^\d+( \((\d+p|native|other): \d+(, (\d+p|native|other): \d+)*\))?$/);
  const viewer = report.locator('tr[data-key=switchViewerP50]');
  await expect(viewer.locator('th')).toContainText('first encoded bytes of the new size');
  const toViewer = Number(await viewer.locator('td').first().getAttribute('data-value'));
  expect(toViewer).toBeGreaterThan(0);
  // Beside it, request → first new-size frame into the encoder: before the first bytes come out.
  const encoder = report.locator('tr[data-key=switchEncoderP50]');
  await expect(encoder.locator('th')).toContainText('first new-size frame taken by its encoder');
  const toEncoder = Number(await encoder.locator('td').first().getAttribute('data-value'));
  expect(toEncoder).toBeGreaterThan(0);
  expect(toEncoder).toBeLessThanOrEqual(toViewer);
});
