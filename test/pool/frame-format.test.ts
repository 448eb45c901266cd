import { describe, expect, it } from 'vitest';
import { i420ByteLength, i420Layout } from '../../src/pool/frame-format.ts';

describe('i420Layout', () => {
  it('lays out 1080p as Y then U then V', () => {
    const l = i420Layout(1920, 1080);
    expect(l).toMatchObject({ yBytes: 2073600, uvWidth: 960, uvHeight: 540, uBytes: 518400, byteLength: 3110400 });
    expect(l.offsets).toEqual({ y: 0, u: 2073600, v: 2592000 });
  });

  it('rounds chroma up for odd sizes', () => {
    const l = i420Layout(7, 5);
    expect(l).toMatchObject({ yBytes: 35, uvWidth: 4, uvHeight: 3, uBytes: 12, byteLength: 59 });
    expect(i420ByteLength(7, 5)).toBe(59);
    expect(i420ByteLength(1, 1)).toBe(3);
  });

  it('rejects empty and non-integer sizes', () => {
    expect(() => i420Layout(0, 10)).toThrow(RangeError);
    expect(() => i420Layout(10.5, 10)).toThrow(RangeError);
  });
});
