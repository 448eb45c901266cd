/**
 * A worker that dies ends the run within a second, in Chromium, for every stage, including a
 * death nobody reports: the 'close' fault makes the stage's worker call close() inside its
 * per-frame callback and send nothing more, so no error event and no reply reach the page.
 * Only the worker's life lock (src/pipeline/worker-life.ts) tells. And the other way round: a
 * worker blocked for seconds in one call (as in an encoder's start or flush) is not dead.
 *
 * The dashboard has no fault control, so this file builds a small page (e2e/worker-death/)
 * that runs the product's PipelineRun on the browser host, served like the app (same headers).
 */
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { HarnessOptions, HarnessResult } from './worker-death/harness.ts';
import { testClip } from './support/clips.ts';
import { serveHarnessPage } from './support/harness-page.ts';

const harness = serveHarnessPage(join(import.meta.dirname, 'worker-death'));

async function openHarness(page: Page): Promise<void> {
  await page.goto(harness.origin);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // 300 frames: a run that is not ended by the fault goes on for several seconds.
  await page.locator('#file').setInputFiles(await testClip('clip', { width: 640, height: 360, fps: 30, seconds: 10 }));
}

function runWithFault(page: Page, options: HarnessOptions): Promise<HarnessResult> {
  return page.evaluate((o) => (window as unknown as { runWithFault(o: HarnessOptions): Promise<HarnessResult> }).runWithFault(o), options);
}

for (const stage of ['decode', 'scale', 'encode'] as const) {
  test(`the ${stage} worker closing itself mid-run, unannounced, fails the run within a second naming it`, async ({ page }) => {
    await openHarness(page);
    const result = await runWithFault(page, { fault: { stage, frameIndex: 45, kind: 'close' } });
    console.log(`${stage} closed itself after ${result.frames} frames: its last frame → worker reported gone ${result.quietToExitMs?.toFixed(0)} ms → run failed ${result.quietToEndMs.toFixed(0)} ms`);
    expect(result.phase).toBe('failed');
    expect(result.failure).toEqual({
      stage,
      message: `the ${stage} worker stopped unexpectedly (it ended without reporting an error), so the run was ended. Segments finished before it are kept; start again to continue.`,
    });
    // Without the lock this is the watchdog's 5 s; with it, a few ms plus the neighbours' wind-down.
    expect(result.quietToEndMs).toBeLessThan(1000);
    expect(result.segments).toBeGreaterThanOrEqual(3); // frames 0..39 made whole segments before the fault
    expect(result.liveWorkersAfter).toBe(0);
  });
}

test('an encoder blocked for 3 s inside one codec call is not taken for dead; Stop then ends the run within a second', async ({ page }) => {
  await openHarness(page);
  // The stall fault blocks the encoder inside exec, deaf to everything, as a very long encoder
  // start or flush would; the watchdog is set far off so only a false death could end the run.
  const result = await runWithFault(page, { fault: { stage: 'encode', frameIndex: 45, kind: 'stall' }, stallTimeoutMs: 30_000, stopWhenQuietMs: 3000 });
  console.log(`encoder blocked: still ${result.phaseAtStop} after 3 s; stop → end ${result.stopToEndMs?.toFixed(0)} ms`);
  expect(result.quietToExitMs).toBeNull(); // the host never reported the encode worker gone
  expect(result.phaseAtStop).toBe('running');
  expect(result.phase).toBe('done'); // stopped, not failed: no WorkerLost was recorded
  expect(result.failure).toBeNull();
  expect(result.stopToEndMs).toBeLessThan(1000);
  expect(result.liveWorkersAfter).toBe(0);
});
