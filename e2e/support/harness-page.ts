/**
 * A small test page of its own (a folder with index.html and a script that drives the
 * product's code), built and served like the app (vite.config.ts: same headers), for specs
 * that need what the dashboard has no control for. One server per spec file.
 */
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';

/** Builds and serves the page in `root` for the file's tests; returns its origin, known once beforeAll ran. */
export function serveHarnessPage(root: string): { readonly origin: string } {
  let server: PreviewServer | null = null;
  const page = { origin: '' };
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    const outDir = join(tmpdir(), `framepool-${basename(root)}-${process.pid}`);
    await build({ configFile: 'vite.config.ts', root, base: './', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({ configFile: 'vite.config.ts', root, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('the harness server has no local URL');
    page.origin = url;
  });
  test.afterAll(async () => {
    await server?.close();
  });
  return page;
}
