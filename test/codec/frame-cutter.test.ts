import { describe, expect, it } from 'vitest';
import { FrameCutter } from '../../src/codec/frame-devices.ts';
import { rng } from './helpers.ts';

/** A stream of `frames` frames whose every byte encodes (frame, offset) so misplacement shows. */
function stream(frameBytes: number, frames: number): Uint8Array {
  const s = new Uint8Array(frameBytes * frames);
  for (let i = 0; i < s.length; i++) s[i] = (Math.floor(i / frameBytes) * 31 + (i % frameBytes) * 7) & 0xff;
  return s;
}

describe('FrameCutter', () => {
  for (const frameBytes of [1, 7, 24, 1000]) {
    it(`cuts exact ${frameBytes}-byte frames from random write sizes (seeded fuzz)`, () => {
      const frames = 300;
      const data = stream(frameBytes, frames);
      const random = rng(0xf7a3e + frameBytes);
      // Destinations are reused like pool slots and larger than a frame, with a guard byte.
      const slots = [new Uint8Array(frameBytes + 1), new Uint8Array(frameBytes + 1), new Uint8Array(frameBytes + 1)];
      let nextSlot = 0;
      let begun = 0;
      const got: string[] = [];
      const cutter = new FrameCutter(frameBytes, {
        begin() {
          begun++;
          const slot = slots[nextSlot++ % slots.length]!;
          slot.fill(0xee);
          return slot;
        },
        end(dest) {
          expect(dest[frameBytes]).toBe(0xee); // nothing written past the frame
          got.push(Buffer.from(dest.subarray(0, frameBytes)).toString('hex'));
        },
      });
      let pos = 0;
      while (pos < data.length) {
        const size = 1 + Math.floor(random() * frameBytes * 3.5); // 1 byte … several frames
        const end = Math.min(data.length, pos + size);
        cutter.write(data.subarray(pos, end));
        pos = end;
      }
      expect(got.length).toBe(frames);
      expect(begun).toBe(frames); // begin only when a frame's first byte arrives
      expect(cutter.frames).toBe(frames);
      expect(cutter.pendingBytes).toBe(0);
      for (let f = 0; f < frames; f++) {
        expect(got[f]).toBe(Buffer.from(data.subarray(f * frameBytes, (f + 1) * frameBytes)).toString('hex'));
      }
    });
  }

  it('reports a truncated last frame and refuses a too-small destination', () => {
    const cutter = new FrameCutter(10, { begin: () => new Uint8Array(10), end: () => {} });
    cutter.write(new Uint8Array(25));
    expect(cutter.frames).toBe(2);
    expect(cutter.pendingBytes).toBe(5);
    const small = new FrameCutter(10, { begin: () => new Uint8Array(9), end: () => {} });
    expect(() => small.write(new Uint8Array(1))).toThrow(RangeError);
  });
});
