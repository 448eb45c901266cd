import { describe, expect, it } from 'vitest';
import { i420Layout } from '../../src/pool/frame-format.ts';
import { I420Scaler } from '../../src/pipeline/scale/bilinear-i420.ts';
import { seededRandom } from '../../src/seeded-random.ts';

function randomFrame(width: number, height: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const frame = new Uint8Array(i420Layout(width, height).byteLength);
  for (let i = 0; i < frame.length; i++) frame[i] = Math.floor(random() * 256);
  return frame;
}

/** Float reference: the same centre-aligned, edge-clamped bilinear mapping, no fixed point. */
function referencePlane(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Float64Array {
  const out = new Float64Array(dw * dh);
  const at = (x: number, y: number) => src[y * sw + x]!;
  for (let y = 0; y < dh; y++) {
    const py = Math.min(Math.max((y + 0.5) * (sh / dh) - 0.5, 0), sh - 1);
    const y0 = Math.floor(py), y1 = Math.min(y0 + 1, sh - 1), fy = py - y0;
    for (let x = 0; x < dw; x++) {
      const px = Math.min(Math.max((x + 0.5) * (sw / dw) - 0.5, 0), sw - 1);
      const x0 = Math.floor(px), x1 = Math.min(x0 + 1, sw - 1), fx = px - x0;
      const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
      const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
      out[y * dw + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

describe('I420Scaler', () => {
  it.each([
    [64, 48, 32, 24],
    [64, 48, 100, 76],
    [853, 481, 426, 240],
    [33, 17, 2, 2],
  ])('matches a float bilinear reference within 1.5 levels (8-bit fixed-point weights): %ix%i → %ix%i', (sw, sh, dw, dh) => {
    const src = randomFrame(sw, sh, sw * dh);
    const s = i420Layout(sw, sh);
    const d = i420Layout(dw, dh);
    const dst = new Uint8Array(d.byteLength);
    new I420Scaler(sw, sh, dw, dh).scale(src, dst);
    const planes = [
      { so: s.offsets.y, sw, sh, dO: d.offsets.y, dw, dh },
      { so: s.offsets.u, sw: s.uvWidth, sh: s.uvHeight, dO: d.offsets.u, dw: d.uvWidth, dh: d.uvHeight },
      { so: s.offsets.v, sw: s.uvWidth, sh: s.uvHeight, dO: d.offsets.v, dw: d.uvWidth, dh: d.uvHeight },
    ];
    let worst = 0;
    for (const p of planes) {
      const ref = referencePlane(src.subarray(p.so), p.sw, p.sh, p.dw, p.dh);
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(dst[p.dO + i]! - ref[i]!));
    }
    expect(worst).toBeLessThan(1.5);
  });

  it('keeps a flat frame flat and copies at identity size', () => {
    const flat = new Uint8Array(i420Layout(40, 30).byteLength).fill(77);
    const out = new Uint8Array(i420Layout(24, 18).byteLength);
    new I420Scaler(40, 30, 24, 18).scale(flat, out);
    expect(out.every((v) => v === 77)).toBe(true);
    const src = randomFrame(40, 30, 5);
    const same = new Uint8Array(src.length);
    new I420Scaler(40, 30, 40, 30).scale(src, same);
    expect(same).toEqual(src);
  });
});
