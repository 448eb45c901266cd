import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The bench page's own build (bench/page → bench/dist), so the product build is untouched.
// Same worker and target settings as vite.config.ts; the bench server sends COOP/COEP.
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./page'),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  worker: { format: 'es' },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // Two pages: the cases (index.html) and the pool handoff in dedicated workers (handoff.html).
    rollupOptions: { input: { index: here('./page/index.html'), handoff: here('./page/handoff.html') } },
  },
});
