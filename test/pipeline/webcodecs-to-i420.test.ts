import { describe, expect, it } from 'vitest';
import { i420Layout } from '../../src/pool/frame-format.ts';
import { repackI420 } from '../../src/pipeline/stages/webcodecs/to-i420.ts';

/** Planes packed one after another, each row padded to `stride` (as a decoder's layout may be). */
function packPlanes(planes: { rows: number[][]; stride: number }[]): { src: Uint8Array; layouts: PlaneLayout[] } {
  const layouts: PlaneLayout[] = [];
  const bytes: number[] = [];
  for (const { rows, stride } of planes) {
    layouts.push({ offset: bytes.length, stride });
    for (const row of rows) bytes.push(...row, ...new Array<number>(stride - row.length).fill(255));
  }
  return { src: Uint8Array.from(bytes), layouts };
}

const grid = (w: number, h: number, f: (x: number, y: number) => number): number[][] =>
  Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => f(x, y)));

// An odd size (5×3: chroma 3×2) so the edge blocks, which repeat their last sample, are covered.
const W = 5;
const H = 3;
const layout = i420Layout(W, H);
const luma = grid(W, H, (x, y) => 10 * y + x);
// Chroma constant over each 2×2 block of the full-size plane: the I420 answer is that constant.
const u = (cx: number, cy: number) => 20 * cx + 60 * cy + 1;
const v = (cx: number, cy: number) => 200 - u(cx, cy);
const expected = [...luma.flat(), ...grid(3, 2, u).flat(), ...grid(3, 2, v).flat()];

function repacked(format: VideoPixelFormat, planes: { rows: number[][]; stride: number }[]): number[] {
  const { src, layouts } = packPlanes(planes);
  const out = new Uint8Array(layout.byteLength);
  repackI420(format, src, layouts, out, layout);
  return [...out];
}

describe('repackI420: decoder output that is not I420 becomes the link frame', () => {
  it('I444: chroma averaged over each 2×2 block, luma rows taken without their padding', () => {
    expect(repacked('I444', [
      { rows: luma, stride: 8 },
      { rows: grid(W, H, (x, y) => u(x >> 1, y >> 1)), stride: W },
      { rows: grid(W, H, (x, y) => v(x >> 1, y >> 1)), stride: W },
    ])).toEqual(expected);
  });

  it('I422: chroma rows averaged in pairs', () => {
    expect(repacked('I422', [
      { rows: luma, stride: W },
      { rows: grid(3, H, (x, y) => u(x, y >> 1)), stride: 4 },
      { rows: grid(3, H, (x, y) => v(x, y >> 1)), stride: 4 },
    ])).toEqual(expected);
  });

  it('NV12: interleaved U and V split into their planes (U first)', () => {
    expect(repacked('NV12', [
      { rows: luma, stride: W },
      { rows: grid(6, 2, (x, y) => (x % 2 === 0 ? u(x >> 1, y) : v(x >> 1, y))), stride: 8 },
    ])).toEqual(expected);
  });

  it('I420A: the alpha plane is dropped', () => {
    expect(repacked('I420A', [
      { rows: luma, stride: W },
      { rows: grid(3, 2, u), stride: 3 },
      { rows: grid(3, 2, v), stride: 3 },
      { rows: grid(W, H, () => 7), stride: W },
    ])).toEqual(expected);
  });

  it('rounds a block mean to the nearest value (0,1,1,1 → 1; 0,0,0,1 → 0)', () => {
    const two = i420Layout(2, 2);
    const out = new Uint8Array(two.byteLength);
    const { src, layouts } = packPlanes([
      { rows: [[0, 0], [0, 0]], stride: 2 }, { rows: [[0, 1], [1, 1]], stride: 2 }, { rows: [[0, 0], [0, 1]], stride: 2 },
    ]);
    repackI420('I444', src, layouts, out, two);
    expect([...out.subarray(4)]).toEqual([1, 0]);
  });

  it('refuses formats it cannot repack (RGB)', () => {
    expect(() => repackI420('BGRX', new Uint8Array(64), [], new Uint8Array(layout.byteLength), layout)).toThrow(/cannot repack BGRX/);
    expect(() => repackI420('RGBA', new Uint8Array(64), [], new Uint8Array(layout.byteLength), layout)).toThrow(/cannot repack RGBA/);
  });
});
