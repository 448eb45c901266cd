import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { testClip } from './support/clips.ts';
import { chooseFile, debugState, expectDescribed, open, setControls, tableText, waitForCompareEnd } from './support/dashboard.ts';

// Three runs of the 10 s 720p sample (cold, pooled, unpooled) take 1–3 minutes on 2 busy cores.
test('Compare on the sample: cold run first, one schedule for every run, a verdict per row', async ({ page }) => {
  test.setTimeout(300_000);
  await open(page);
  await page.getByTestId('use-sample').click();
  await expectDescribed(page, 'sample.mp4', '1280×720');
  await setControls(page, { pacing: 'max', switching: 'every', everyN: 60, rounds: 1 });
  await expect(page.getByTestId('warmup-note')).toContainText('the first 30 frames of every run are an unmeasured lead-in');
  await page.getByTestId('compare').click();

  // While it runs: the ladder is off (a click would make the runs differ) and the status names the round.
  const ladderButton = page.locator('[data-rung="240"]');
  await expect(ladderButton).toBeDisabled();
  await expect(ladderButton).toHaveAttribute('title', /Off during Compare/);
  await expect(page.getByTestId('status')).toContainText('cold run (not counted): pooled');
  await expect(page.getByTestId('status')).toContainText('round 1 of 1: pooled (run 2 of 3)', { timeout: 150_000 });

  expect(await waitForCompareEnd(page)).toMatch(/^Compare 1 done: 1 round per mode after a cold run/);

  const state = await debugState(page);
  const runs = state.compare!.runs;
  expect(runs.map((r) => `${r.role} ${r.mode}`)).toEqual(['cold pooled', 'measured pooled', 'measured unpooled']);
  expect(runs.every((r) => r.phase === 'done')).toBe(true);
  // The same schedule replayed by frame index: every run switched the same number of times.
  expect(runs[0]!.switches).toBeGreaterThan(0);
  expect(new Set(runs.map((r) => r.switches)).size).toBe(1);
  expect(new Set(runs.map((r) => r.frames)).size).toBe(1);

  const table = page.getByTestId('report');
  await expect(table.locator('thead th')).toHaveText([/metric/, /cold run \(not counted\)/, /pooled/, /unpooled/, /verdict/]);
  const rows = table.locator('tbody tr');
  const rowCount = await rows.count();
  expect(rowCount).toBeGreaterThan(10);
  await expect(table.locator('tbody td[data-verdict]')).toHaveCount(rowCount);
  // Allocations differ by construction: pooled allocates nothing after warm-up.
  const alloc = table.locator('tr[data-key="allocationsPerFrameAfterWarmup"] td[data-verdict]');
  await expect(alloc).toHaveAttribute('data-verdict', 'construction');
  await expect(alloc).toHaveAttribute('data-best', 'pooled');
  await expect(alloc).toHaveText('lower by construction: pooled');
  // Every verdict is one of the four, and a "real" one names a mode.
  for (const v of await table.locator('td[data-verdict]').all()) {
    const kind = await v.getAttribute('data-verdict');
    expect(['real', 'noise', 'unsettled', 'construction', 'none']).toContain(kind);
    if (kind === 'real') expect(['pooled', 'unpooled']).toContain(await v.getAttribute('data-best'));
  }
  await expect(table.locator('tr[data-key="latencyP50"] th')).toContainText('decoded → taken by the encoder (after the first 30 frames)');
  await expect(page.locator('[data-rung="240"]')).toBeEnabled();
  // Regression: the ladder kept the last run's final size, so a second Compare started there
  // (another workload). It goes back to where Compare started.
  const started = state.compare!.setup.settings.startRung;
  expect(runs.length).toBeGreaterThan(0);
  await expect(page.locator(`[data-rung="${started}"]`)).toHaveAttribute('aria-pressed', 'true');
  // With no run going the size label no longer says "output now" (it disagreed with the pressed button).
  await expect(page.getByTestId('output-size')).toHaveText(new RegExp(`^last run ended at \\d+×\\d+; the next starts at ${started === 'native' ? 'native' : `${started}p`}$`));
  // The output list folds to one line per run; only the newest run's segments show until a line is unfolded.
  const output = page.getByTestId('segments');
  await expect(output.getByTestId('run-summary')).toHaveCount(3);
  const segmentsPerRun = runs[0]!.switches + 1;
  await expect(output.locator('tr:not(.run-summary):visible')).toHaveCount(segmentsPerRun);
  await expect(output.getByTestId('run-summary').first()).toContainText(`${segmentsPerRun} segments`);
  await output.getByTestId('run-toggle').first().click();
  await expect(output.locator('tr:not(.run-summary):visible')).toHaveCount(2 * segmentsPerRun);
  await expect(output.getByTestId('run-toggle').first()).toHaveAttribute('aria-expanded', 'true');
  await output.getByTestId('run-summary').first().locator('td').first().click(); // the line itself folds it again (narrow screens)
  await expect(output.locator('tr:not(.run-summary):visible')).toHaveCount(segmentsPerRun);
  await page.screenshot({ path: test.info().outputPath('compare-sample.png'), fullPage: true });
});

