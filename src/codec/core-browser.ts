/**
 * Browser loading: the main thread compiles the 32 MB wasm once and posts the
 * `WebAssembly.Module` to each codec worker, which instantiates it through Emscripten's
 * `instantiateWasm`. Emscripten's own wasm URL guessing (`locateFile`) is never used: it
 * worked on the dev server but fetched the HTML page in the production build.
 */
import { checkModuleFingerprint, loadCodecCore, type CodecCore } from './core.ts';

/** Compiles the core wasm at `wasmUrl` (main thread, once per page); checks it is the pinned build. */
export async function compileCodecModule(wasmUrl: string | URL): Promise<WebAssembly.Module> {
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`could not fetch the codec (${response.status} ${response.statusText}) from ${String(wasmUrl)}`);
  const type = response.headers.get('content-type') ?? '';
  const module = type.includes('application/wasm')
    ? await WebAssembly.compileStreaming(response)
    : await WebAssembly.compile(await response.arrayBuffer()); // servers without the wasm MIME type
  checkModuleFingerprint(module);
  return module;
}

/** In a worker: instantiates the core from a Module received by postMessage. */
export async function loadCodecCoreInWorker(module: WebAssembly.Module): Promise<CodecCore> {
  // Imported lazily so the main thread, which only compiles, does not bundle the 110 KB glue.
  const { default: createFFmpegCore } = await import('@ffmpeg/core');
  return loadCodecCore({ module, createCore: createFFmpegCore });
}
