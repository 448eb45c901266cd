import { expect, test } from '@playwright/test';
import { testClip } from './support/clips.ts';
import { chooseFile, expectDescribed, open, setControls, waitForCompareEnd } from './support/dashboard.ts';

test('the page is cross-origin isolated and can create shared memory', async ({ page }) => {
  await page.goto('/');
  const facts = await page.evaluate(() => ({
    isolated: crossOriginIsolated,
    sharedMemory: new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }).buffer instanceof SharedArrayBuffer,
  }));
  expect(facts).toEqual({ isolated: true, sharedMemory: true });
});

// Issue 15: this test passed whether or not the listener could see the workers' requests.
// It now also requires, from the same listener, requests only a worker makes: each worker's
// script, the codec glue the codec workers import, and the codec's wasm, which the compiler
// worker fetches.
test('during a Compare the page and its workers request nothing outside the origin, and the listener saw the workers\' own requests', async ({ page, baseURL }) => {
  test.setTimeout(200_000);
  const requested: string[] = [];
  const workers: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('worker', (worker) => workers.push(worker.url()));
  const clip = await testClip('clip', { width: 640, height: 360, fps: 30, seconds: 3 });
  await open(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await chooseFile(page, clip);
  await expectDescribed(page, 'clip-640x360-30-3.mp4', '640×360');
  await setControls(page, { pacing: 'max', switching: 'every', everyN: 20, rounds: 1 });
  await page.getByTestId('compare').click();
  expect(await waitForCompareEnd(page)).toMatch(/^Compare 1 done: /);
  await page.screenshot({ path: test.info().outputPath('dashboard-compare.png'), fullPage: true });

  const foreign = requested.filter((url) => !url.startsWith(baseURL!) && !url.startsWith('blob:') && !url.startsWith('data:'));
  expect(foreign).toEqual([]);
  const workerKinds = new Set(workers.map((url) => /\/assets\/([\w-]+)\.worker-[\w-]+\.js$/.exec(url)?.[1] ?? url));
  expect(workerKinds).toEqual(new Set(['codec-compiler', 'decode', 'scale', 'encode']));
  for (const url of workers) expect(requested).toContain(url);
  expect(requested.filter((url) => /\/assets\/ffmpeg-core-[\w-]+\.js$/.test(url))).not.toEqual([]);
  expect(requested.filter((url) => /\/assets\/ffmpeg-core-[\w-]+\.wasm$/.test(url))).not.toEqual([]);
});
