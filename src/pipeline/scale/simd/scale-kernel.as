// AssemblyScript source of the WASM SIMD bilinear plane scaler (built by build-kernel.mjs;
// the .as extension keeps the project's tsc away from it).
//
// Output is bit-identical to the TypeScript reference (bilinear-i420.ts), which computes
//   ((a·wx0 + b·wx)·wy0 + (c·wx0 + d·wx)·wy + 32768) >> 16.
// The same four products are summed here in the other order, vertical pass first:
//   V = a·wy0 + c·wy (0…65280, kept exact in 16 bits), then (V0·wx0 + V1·wx + 32768) >> 16.
// V is stored biased by −32768 as i16 so that the horizontal pass can use i32x4.dot_i16x8_s
// (signed) and add the bias back: Σ(V − 32768)·w = ΣV·w − 32768·256.
// Taps and weights come from the caller (JS builds them with the reference's own code).
//
// Memory: nothing here allocates. Every address is a byte offset the caller chose inside this
// module's own linear memory (see wasm-simd-i420.ts for the layout).

// Horizontal block record, BLOCK bytes, one per 8 output samples (two windows of 4):
//   +0  i32  window 0 start: byte offset of its first V sample in the row; −1: a tap does not
//            fit its 8-sample window (downscales past 2×), the whole block takes the scalar path
//   +4  i32  window 1 start
//   +16 u8×16 swizzle mask 0: bytes of [a0 b0 a1 b1 a2 b2 a3 b3] (i16 lanes) from window 0
//   +32 u8×16 swizzle mask 1: the same for outputs 4…7 from window 1
//   +48 i16×16 weights [wx0_0 wx_0 wx0_1 wx_1 … wx0_7 wx_7]  (wx0 = 256 − wx)
//   +80 u16×16 taps    [x0_0 x1_0 … x0_7 x1_7] (source columns, for the scalar path)
// @ts-ignore: decorator
@inline const BLOCK: usize = 128;
// @ts-ignore: decorator
@inline const BIAS: i32 = 32768 * 256 + 32768; // the V bias back, plus the rounding half

/** Outputs of one block: 8 samples (0…255) in the low bytes of 8 u16 lanes. */
// @ts-ignore: decorator
@inline function hblock(v: usize, rec: usize): v128 {
  const s0 = load<i32>(rec);
  let d0: v128;
  let d1: v128;
  if (s0 >= 0) {
    const p0 = i8x16.swizzle(v128.load(v + <usize>s0), v128.load(rec, 16));
    const p1 = i8x16.swizzle(v128.load(v + <usize>load<i32>(rec, 4)), v128.load(rec, 32));
    d0 = i32x4.dot_i16x8_s(p0, v128.load(rec, 48));
    d1 = i32x4.dot_i16x8_s(p1, v128.load(rec, 64));
  } else {
    d0 = i32x4.splat(0);
    d1 = i32x4.splat(0);
    d0 = i32x4.replace_lane(d0, 0, tap(v, rec, 0));
    d0 = i32x4.replace_lane(d0, 1, tap(v, rec, 1));
    d0 = i32x4.replace_lane(d0, 2, tap(v, rec, 2));
    d0 = i32x4.replace_lane(d0, 3, tap(v, rec, 3));
    d1 = i32x4.replace_lane(d1, 0, tap(v, rec, 4));
    d1 = i32x4.replace_lane(d1, 1, tap(v, rec, 5));
    d1 = i32x4.replace_lane(d1, 2, tap(v, rec, 6));
    d1 = i32x4.replace_lane(d1, 3, tap(v, rec, 7));
  }
  const bias = i32x4.splat(BIAS);
  return i16x8.narrow_i32x4_u(
    i32x4.shr_u(i32x4.add(d0, bias), 16),
    i32x4.shr_u(i32x4.add(d1, bias), 16),
  );
}

/** Scalar path of one output: (V0 − 32768)·wx0 + (V1 − 32768)·wx. */
function tap(v: usize, rec: usize, k: usize): i32 {
  const a = <i32>load<i16>(v + (<usize>load<u16>(rec + 80 + 4 * k) << 1));
  const b = <i32>load<i16>(v + (<usize>load<u16>(rec + 82 + 4 * k) << 1));
  return a * <i32>load<i16>(rec + 48 + 4 * k) + b * <i32>load<i16>(rec + 50 + 4 * k);
}

/**
 * One plane. `rows` holds (y0, y1, wy) as i32 triples per output row; `table` the
 * horizontal block records (blocks = 2·ceil(dstWidth / 16)); `v` a scratch row of
 * 16·ceil(srcWidth / 16) i16 plus 16 bytes. Reads and writes whole 16-byte groups: up to
 * 15 bytes past a source row's end and past each output row's end (the next row
 * overwrites those; the caller pads after the last plane).
 */
export function scalePlane(
  src: usize, srcWidth: i32,
  dst: usize, dstWidth: i32, dstHeight: i32,
  rows: usize, table: usize, blocks: i32,
  v: usize,
): void {
  const inGroups = (srcWidth + 15) >> 4;
  const outGroups = blocks >> 1;
  const flip = i16x8.splat(-32768);
  for (let y = 0; y < dstHeight; y++) {
    const r = rows + <usize>y * 12;
    let wy = load<i32>(r, 8);
    let top = src + <usize>load<i32>(r) * srcWidth;
    const bottom = src + <usize>load<i32>(r, 4) * srcWidth;
    if (wy == 256) { top = bottom; wy = 0; }
    // Vertical: V − 32768 for the whole source row.
    if (wy == 0) {
      for (let g = 0; g < inGroups; g++) {
        const a = v128.load(top + (<usize>g << 4));
        const o = v + (<usize>g << 5);
        v128.store(o, v128.xor(i16x8.shl(i16x8.extend_low_i8x16_u(a), 8), flip));
        v128.store(o, v128.xor(i16x8.shl(i16x8.extend_high_i8x16_u(a), 8), flip), 16);
      }
    } else {
      const w0 = i8x16.splat(<i8>(256 - wy));
      const w1 = i8x16.splat(<i8>wy);
      for (let g = 0; g < inGroups; g++) {
        const a = v128.load(top + (<usize>g << 4));
        const c = v128.load(bottom + (<usize>g << 4));
        const o = v + (<usize>g << 5);
        v128.store(o, v128.xor(i16x8.add(i16x8.extmul_low_i8x16_u(a, w0), i16x8.extmul_low_i8x16_u(c, w1)), flip));
        v128.store(o, v128.xor(i16x8.add(i16x8.extmul_high_i8x16_u(a, w0), i16x8.extmul_high_i8x16_u(c, w1)), flip), 16);
      }
    }
    // Horizontal: 16 outputs per step, from two block records.
    let out = dst + <usize>y * dstWidth;
    for (let g = 0; g < outGroups; g++) {
      const rec = table + <usize>g * (2 * BLOCK);
      v128.store(out, i8x16.narrow_i16x8_u(hblock(v, rec), hblock(v, rec + BLOCK)));
      out += 16;
    }
  }
}

/** First byte the caller may use (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
