/**
 * Decoder output that is not I420 becomes the link's 8-bit I420. Chromium's software decoders
 * give I422 and I444 for H.264 4:2:2 / 4:4:4, hardware decoders give NV12, and VP8/VP9 with
 * alpha give I420A; `copyTo` cannot convert between YUV layouts (only to RGB), so the frame is
 * copied out at its own layout into a scratch buffer kept for the run, then repacked: luma as
 * is, chroma averaged down to 4:2:0, alpha dropped. High bit depth and RGB are refused.
 */
import type { I420Layout } from '../../../pool/frame-format.ts';

/** How a format's chroma sits: planes holding U and V, samples between two of one kind, subsampling left to do. */
interface ChromaShape {
  readonly u: number;
  readonly v: number;
  /** 2 when U and V interleave in one plane (NV12), else 1. */
  readonly step: number;
  /** 2 when the chroma is full width (or height) and must be halved, else 1. */
  readonly fx: 1 | 2;
  readonly fy: 1 | 2;
}

const SHAPES: Partial<Record<VideoPixelFormat, ChromaShape>> = {
  I420A: { u: 1, v: 2, step: 1, fx: 1, fy: 1 },
  NV12: { u: 1, v: 1, step: 2, fx: 1, fy: 1 },
  I422: { u: 1, v: 2, step: 1, fx: 1, fy: 2 },
  I444: { u: 1, v: 2, step: 1, fx: 2, fy: 2 },
};

/** True when frames of `format` can be repacked into I420 here. */
export function repackable(format: VideoPixelFormat | null): boolean {
  return format !== null && SHAPES[format] !== undefined;
}

export class I420Repacker {
  private scratch = new Uint8Array(0);

  /**
   * Copies `frame`'s `rect` into `out` (laid out as `layout`) as I420. Returns the bytes copied
   * out of the frame (the scratch copy; the repack writes `layout.byteLength` more).
   */
  async copy(frame: VideoFrame, rect: DOMRectInit, out: Uint8Array, layout: I420Layout): Promise<number> {
    if (!repackable(frame.format)) throw new RangeError(`cannot repack ${frame.format ?? 'opaque'} frames into I420`);
    const size = frame.allocationSize({ rect });
    // allocates: only when a frame needs more than the last (once per run in practice).
    if (this.scratch.byteLength < size) this.scratch = new Uint8Array(size);
    const planes = await frame.copyTo(this.scratch, { rect });
    repackI420(frame.format!, this.scratch, planes, out, layout);
    return size;
  }
}

/** Repacks one frame of `format` (planes in `src` at `planes`) into `out` as I420 of `layout`'s size. */
export function repackI420(format: VideoPixelFormat, src: Uint8Array, planes: readonly PlaneLayout[], out: Uint8Array, layout: I420Layout): void {
  const shape = SHAPES[format];
  if (!shape) throw new RangeError(`cannot repack ${format} frames into I420`);
  const { width, height, uvWidth, uvHeight } = layout;
  const y = planes[0]!;
  // allocates: a view per luma plane (copyTo's default layout is tightly packed: one row run).
  if (y.stride === width) out.set(src.subarray(y.offset, y.offset + width * height), layout.offsets.y);
  else for (let row = 0; row < height; row++) out.set(src.subarray(y.offset + row * y.stride, y.offset + row * y.stride + width), layout.offsets.y + row * width);
  // The source chroma plane's size in samples of one kind.
  const cw = shape.fx === 2 ? width : uvWidth;
  const ch = shape.fy === 2 ? height : uvHeight;
  downsample(src, planes[shape.u]!, 0, shape, cw, ch, out, layout.offsets.u, uvWidth, uvHeight);
  downsample(src, planes[shape.v]!, shape.step === 2 ? 1 : 0, shape, cw, ch, out, layout.offsets.v, uvWidth, uvHeight);
}

/** One chroma plane to uvWidth×uvHeight: the mean of each fx×fy block (edges repeat the last sample). */
function downsample(src: Uint8Array, plane: PlaneLayout, first: number, shape: ChromaShape, cw: number, ch: number,
  dst: Uint8Array, dstOffset: number, uvWidth: number, uvHeight: number): void {
  const { step, fx, fy } = shape;
  for (let row = 0; row < uvHeight; row++) {
    const r0 = plane.offset + Math.min(row * fy, ch - 1) * plane.stride + first;
    const r1 = plane.offset + Math.min(row * fy + fy - 1, ch - 1) * plane.stride + first;
    const to = dstOffset + row * uvWidth;
    for (let col = 0; col < uvWidth; col++) {
      const c0 = Math.min(col * fx, cw - 1) * step;
      const c1 = Math.min(col * fx + fx - 1, cw - 1) * step;
      dst[to + col] = (src[r0 + c0]! + src[r0 + c1]! + src[r1 + c0]! + src[r1 + c1]! + 2) >> 2;
    }
  }
}