test('two rounds alternate the modes; a report saved, the page reloaded, the report loaded back: the same table, beside a new Compare', async ({ page }) => {
  test.setTimeout(300_000);
  const clip = await testClip('clip', { width: 640, height: 360, fps: 30, seconds: 3 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'clip-640x360-30-3.mp4', '640×360');
  await setControls(page, { pacing: 'max', switching: 'every', everyN: 20, rounds: 2 });
  await page.getByTestId('compare').click();
  expect(await waitForCompareEnd(page)).toMatch(/^Compare 1 done: 2 rounds per mode after a cold run/);
  const runs = (await debugState(page)).compare!.runs;
  expect(runs.map((r) => `${r.role} ${r.mode} ${r.round}`)).toEqual([
    'cold pooled 0', 'measured pooled 1', 'measured unpooled 1', 'measured unpooled 2', 'measured pooled 2',
  ]);
  expect(new Set(runs.map((r) => r.switches)).size).toBe(1);
  const before = await tableText(page);
  expect(before).toContain('cold run (not counted)');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const saved = test.info().outputPath('framepool-report.json');
  await download.saveAs(saved);
  const json = JSON.parse(readFileSync(saved, 'utf8')) as Record<string, unknown> & { environment: Record<string, unknown>; compare: Record<string, unknown> };
  expect(json['kind']).toBe('framepool-lab-report');
  expect(json['version']).toBe(2);
  expect(json.environment['browser']).toMatch(/Chrom/);
  expect(json.environment['cores']).toBeGreaterThan(0);
  expect(json.environment['crossOriginIsolated']).toBe(true);
  expect(json.environment['commit']).toMatch(/^([0-9a-f]{7,}|unknown)$/);
  expect(json.environment['scaler']).toBe('wasm-simd'); // Chromium has WASM SIMD: both modes scale with the same kernel
  expect(json.compare).toMatchObject({ rounds: 2, order: ['pooled', 'unpooled', 'unpooled', 'pooled'], coldRun: true, schedule: { kind: 'every', frames: 20 } });
  expect(String((json['warmup'] as Record<string, unknown>)['description'])).toContain('unmeasured lead-in');

  await page.reload();
  await expect(page.getByTestId('start')).toBeVisible();
  await page.getByTestId('load-report').setInputFiles(saved);
  await expect(page.getByTestId('report-meta')).toContainText('Loaded from framepool-report.json');
  expect(await tableText(page)).toBe(before);

  // A file that is not a report: a sentence in the error area, the loaded table stays.
  const wrong = test.info().outputPath('package.json');
  writeFileSync(wrong, JSON.stringify({ name: 'something else' }));
  await page.getByTestId('load-report').setInputFiles(wrong);
  await expect(page.getByTestId('error')).toContainText('package.json is not a FramePool Lab report');
  expect(await tableText(page)).toBe(before);

  // A new Compare afterwards, with the loaded one beside it.
  await chooseFile(page, clip);
  await expectDescribed(page, 'clip-640x360-30-3.mp4', '640×360');
  await setControls(page, { pacing: 'max', switching: 'every', everyN: 20, rounds: 1 });
  await page.getByTestId('compare').click();
  await waitForCompareEnd(page);
  await expect(page.getByTestId('result-set')).toHaveText(['loaded: framepool-report.json', 'Compare 1']);
  await page.getByTestId('beside-select').selectOption({ label: 'loaded: framepool-report.json' });
  expect(await tableText(page, 'report-beside')).toBe(before);
  expect(await tableText(page)).not.toBe(before);
});

test('Stop during a Compare: it ends at once, the stopped run is left out of the table', async ({ page }) => {
  const clip = await testClip('clip', { width: 640, height: 360, fps: 30, seconds: 3 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'clip-640x360-30-3.mp4', '640×360');
  await setControls(page, { pacing: 'realtime', switching: 'manual', rounds: 3 });
  await page.getByTestId('compare').click();
  await expect(page.getByTestId('compare-schedule')).toContainText('switches none: switching is manual and no single run on this file recorded clicks');
  await expect(page.getByTestId('status')).toContainText('round 1 of 3: unpooled (run 3 of 7)', { timeout: 100_000 });
  await page.getByTestId('stop').click();
  expect(await waitForCompareEnd(page, 30_000)).toMatch(/^Compare 1 stopped after 2 of 7 runs/);
  const runs = (await debugState(page)).compare!.runs;
  expect(runs.map((r) => `${r.role} ${r.mode}`)).toEqual(['cold pooled', 'measured pooled']);
  await expect(page.getByTestId('report').locator('thead th')).toHaveText([/metric/, /cold run/, /pooled/, /verdict/]);
});

test('manual switching: Compare replays the clicks of the last single run by frame index in every run, with no cold run on a warm page', async ({ page }) => {
  const clip = await testClip('switch', { width: 640, height: 360, fps: 30, seconds: 5 });
  await open(page);
  await chooseFile(page, clip);
  await expectDescribed(page, 'switch-640x360-30-5.mp4', '640×360');
  await setControls(page, { mode: 'pooled', pacing: 'realtime', switching: 'manual', rounds: 1 });
  await page.locator('[data-rung="360"]').click();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('progress-text')).toHaveText(/^([2-9]\d|\d{3,}) \//, { timeout: 60_000 });
  await page.keyboard.press('1'); // 240p
  await expect(page.getByTestId('status')).toHaveText(/ done: /, { timeout: 60_000 });
  await expect(page.getByTestId('start')).toBeEnabled();

  await setControls(page, { pacing: 'max' });
  await page.getByTestId('compare').click();
  await expect(page.getByTestId('compare-schedule')).toContainText('the 1 switch clicked in run 1, replayed by frame index');
  expect(await waitForCompareEnd(page)).toMatch(/^Compare 1 done: 1 round per mode in /);
  const state = await debugState(page);
  expect(state.compare!.setup.schedule.kind).toBe('recorded');
  expect(state.compare!.runs.map((r) => `${r.role} ${r.mode} ${r.switches}`)).toEqual(['measured pooled 1', 'measured unpooled 1']);
  await expect(page.getByTestId('report').locator('thead th')).toHaveText([/metric/, /pooled/, /unpooled/, /verdict/]);
});
