import { expect, test } from '@playwright/test';
import { segmentsOfZip } from './support/probe-output.ts';
import { testClip } from './support/clips.ts';
import { chooseFile, expectDescribed, open, setControls, tableText, waitForCompareEnd, waitForRunEnd } from './support/dashboard.ts';

const CASES = [
  { mode: 'pooled', encoderSwitch: 'new-encoder' },
  { mode: 'unpooled', encoderSwitch: 'new-encoder' },
  { mode: 'pooled', encoderSwitch: 'reconfigure' },
] as const;

for (const { mode, encoderSwitch } of CASES) {
  test(`WebCodecs, ${mode}, ${encoderSwitch} at a switch: a 60-frame clip switched every 20 frames gives 3 segments whose frames another decoder counts as all 60`, async ({ page }) => {
    const clip = await testClip('webcodecs', { width: 640, height: 360, fps: 30, seconds: 2 });
    await open(page);
    await chooseFile(page, clip);
    await expectDescribed(page, 'webcodecs-640x360-30-2.mp4', '640×360');
    await expect(page.locator('[data-backend="webcodecs"]')).toHaveAttribute('data-readable', 'yes', { timeout: 30_000 });
    await page.getByTestId('backend').selectOption('webcodecs');
    await page.getByTestId('encoder-switch').selectOption(encoderSwitch);
    await setControls(page, { mode, pacing: 'max', switching: 'every', everyN: 20 });
    await page.getByTestId('start').click();
    expect(await waitForRunEnd(page)).toContain('done');
    const rows = page.getByTestId('segments').locator('tr');
    await expect(rows).toHaveCount(3);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-all').click()]);
    const zip = test.info().outputPath('segments.zip');
    await download.saveAs(zip);
    const segments = await segmentsOfZip(zip);
    expect(segments.map((s) => s.frames)).toEqual([20, 20, 20]);
    for (const [i, s] of segments.entries()) {
      expect(s.name).toMatch(/^segment-\d{4}-\d+x\d+\.mp4$/);
      expect(`${s.width}x${s.height}`).toBe(s.name.match(/(\d+x\d+)\.mp4$/)![1]);
      expect(Number(await rows.nth(i).getAttribute('data-width'))).toBe(s.width);
    }
  });
}

test('Compare across backends puts ffmpeg.wasm and WebCodecs, pooled and unpooled, side by side in one table, each measured in every round', async ({ page }) => {
  const clip = await testClip('webcodecs-compare', { width: 640, height: 360, fps: 30, seconds: 1 });
  await open(page);
  await chooseFile(page, clip);
  await expect(page.locator('[data-backend="webcodecs"]')).toHaveAttribute('data-readable', 'yes', { timeout: 30_000 });
  await page.getByTestId('compare-across').selectOption('backends');
  await setControls(page, { pacing: 'max', switching: 'every', everyN: 10, rounds: 1 });
  await page.getByTestId('compare').click();
  expect(await waitForCompareEnd(page)).toMatch(/^Compare 1 done/);
  const header = (await tableText(page)).split('\n')[0]!;
  for (const column of ['ffmpeg.wasm pooled', 'ffmpeg.wasm unpooled', 'WebCodecs pooled', 'WebCodecs unpooled']) expect(header).toContain(column);
  // Every configuration encoded all 30 frames (cold run first, then one per configuration).
  const framesRow = (await tableText(page)).split('\n').find((row) => row.startsWith('frames'))!;
  expect(framesRow.split(' | ').slice(1, 6)).toEqual(['30', '30', '30', '30', '30']);
});

test('WebCodecs holding 16 decoded frames open: every frame still comes out, and the run says this decoder did not stall and that the held memory is native', async ({ page }) => {
  const clip = await testClip('webcodecs-hold', { width: 640, height: 360, fps: 30, seconds: 2 });
  await open(page);
  await chooseFile(page, clip);
  await expect(page.locator('[data-backend="webcodecs"]')).toHaveAttribute('data-readable', 'yes', { timeout: 30_000 });
  await page.getByTestId('backend').selectOption('webcodecs');
  await page.getByTestId('hold-frames').fill('16');
  await setControls(page, { mode: 'pooled', pacing: 'max', switching: 'manual' });
  await page.getByTestId('start').click();
  expect(await waitForRunEnd(page)).toContain('done: 60 frames');
  await expect(page.getByTestId('notice')).toContainText('held up to 16 decoded frames open and the browser\'s decoder did not stall');
  await expect(page.getByTestId('notice')).toContainText('native');
});
