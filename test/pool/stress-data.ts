// Deterministic frame contents and size schedule shared by the stress producer and verifier.

/** FNV-1a 32-bit over the bytes, as a non-negative number (exact in a Float64 pts field). */
export function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fills `out` with bytes determined by (seed, seq); returns their checksum. */
export function fillFrame(out: Uint8Array, seed: number, seq: number): number {
  let x = (Math.imul(seq + 1, 0x9e3779b1) ^ seed) | 1;
  let h = 0x811c9dc5;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const b = x & 0xff;
    out[i] = b;
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const SIZES: readonly (readonly [number, number])[] = [
  [16, 9],
  [15, 7],
  [32, 18],
  [7, 5],
  [24, 24],
  [1, 1],
];

/** Frame size per sequence number: runs of `segment` frames share a seeded random size. */
export function sizeSchedule(seed: number, _frames: number): { width(seq: number): number; height(seq: number): number; segment: number } {
  const segment = 500 + (seed % 1500);
  const pick = (seq: number): readonly [number, number] => {
    const seg = Math.floor(seq / segment);
    const h = (Math.imul(seg + 7, 0x85ebca6b) ^ seed) >>> 0;
    return SIZES[h % SIZES.length]!;
  };
  return {
    segment,
    width: (seq) => pick(seq)[0],
    height: (seq) => pick(seq)[1],
  };
}
