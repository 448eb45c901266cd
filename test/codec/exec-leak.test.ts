import { expect, it } from 'vitest';
import { loadCore } from './helpers.ts';

// Regression: @ffmpeg/core 0.12.10 leaks 224 bytes of WASM stack per exec and traps with
// "memory access out of bounds" after ~147 encoder restarts (the resolution-switch crash).
it('1000 consecutive encodes in one core: no trap, stack pointer and WASM memory flat', async () => {
  const core = await loadCore();
  const args = ['-f', 'lavfi', '-i', 'testsrc2=size=16x16:rate=30', '-frames:v', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-f', 'mp4', '/leak.mp4'];
  for (let i = 0; i < 20; i++) expect(core.exec(args)).toBe(0); // warm-up: allocator settles
  const sp = core.stackPointer();
  const memory = core.wasmMemoryBytes();
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    const ret = core.exec(args);
    if (ret !== 0) throw new Error(`encode ${i} exited ${ret}: ${core.logTail().slice(-500)}`);
    if (core.stackPointer() !== sp) throw new Error(`stack pointer moved at encode ${i}: ${sp} → ${core.stackPointer()}`);
  }
  const ms = performance.now() - t0;
  expect(core.wasmMemoryBytes()).toBe(memory);
  expect(core.stackPointer()).toBe(sp);
  console.info(`1000 encodes: ${ms.toFixed(0)} ms, wasm memory ${memory} bytes, sp ${sp}`);
}, 120_000);
