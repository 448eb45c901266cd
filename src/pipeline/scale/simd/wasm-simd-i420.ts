import { i420Layout } from '../../../pool/frame-format.ts';
import { planeTaps, type PlaneTaps } from '../bilinear-i420.ts';
import { kernelBase64 } from './kernel-binary.mjs';

/**
 * The WASM SIMD bilinear I420 scaler: our AssemblyScript kernel (scale-kernel.as, v128 ops),
 * output bit-identical to the TypeScript reference (same taps, same fixed-point sums).
 *
 * Memory strategy: the kernel runs in its own small, non-shared linear memory, one instance
 * per thread; a frame is copied in, scaled there and copied out (two memcpys, about a third
 * of the time of a 720p → 480p frame). The frames themselves may live anywhere (pool slots
 * in the shared arena, fresh ArrayBuffers in unpooled mode); the kernel never writes outside
 * memory it owns, so a bug in it cannot corrupt the arena. Working in place would need the
 * kernel to import the arena's memory and the arena to set aside a scratch block for its
 * tables and rows (src/pool is not the scaler's to carve).
 *
 * Layout of the kernel's memory (byte offsets, 64-aligned; one writer: this thread):
 * ```
 * [0, heapBase)            the module's static data (none today)
 * [heapBase, tableEnd)     tap tables of every scaler made in this thread, bump-allocated,
 *                          never freed (a few KiB per size pair; a run sees a handful)
 * [frameBase, …)           per call: source frame + 64 B pad | target frame + 64 B pad |
 *                          one scratch row of vertical sums (i16, whole 16-sample groups
 *                          of the source width, + 64 B pad)
 * ```
 * The pads absorb the kernel's whole-vector reads and writes (16 B) past a row's end.
 */

const ALIGN = 64;
const PAD = 64;
/** Bytes of one horizontal block record (see scale-kernel.as). */
const BLOCK = 128;

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  scalePlane(
    src: number, srcStride: number, dst: number, dstWidth: number, dstHeight: number,
    rows: number, table: number, blocks: number, v: number,
  ): void;
  heapBase(): number;
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** Browsers, workers and Node ≥ 16 all have atob. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// The smallest module using a v128 op (i32x4.splat): validates only where WASM SIMD exists.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () → v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // body: i32.const 0; i32x4.splat; end
]);

let simdSupported: boolean | undefined;

/** Whether this engine runs WASM SIMD (fixed-width v128), by validating a tiny module. */
export function wasmSimdSupported(): boolean {
  simdSupported ??= typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  return simdSupported;
}

/** The kernel of this thread: its instance and the bump pointer of its table region. */
class Kernel {
  readonly exports: KernelExports;
  private tableEnd: number;
  private u8: Uint8Array<ArrayBuffer>;

  constructor(exports: KernelExports) {
    this.exports = exports;
    this.tableEnd = align(exports.heapBase());
    this.u8 = new Uint8Array(exports.memory.buffer);
  }

  get frameBase(): number {
    return align(this.tableEnd);
  }

  /** Bytes of memory now (it only grows). */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Makes sure [0, end) exists; returns the current byte view (a new one after a grow). */
  reach(end: number): Uint8Array<ArrayBuffer> {
    const memory = this.exports.memory;
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    if (this.u8.buffer !== memory.buffer) this.u8 = new Uint8Array(memory.buffer);
    return this.u8;
  }

  /** Carves `bytes` from the table region (moves the frame area up). */
  allocTable(bytes: number): number {
    const at = this.tableEnd;
    this.tableEnd = align(at + bytes);
    this.reach(this.tableEnd);
    return at;
  }
}

let kernel: Kernel | null | undefined;
let kernelError: unknown;

