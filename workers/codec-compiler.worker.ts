import { compileCodecModule } from '../src/codec/core-browser.ts';

/**
 * Compiles the 32 MB codec wasm off the main thread (compiling it there blocked the page for
 * ~70 ms) and posts the WebAssembly.Module back; the controller hands it to every codec worker.
 */
self.onmessage = async (event: MessageEvent<{ wasmUrl: string }>) => {
  try {
    self.postMessage({ ok: true, module: await compileCodecModule(event.data.wasmUrl) });
  } catch (error) {
    self.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
};
