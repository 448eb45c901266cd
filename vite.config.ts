import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vite';

/** The commit the app is built from, recorded in every saved report ('unknown' without git). */
function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

// SharedArrayBuffer and shared WebAssembly.Memory need a cross-origin isolated page.
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Content-Security-Policy: the app's own origin only. Plus what the codec and the page need:
 * 'wasm-unsafe-eval' to compile ffmpeg.wasm, and blob: media for playing encoded segments
 * (their download links are blob: URLs too, which CSP does not govern). Workers are the
 * app's own files. Nothing may be sent anywhere else (connect-src 'self'), so the
 * user's file cannot leave the machine even by a bug. The dev server also needs inline
 * styles: Vite's client injects CSS as <style> elements there (the build links CSS files).
 */
export function contentSecurityPolicy(server: 'dev' | 'preview'): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "connect-src 'self'",
    `style-src 'self'${server === 'dev' ? " 'unsafe-inline'" : ''}`,
    "img-src 'self'",
    "media-src 'self' blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export default defineConfig({
  define: { __APP_COMMIT__: JSON.stringify(gitCommit()) },
  server: { headers: { ...isolationHeaders, 'Content-Security-Policy': contentSecurityPolicy('dev') } },
  preview: { headers: { ...isolationHeaders, 'Content-Security-Policy': contentSecurityPolicy('preview') } },
  worker: { format: 'es' },
  build: { target: 'es2022', assetsInlineLimit: 0 },
  optimizeDeps: { exclude: ['@ffmpeg/core'] },
});
