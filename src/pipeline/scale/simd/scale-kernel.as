// AssemblyScript source of the WASM SIMD bilinear plane scaler (built by
// build-kernel.mjs; the .as extension keeps the project's tsc away from it).
//
// Output is bit-identical to the TypeScript reference (bilinear-i420.ts): that computes
//   (((a·wx0 + b·wx)·wy0 + (c·wx0 + d·wx)·wy + 32768) >> 16)
// and so does this, horizontal pass first (exact, 16-bit range kept in i32 lanes), then the
// vertical blend of two cached horizontal rows. Taps and weights come from the caller (JS
// builds them with the reference's own code); this module owns no tables of its own.
//
// Memory: nothing here allocates. Every address is a byte offset the caller chose inside this
// module's own linear memory (see wasm-simd-i420.ts for the layout).

// Horizontal block record, BLOCK bytes, one per 8 output samples:
//   +0  i32  start: first source byte of the 16-byte window; -1: the 8 taps do not fit
//            in one window (downscales past 2×), take the scalar path
//   +16 u8×16 swizzle mask: [a0 b0 a1 b1 … a7 b7] as window offsets
//   +32 i16×16 weights:      [wx0_0 wx_0 wx0_1 wx_1 … ]  (wx0 = 256 − wx)
//   +64 u16×16 taps:         [x0_0 x1_0 x0_1 x1_1 …] (source columns, for the scalar path)
// @ts-ignore: decorator
@inline const BLOCK: usize = 96;

/** One source row → 8·blocks horizontal sums (a·wx0 + b·wx, 0…65280) as i32 at `out`. */
function hpass(row: usize, table: usize, blocks: i32, out: usize): void {
  for (let i = 0; i < blocks; i++) {
    const rec = table + <usize>i * BLOCK;
    const start = load<i32>(rec);
    if (start >= 0) {
      const window = v128.load(row + <usize>start);
      const pairs = i8x16.swizzle(window, v128.load(rec, 16));
      const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(pairs), v128.load(rec, 32));
      const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(pairs), v128.load(rec, 48));
      v128.store(out, lo);
      v128.store(out, hi, 16);
    } else {
      for (let k: usize = 0; k < 8; k++) {
        const a = <i32>load<u8>(row + <usize>load<u16>(rec + 64 + 4 * k));
        const b = <i32>load<u8>(row + <usize>load<u16>(rec + 66 + 4 * k));
        const wx0 = <i32>load<i16>(rec + 32 + 4 * k);
        const wx = <i32>load<i16>(rec + 34 + 4 * k);
        store<i32>(out + 4 * k, a * wx0 + b * wx);
      }
    }
    out += 32;
  }
}

/**
 * One plane. `rows` holds (y0, y1, wy) as i32 triples per output row; `table` the
 * horizontal block records (blocks = 2·ceil(dstWidth / 16)); h0/h1 two scratch rows of
 * 8·blocks i32. Writes whole 16-byte groups: up to 15 bytes past each output row's end
 * (the next row overwrites them; the caller pads after the last plane).
 */
export function scalePlane(
  src: usize, srcStride: i32,
  dst: usize, dstWidth: i32, dstHeight: i32,
  rows: usize, table: usize, blocks: i32,
  h0: usize, h1: usize,
): void {
  let tag0 = -1;
  let tag1 = -1;
  const groups = (dstWidth + 15) >> 4;
  const round = i32x4.splat(32768);
  for (let y = 0; y < dstHeight; y++) {
    const r = rows + <usize>y * 12;
    const r0 = load<i32>(r);
    const wy = load<i32>(r, 8);
    const r1 = wy == 0 ? r0 : load<i32>(r, 4);
    // Two-row cache: each source row is resampled horizontally once per plane.
    if (tag0 != r0 && tag1 != r0) {
      if (tag0 == r1) { hpass(src + <usize>r0 * srcStride, table, blocks, h1); tag1 = r0; }
      else { hpass(src + <usize>r0 * srcStride, table, blocks, h0); tag0 = r0; }
    }
    if (tag0 != r1 && tag1 != r1) {
      if (tag0 == r0) { hpass(src + <usize>r1 * srcStride, table, blocks, h1); tag1 = r1; }
      else { hpass(src + <usize>r1 * srcStride, table, blocks, h0); tag0 = r1; }
    }
    const top = tag0 == r0 ? h0 : h1;
    const bottom = tag0 == r1 ? h0 : h1;
    const w0 = i32x4.splat(256 - wy);
    const w1 = i32x4.splat(wy);
    let out = dst + <usize>y * dstWidth;
    for (let g = 0; g < groups; g++) {
      const o = <usize>g * 64;
      const t0 = i32x4.add(i32x4.add(i32x4.mul(v128.load(top + o), w0), i32x4.mul(v128.load(bottom + o), w1)), round);
      const t1 = i32x4.add(i32x4.add(i32x4.mul(v128.load(top + o, 16), w0), i32x4.mul(v128.load(bottom + o, 16), w1)), round);
      const t2 = i32x4.add(i32x4.add(i32x4.mul(v128.load(top + o, 32), w0), i32x4.mul(v128.load(bottom + o, 32), w1)), round);
      const t3 = i32x4.add(i32x4.add(i32x4.mul(v128.load(top + o, 48), w0), i32x4.mul(v128.load(bottom + o, 48), w1)), round);
      const lo = i16x8.narrow_i32x4_u(i32x4.shr_u(t0, 16), i32x4.shr_u(t1, 16));
      const hi = i16x8.narrow_i32x4_u(i32x4.shr_u(t2, 16), i32x4.shr_u(t3, 16));
      v128.store(out, i8x16.narrow_i16x8_u(lo, hi));
      out += 16;
    }
  }
}

/** First byte the caller may use (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
