/** Pixel formats a slot can hold. Only 8-bit I420 for now. */
export const PixelFormat = { i420: 1 } as const;
export type PixelFormat = (typeof PixelFormat)[keyof typeof PixelFormat];

/** Byte layout of one 8-bit I420 frame: Y plane, then U, then V, tightly packed (stride = width). */
export interface I420Layout {
  readonly width: number;
  readonly height: number;
  readonly yBytes: number;
  readonly uvWidth: number;
  readonly uvHeight: number;
  /** Bytes of one chroma plane (U and V are the same size). */
  readonly uBytes: number;
  readonly byteLength: number;
  readonly offsets: { readonly y: number; readonly u: number; readonly v: number };
}

/** Layout of a width×height I420 frame; chroma is ceil(w/2)×ceil(h/2) so odd sizes work. */
export function i420Layout(width: number, height: number): I420Layout {
  assertFrameSize(width, height);
  const yBytes = width * height;
  const uvWidth = Math.ceil(width / 2);
  const uvHeight = Math.ceil(height / 2);
  const uBytes = uvWidth * uvHeight;
  return {
    width,
    height,
    yBytes,
    uvWidth,
    uvHeight,
    uBytes,
    byteLength: yBytes + 2 * uBytes,
    offsets: { y: 0, u: yBytes, v: yBytes + uBytes },
  };
}

/** Bytes of a width×height I420 frame (allocation-free twin of i420Layout().byteLength). */
export function i420ByteLength(width: number, height: number): number {
  return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
}

/** Largest frame edge accepted (keeps width·height and header fields well inside Int32). */
export const MAX_FRAME_EDGE = 16384;

export function assertFrameSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_FRAME_EDGE || height > MAX_FRAME_EDGE) {
    throw new RangeError(`bad frame size ${width}x${height}`);
  }
}