/** This thread's kernel, instantiated on first use; null where SIMD is missing or it failed. */
function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  if (!wasmSimdSupported()) return kernel;
  try {
    // Synchronous: the module is about 1.6 KiB (Chromium allows sync compiles up to 4 KiB
    // even on the main thread), and a scaler is made inside the stage's synchronous loop.
    // Inline bytes, not a URL: nothing to resolve in dev, build, vitest or worker_threads.
    const module = new WebAssembly.Module(decodeBase64(kernelBase64));
    const instance = new WebAssembly.Instance(module, {});
    kernel = new Kernel(instance.exports as unknown as KernelExports);
    // Once per thread: DevTools timelines (and tests of the built app) can see which scaler runs.
    performance.mark('scaler: wasm-simd kernel ready');
  } catch (error) {
    kernelError = error;
    console.warn('WASM SIMD scaler unavailable, using the TypeScript one:', error);
  }
  return kernel;
}

/** Whether the SIMD kernel runs in this thread (instantiates it on first call). */
export function wasmSimdAvailable(): boolean {
  return loadKernel() !== null;
}

/** Bytes of this thread's kernel memory (0 before the first WASM scaler is made). */
export function wasmSimdMemoryBytes(): number {
  return kernel ? kernel.memoryBytes : 0;
}

interface PlanePlan {
  srcOffset: number; srcStride: number;
  dstOffset: number; dstWidth: number; dstHeight: number;
  rows: number; table: number; blocks: number;
}

/** Writes one plane's row triples and horizontal block records into the kernel's memory. */
function planPlane(k: Kernel, taps: PlaneTaps, srcOffset: number, srcStride: number, dstOffset: number, dstWidth: number, dstHeight: number): PlanePlan {
  const blocks = 2 * Math.ceil(dstWidth / 16);
  const rows = k.allocTable(dstHeight * 12);
  const table = k.allocTable(blocks * BLOCK);
  const buffer = k.reach(table + blocks * BLOCK).buffer;
  const rowWords = new Int32Array(buffer, rows, dstHeight * 3);
  for (let y = 0; y < dstHeight; y++) {
    rowWords[3 * y] = taps.y0[y]!;
    rowWords[3 * y + 1] = taps.y1[y]!;
    rowWords[3 * y + 2] = taps.fy[y]!;
  }
  // Little-endian views of the records (WebAssembly memory is little-endian, as are the
  // platforms that run it). BLOCK is a multiple of 4, so every record stays aligned.
  const i32 = new Int32Array(buffer, table, (blocks * BLOCK) / 4);
  const u8 = new Uint8Array(buffer, table, blocks * BLOCK);
  const i16 = new Int16Array(buffer, table, (blocks * BLOCK) / 2);
  const u16 = new Uint16Array(buffer, table, (blocks * BLOCK) / 2);
  const last = dstWidth - 1;
  // Lanes past the row's end repeat its last tap (their bytes land past the row, and the
  // next row or the pad takes them).
  const lane = (b: number, k: number): number => Math.min(8 * b + k, last);
  for (let b = 0; b < blocks; b++) {
    const rec = b * BLOCK;
    const start0 = taps.x0[lane(b, 0)]!;
    const start1 = taps.x0[lane(b, 4)]!;
    // A window holds 8 i16 samples: outputs 0…3 from window 0, 4…7 from window 1.
    const fits = taps.x1[lane(b, 3)]! - start0 <= 7 && taps.x1[lane(b, 7)]! - start1 <= 7;
    i32[rec / 4] = fits ? 2 * start0 : -1;
    i32[rec / 4 + 1] = fits ? 2 * start1 : -1;
    for (let k = 0; k < 8; k++) {
      const x = lane(b, k);
      const x0 = taps.x0[x]!;
      const x1 = taps.x1[x]!;
      const wx = taps.fx[x]!;
      if (fits) {
        const start = k < 4 ? start0 : start1;
        const m = rec + 16 + 4 * k; // masks 0 and 1 are adjacent: lane k's four bytes
        u8[m] = 2 * (x0 - start);
        u8[m + 1] = 2 * (x0 - start) + 1;
        u8[m + 2] = 2 * (x1 - start);
        u8[m + 3] = 2 * (x1 - start) + 1;
      }
      i16[(rec + 48) / 2 + 2 * k] = 256 - wx;
      i16[(rec + 50) / 2 + 2 * k] = wx;
      u16[(rec + 80) / 2 + 2 * k] = x0;
      u16[(rec + 82) / 2 + 2 * k] = x1;
    }
  }
  return { srcOffset, srcStride, dstOffset, dstWidth, dstHeight, rows, table, blocks };
}

