import { compileCodecModule, loadCodecCoreInWorker } from '../src/codec/core-browser.ts';

/**
 * Compiles the 32 MB codec wasm off the main thread (compiling it there blocked the page for
 * ~70 ms), warms it, and posts the WebAssembly.Module back; the controller hands it to every
 * codec worker.
 *
 * Why warm it: V8 first runs wasm in its baseline tier and optimises the hot functions while
 * they run, per Module, so every worker given this Module shares that optimised code. A run
 * started on a cold Module spent its first second in slow x264 (the bench's realtime cases:
 * frames up to 150–300 ms late, a click's first bytes 190–310 ms, against ≤ 60 after it). A
 * short encode and decode of generated frames here, before the first run, takes that instead.
 */
const WARM_UP_ARGS = [
  ['-hide_banner', '-nostats', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-frames:v', '45',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-f', 'mp4', '/warm.mp4'],
  ['-hide_banner', '-nostats', '-i', '/warm.mp4', '-f', 'null', '-'],
];

async function warmUp(module: WebAssembly.Module): Promise<void> {
  const core = await loadCodecCoreInWorker(module);
  for (const args of WARM_UP_ARGS) core.exec(args);
}

self.onmessage = async (event: MessageEvent<{ wasmUrl: string }>) => {
  let module: WebAssembly.Module;
  try {
    module = await compileCodecModule(event.data.wasmUrl);
  } catch (error) {
    self.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
    return;
  }
  // The module first (describing a file needs no warm code), then the warm-up; runs wait for both.
  self.postMessage({ ok: true, module });
  // A failed warm-up costs only speed: the module is fine, the first run starts cold.
  await warmUp(module).catch(() => {});
  self.postMessage({ warmed: true }); // the host ends this worker: its instance and memory go with it
};
