import { I420Scaler } from './bilinear-i420.ts';
import { WasmSimdI420Scaler, wasmSimdAvailable } from './simd/wasm-simd-i420.ts';

export { wasmSimdSupported, wasmSimdMemoryBytes } from './simd/wasm-simd-i420.ts';

/** Which scaler implementation runs. */
export type ScalerKind = 'wasm-simd' | 'typescript';

/** What the scale stage needs of a scaler: one source size → one target size, per frame. */
export interface FrameScaler {
  readonly kind: ScalerKind;
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly dstWidth: number;
  readonly dstHeight: number;
  /** Target size == source size: `scale` is one copy of the whole frame (the scale stage passes such frames along instead). */
  readonly identity: boolean;
  /** Resizes `src` (I420, source size) into `dst` (I420, target size); allocates nothing. */
  scale(src: Uint8Array, dst: Uint8Array): void;
}

/**
 * The scaler that runs in this thread: the WASM SIMD kernel where the engine has WASM SIMD
 * (and the kernel instantiates), else the TypeScript one. Same answer in every thread of a
 * page, so the main thread may ask on behalf of the scale worker.
 */
export function scalerKind(): ScalerKind {
  return wasmSimdAvailable() ? 'wasm-simd' : 'typescript';
}

/** A bilinear I420 scaler of the best kind here (`prefer` forces the TypeScript one). */
export function createI420Scaler(
  srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number,
  prefer: ScalerKind = 'wasm-simd',
): FrameScaler {
  if (prefer === 'wasm-simd' && wasmSimdAvailable()) return new WasmSimdI420Scaler(srcWidth, srcHeight, dstWidth, dstHeight);
  return new I420Scaler(srcWidth, srcHeight, dstWidth, dstHeight);
}