/**
 * An I420 scaler for one source size → one target size on the WASM SIMD kernel. Same
 * contract as the TypeScript I420Scaler: build it when the target changes (writes its
 * tables into the kernel's memory); `scale` allocates nothing on the JS heap.
 * Throws if the kernel is unavailable here: use `createI420Scaler` to fall back.
 */
export class WasmSimdI420Scaler {
  readonly kind = 'wasm-simd';
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly dstWidth: number;
  readonly dstHeight: number;
  readonly identity: boolean;
  private readonly kernel: Kernel;
  private readonly planes: readonly PlanePlan[];
  private readonly srcBytes: number;
  private readonly dstBytes: number;
  private readonly scratchBytes: number;
  // Views of the kernel's memory at the current frame area, remade only after it moves.
  private srcView: Uint8Array<ArrayBuffer> | null = null;
  private dstView: Uint8Array<ArrayBuffer> | null = null;
  private base = -1;

  constructor(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number) {
    const k = loadKernel();
    if (!k) throw new Error(`the WASM SIMD scaler is unavailable here${kernelError ? `: ${String(kernelError)}` : ' (no WASM SIMD)'}`);
    this.kernel = k;
    this.srcWidth = srcWidth;
    this.srcHeight = srcHeight;
    this.dstWidth = dstWidth;
    this.dstHeight = dstHeight;
    this.identity = srcWidth === dstWidth && srcHeight === dstHeight;
    const s = i420Layout(srcWidth, srcHeight);
    const d = i420Layout(dstWidth, dstHeight);
    this.srcBytes = s.byteLength;
    this.dstBytes = d.byteLength;
    if (this.identity) {
      this.planes = [];
      this.scratchBytes = 0;
      return;
    }
    const luma = planeTaps(srcWidth, srcHeight, dstWidth, dstHeight);
    const chroma = planeTaps(s.uvWidth, s.uvHeight, d.uvWidth, d.uvHeight);
    this.planes = [
      planPlane(k, luma, s.offsets.y, srcWidth, d.offsets.y, dstWidth, dstHeight),
      planPlane(k, chroma, s.offsets.u, s.uvWidth, d.offsets.u, d.uvWidth, d.uvHeight),
      planPlane(k, chroma, s.offsets.v, s.uvWidth, d.offsets.v, d.uvWidth, d.uvHeight),
    ];
    this.scratchBytes = align(32 * Math.ceil(srcWidth / 16) + PAD);
  }

  /** Resizes `src` (an I420 frame of the source size) into `dst` (one of the target size). */
  scale(src: Uint8Array, dst: Uint8Array): void {
    if (this.identity) {
      // Fast path: one copy of the whole frame, no kernel. Passing the slot itself along
      // (no copy at all) is the link's business, not the scaler's.
      dst.set(src.length === dst.length ? src : src.subarray(0, dst.length));
      return;
    }
    const k = this.kernel;
    const base = k.frameBase;
    const srcAt = base;
    const dstAt = srcAt + align(this.srcBytes + PAD);
    const scratch = dstAt + align(this.dstBytes + PAD);
    const memory = k.reach(scratch + this.scratchBytes);
    if (base !== this.base || this.srcView?.buffer !== memory.buffer) {
      this.base = base;
      this.srcView = new Uint8Array(memory.buffer, srcAt, this.srcBytes);
      this.dstView = new Uint8Array(memory.buffer, dstAt, this.dstBytes);
    }
    this.srcView!.set(src.length === this.srcBytes ? src : src.subarray(0, this.srcBytes));
    const e = k.exports;
    for (let i = 0; i < this.planes.length; i++) {
      const p = this.planes[i]!;
      e.scalePlane(srcAt + p.srcOffset, p.srcStride, dstAt + p.dstOffset, p.dstWidth, p.dstHeight, p.rows, p.table, p.blocks, scratch);
    }
    dst.set(this.dstView!);
  }
}
