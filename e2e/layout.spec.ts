import { expect, test } from '@playwright/test';
import { open } from './support/dashboard.ts';

/** Each live chart's plot area (uPlot's .u-over), CSS px. */
function plotSizes(page: import('@playwright/test').Page): Promise<Record<string, { width: number; height: number }>> {
  return page.locator('figure.chart').evaluateAll((figures) => Object.fromEntries(figures.map((f) => {
    const over = f.querySelector('.u-over')!.getBoundingClientRect();
    return [(f as HTMLElement).dataset.chart, { width: over.width, height: over.height }];
  })));
}

// The memory chart's bytes axis was given `side: undefined`, which uPlot takes for a horizontal
// axis: 84 px of the chart's height went to an empty band under the plot, at every width.
// The reuse chart has the same axes (time below, one each side); the latency chart has none
// until it has data (log scale).
for (const width of [400, 1280]) {
  test(`at ${width} px the memory chart's plot is as tall as the buffer reuse chart's (no blank band under it), and the page does not scroll sideways`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await open(page);
    const sizes = await plotSizes(page);
    expect(sizes.memory!.height).toBeGreaterThan(100);
    expect(Math.abs(sizes.memory!.height - sizes.reuse!.height)).toBeLessThanOrEqual(2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
  });
}
