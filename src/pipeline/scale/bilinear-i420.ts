import { i420Layout } from '../../pool/frame-format.ts';

/**
 * Bilinear resize of one 8-bit plane, fixed point (8 fractional bits per axis).
 * Sample centres are aligned (the `(x + 0.5) * ratio - 0.5` mapping swscale and GPUs use),
 * edges clamp. Allocation-free: the coefficient tables come from `PlaneTaps`, built once per
 * size pair.
 */
function resizePlane(
  src: Uint8Array, srcOffset: number, srcWidth: number,
  dst: Uint8Array, dstOffset: number, dstWidth: number, dstHeight: number,
  taps: PlaneTaps,
): void {
  const { x0, x1, fx, y0, y1, fy } = taps;
  for (let y = 0; y < dstHeight; y++) {
    const rowA = srcOffset + y0[y]! * srcWidth;
    const rowB = srcOffset + y1[y]! * srcWidth;
    const wy = fy[y]!;
    const wy0 = 256 - wy;
    let out = dstOffset + y * dstWidth;
    for (let x = 0; x < dstWidth; x++, out++) {
      const a = x0[x]!;
      const b = x1[x]!;
      const wx = fx[x]!;
      const wx0 = 256 - wx;
      const top = src[rowA + a]! * wx0 + src[rowA + b]! * wx;
      const bottom = src[rowB + a]! * wx0 + src[rowB + b]! * wx;
      dst[out] = (top * wy0 + bottom * wy + 32768) >> 16;
    }
  }
}

/** Precomputed source indices and weights for one plane's size pair. */
export interface PlaneTaps {
  x0: Int32Array; x1: Int32Array; fx: Int32Array;
  y0: Int32Array; y1: Int32Array; fy: Int32Array;
}

function axisTaps(srcSize: number, dstSize: number): { i0: Int32Array; i1: Int32Array; f: Int32Array } {
  const i0 = new Int32Array(dstSize);
  const i1 = new Int32Array(dstSize);
  const f = new Int32Array(dstSize);
  const ratio = srcSize / dstSize;
  for (let d = 0; d < dstSize; d++) {
    const pos = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), srcSize - 1);
    const base = Math.floor(pos);
    i0[d] = base;
    i1[d] = Math.min(base + 1, srcSize - 1);
    f[d] = Math.round((pos - base) * 256);
  }
  return { i0, i1, f };
}

/** Taps of one plane, shared by this scaler and the WASM SIMD one (so both map pixels alike). */
export function planeTaps(srcW: number, srcH: number, dstW: number, dstH: number): PlaneTaps {
  const h = axisTaps(srcW, dstW);
  const v = axisTaps(srcH, dstH);
  return { x0: h.i0, x1: h.i1, fx: h.f, y0: v.i0, y1: v.i1, fy: v.f };
}

/**
 * An I420 scaler for one source size → one target size. Build it when the target changes
 * (allocates its tables); `scale` itself allocates nothing, so it can run per frame.
 */
export class I420Scaler {
  readonly kind = 'typescript';
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly dstWidth: number;
  readonly dstHeight: number;
  private readonly lumaTaps: PlaneTaps;
  private readonly chromaTaps: PlaneTaps;
  private readonly src = { y: 0, u: 0, v: 0, uvWidth: 0 };
  private readonly dst = { y: 0, u: 0, v: 0, uvWidth: 0, uvHeight: 0 };
  readonly identity: boolean;

  constructor(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number) {
    this.srcWidth = srcWidth;
    this.srcHeight = srcHeight;
    this.dstWidth = dstWidth;
    this.dstHeight = dstHeight;
    const s = i420Layout(srcWidth, srcHeight);
    const d = i420Layout(dstWidth, dstHeight);
    this.src.y = s.offsets.y; this.src.u = s.offsets.u; this.src.v = s.offsets.v; this.src.uvWidth = s.uvWidth;
    this.dst.y = d.offsets.y; this.dst.u = d.offsets.u; this.dst.v = d.offsets.v;
    this.dst.uvWidth = d.uvWidth; this.dst.uvHeight = d.uvHeight;
    this.lumaTaps = planeTaps(srcWidth, srcHeight, dstWidth, dstHeight);
    this.chromaTaps = planeTaps(s.uvWidth, s.uvHeight, d.uvWidth, d.uvHeight);
    this.identity = srcWidth === dstWidth && srcHeight === dstHeight;
  }

  /** Resizes `src` (an I420 frame of the source size) into `dst` (one of the target size). */
  scale(src: Uint8Array, dst: Uint8Array): void {
    if (this.identity) {
      dst.set(src.length === dst.length ? src : src.subarray(0, dst.length));
      return;
    }
    const s = this.src;
    const d = this.dst;
    resizePlane(src, s.y, this.srcWidth, dst, d.y, this.dstWidth, this.dstHeight, this.lumaTaps);
    resizePlane(src, s.u, s.uvWidth, dst, d.u, d.uvWidth, d.uvHeight, this.chromaTaps);
    resizePlane(src, s.v, s.uvWidth, dst, d.v, d.uvWidth, d.uvHeight, this.chromaTaps);
  }
}
