/**
 * Node loader for tests and scripts: the same core, from the package's files.
 * The wasm is compiled once per process (per worker thread) and the Module cached.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CoreMismatchError,
  PINNED_CORE_VERSION,
  PINNED_WASM_BYTES,
  loadCodecCore,
  type CodecCore,
  type CreateFFmpegCore,
} from './core.ts';

const require = createRequire(import.meta.url);

/** Directory of the ESM build in `node_modules/@ffmpeg/core`. */
export function coreDistDir(): string {
  // The package's `exports` hides package.json from require.resolve; resolve the wasm entry.
  const wasmPath = require.resolve('@ffmpeg/core/wasm');
  return dirname(wasmPath);
}

function checkPackageVersion(distDir: string): void {
  const pkgPath = join(distDir, '..', '..', 'package.json');
  const pkg: unknown = JSON.parse(readFileSync(pkgPath, 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
  if (version !== PINNED_CORE_VERSION) {
    throw new CoreMismatchError(
      `@ffmpeg/core ${String(version)} is installed, but src/codec/core.ts is pinned to ${PINNED_CORE_VERSION}.`,
    );
  }
}

let modulePromise: Promise<WebAssembly.Module> | null = null;
let createPromise: Promise<CreateFFmpegCore> | null = null;

/** Timing of the most recent compile in this process (ms), for reports. */
export let lastCompileMs = 0;

/** The compiled core wasm, compiled at most once per process. */
export function compiledCoreModuleInNode(): Promise<WebAssembly.Module> {
  if (!modulePromise) {
    const dist = coreDistDir();
    checkPackageVersion(dist);
    const bytes = readFileSync(join(dist, 'ffmpeg-core.wasm'));
    if (bytes.byteLength !== PINNED_WASM_BYTES) {
      throw new CoreMismatchError(
        `ffmpeg-core.wasm is ${bytes.byteLength} bytes, expected ${PINNED_WASM_BYTES} (@ffmpeg/core ${PINNED_CORE_VERSION}).`,
      );
    }
    const t0 = performance.now();
    modulePromise = WebAssembly.compile(bytes).then((m) => {
      lastCompileMs = performance.now() - t0;
      return m;
    });
  }
  return modulePromise;
}

/** Imports the core's ESM glue after providing the browser-worker globals it expects. */
export function importCreateCoreInNode(): Promise<CreateFFmpegCore> {
  if (!createPromise) {
    const g = globalThis as { self?: unknown; location?: unknown };
    // The glue is built for web workers: it reads `self` and `location` at import time.
    g.self ??= globalThis;
    g.location ??= { href: 'file:///' };
    const url = pathToFileURL(join(coreDistDir(), 'ffmpeg-core.js')).href;
    createPromise = import(/* @vite-ignore */ url).then((m: { default: CreateFFmpegCore }) => m.default);
  }
  return createPromise;
}

/** Loads a fresh core instance in Node (compiles the wasm on first use only). */
export async function loadCodecCoreInNode(options: { module?: WebAssembly.Module; skipSelfTest?: boolean } = {}): Promise<CodecCore> {
  const [module, createCore] = await Promise.all([
    options.module ? Promise.resolve(options.module) : compiledCoreModuleInNode(),
    importCreateCoreInNode(),
  ]);
  return loadCodecCore({ module, createCore, skipSelfTest: options.skipSelfTest ?? false });
}
