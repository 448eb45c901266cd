import { statSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { formatBytes } from '../src/ui/format.ts';
import { notAVideo, testClip } from './support/clips.ts';
import { longMainThreadTasks } from './support/main-thread-tasks.ts';
import { chooseFile, debugState, dropFile, expectDescribed, open, reportValue, setControls, waitForRunEnd } from './support/dashboard.ts';

const small = { width: 640, height: 360, fps: 30, seconds: 3 };

test('the bundled sample runs end to end', async ({ page }) => {
  await open(page);
  await page.getByTestId('use-sample').click();
  await expect(page.getByTestId('file-info').locator('[data-field=codec]')).toContainText('h264', { timeout: 60_000 });
  // Regression: a long task outside any run made the note read "0 (longest 0.00 ms)".
  await page.evaluate(() => new Promise<void>((resolve) => setTimeout(() => { // a timer task: the Long Tasks API sees it
    for (const until = performance.now() + 120; performance.now() < until;);
    resolve();
  }, 0)));
  await expect(page.getByTestId('health')).toContainText('main-thread tasks over 50 ms during runs: none');
  await setControls(page, { pacing: 'max' });
  await page.getByTestId('start').click();
  const status = await waitForRunEnd(page);
  expect(status).toContain('done');
  await expect(page.getByTestId('segments').locator('tr')).not.toHaveCount(0);
  await expect(page.getByTestId('health')).not.toContainText('longest 0.00');
});

// Issue 15: this test dropped the same clip it had chosen, so a drop that did nothing passed.
// The dropped clip differs in name, size, resolution and frame count, and the second run must
// have used it.
test('file input then drop; pooled then unpooled: the dropped file replaces the chosen one, charts fill, allocations per frame differ', async ({ page }) => {
  const chosen = await testClip('clip', small);
  const dropped = await testClip('dropped', { width: 320, height: 240, fps: 25, seconds: 2 });
  const info = page.getByTestId('file-info');
  await open(page);

  await chooseFile(page, chosen);
  await expectDescribed(page, 'clip-640x360-30-3.mp4', '640×360');
  await expect(info.locator('[data-field=size]')).toHaveText(formatBytes(statSync(chosen).size));
  await expect(info.locator('[data-field=audio]')).toHaveText('none');
  await setControls(page, { mode: 'pooled', pacing: 'max' });
  await page.getByTestId('start').click();
  await expect(page.getByTestId('mode')).toBeDisabled();
  expect(await waitForRunEnd(page)).toContain(' done: 90 frames');

  await dropFile(page, dropped);
  await expectDescribed(page, 'dropped-320x240-25-2.mp4', '320×240');
  expect(formatBytes(statSync(dropped).size)).not.toBe(formatBytes(statSync(chosen).size));
  await expect(info.locator('[data-field=size]')).toHaveText(formatBytes(statSync(dropped).size));
  await expect(info.locator('[data-field=frame-rate]')).toHaveText('25.00 fps');
  await setControls(page, { mode: 'unpooled' });
  await page.getByTestId('start').click();
  expect(await waitForRunEnd(page)).toContain(' done: 50 frames');

  const state = await debugState(page);
  for (const chart of ['memory', 'latency', 'reuse', 'throughput']) expect(state.points[chart], chart).toBeGreaterThan(0);
  // Columns: run 1 (pooled, the chosen clip), run 2 (unpooled, the dropped one: 2 s at 25 fps).
  expect(await reportValue(page, 'frames', 0)).toBe(90);
  expect(await reportValue(page, 'frames', 1)).toBe(50);
  expect(await reportValue(page, 'allocationsPerFrameAfterWarmup', 0)).toBe(0);
  expect(await reportValue(page, 'allocationsPerFrameAfterWarmup', 1)).toBeGreaterThan(0);
});

// The page's own work per main-thread task, judged by the CPU time each task used. Its wall
// time is not the page's to give: on two cores a run's first second has the page, three or four
// workers starting their codecs, and V8's compile and GC threads all runnable, and a frame task
// that used 19 ms of CPU measured 154 ms on the wall clock (headless Chromium also runs this
// page's main thread at nice 5, a background tab's priority; a visible desktop tab runs at 0).
// The page shows the wall-clock count (main-thread tasks over 50 ms) to the user regardless.
test('the page stays responsive during a realtime run: no main-thread task uses 50 ms of CPU', async ({ page, browser }) => {
  const clip = await testClip('clip', small);
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'clip-640x360-30-3.mp4', '640×360');
  await setControls(page, { mode: 'unpooled', pacing: 'realtime', switching: 'manual' });
  await page.locator('[data-rung="240"]').click(); // a light encoder
  const long = await longMainThreadTasks(browser, page, async () => {
    await page.getByTestId('start').click();
    expect(await waitForRunEnd(page)).toContain('done');
  });
  const state = await debugState(page);
  console.log(`main-thread tasks over 50 ms of wall clock: ${JSON.stringify(long)} (the page's own count: longest ${state.longTaskMaxMs} ms)`);
  expect(state.redraws).toBeGreaterThan(8); // ≥ 4 chart updates a second over the 3 s run
  expect(long.every((t) => Number.isFinite(t.cpuMs)), 'the trace has thread times').toBe(true);
  expect(long.filter((t) => t.cpuMs >= 50)).toEqual([]);
});

