import { expect, test } from '@playwright/test';

test('the page is cross-origin isolated and can create shared memory', async ({ page }) => {
  await page.goto('/');
  const facts = await page.evaluate(() => ({
    isolated: crossOriginIsolated,
    sharedMemory: new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }).buffer instanceof SharedArrayBuffer,
  }));
  expect(facts).toEqual({ isolated: true, sharedMemory: true });
});
