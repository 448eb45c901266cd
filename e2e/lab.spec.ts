/**
 * Opened without the lab (here: the production build on `vite preview`), the memory panel
 * says which series need the lab and how to start it, and the rest of the app works as usual.
 * With the lab, test/lab/probe.test.ts checks the feed and the probe.
 */
import { expect, test } from '@playwright/test';
import { open } from './support/dashboard.ts';

test('without the lab the memory panel names the series that need it and says how to start it', async ({ page }) => {
  const feed = page.waitForResponse((r) => r.url().endsWith('/__lab/memory/status'));
  await open(page);
  // No feed route: a 404, or (vite preview) the page's HTML as the SPA fallback; never JSON.
  const status = await feed;
  expect(status.status() === 404 || !(status.headers()['content-type'] ?? '').includes('json')).toBe(true);
  const panel = page.getByTestId('lab-memory');
  await expect(panel).toHaveAttribute('data-state', 'absent');
  const missing = page.getByTestId('lab-memory-missing');
  await expect(missing).toContainText("each worker's JS heap (used / total) and ArrayBuffer backing stores");
  await expect(missing).toContainText('RSS, PSS');
  await expect(missing.locator('code')).toHaveText('npm run lab');
  await expect(page.getByTestId('error')).toBeHidden();
  await expect(page.getByTestId('charts')).toBeVisible();
});