test('a resolution button mid-run makes a new segment at that size that plays at that size', async ({ page }) => {
  const clip = await testClip('switch', { width: 640, height: 360, fps: 30, seconds: 5 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'switch-640x360-30-5.mp4', '640×360');
  await setControls(page, { mode: 'pooled', pacing: 'realtime', switching: 'manual' });
  await page.locator('[data-rung="360"]').click();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('progress-text')).toHaveText(/^([2-9]\d|\d{3,}) \//, { timeout: 60_000 });
  await page.screenshot({ path: test.info().outputPath('dashboard-mid-run.png'), fullPage: true });
  await page.keyboard.press('1'); // 240p by its shortcut
  expect(await waitForRunEnd(page)).toContain('done');

  const rows = page.getByTestId('segments').locator('tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute('data-height', '360');
  await expect(rows.nth(1)).toHaveAttribute('data-height', '240');
  const href = await rows.nth(1).getByTestId('segment-download').getAttribute('href');
  const size = await page.evaluate(async (url) => {
    const video = document.createElement('video');
    video.muted = true;
    video.src = url!;
    await new Promise((resolve, reject) => { video.onloadedmetadata = resolve; video.onerror = () => reject(new Error('video error')); });
    return { width: video.videoWidth, height: video.videoHeight };
  }, href);
  expect(size).toEqual({ width: 426, height: 240 });
});

test('a file that is not a video shows why in the page', async ({ page }) => {
  await open(page);
  await chooseFile(page, notAVideo());
  const error = page.getByTestId('error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('notes.mp4 cannot be used');
  await expect(page.getByTestId('start')).toBeDisabled();
});


test('a realtime run at a size the encoder cannot keep up with says how far behind realtime it is, live', async ({ page }) => {
  // Realtime follows the source's rate: 60 fps upscaled to 1080p asks x264 in WASM for about
  // twice what the fastest machine here managed (warm, 1080p: near 30 fps), so the run falls
  // behind on any of them (a 30 fps source kept up once the codec was warmed).
  const clip = await testClip('clip60', { ...small, fps: 60 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'clip60-640x360-60-3.mp4', '640×360');
  await setControls(page, { mode: 'pooled', pacing: 'realtime', switching: 'manual' });
  await page.locator('[data-rung="1080"]').click();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('progress-text')).toContainText(/· \d+(\.\d+)? (ms|s) behind realtime$/, { timeout: 30_000 });
  await expect(page.getByTestId('progress-text')).toHaveAttribute('title', /after its due time/);
  expect(await waitForRunEnd(page)).toContain('done');
});
