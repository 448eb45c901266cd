/**
 * ffmpeg command lines for the pipeline's two codec stages. The build logs at trace level
 * whatever `-loglevel` says; `-hide_banner -nostats` still trims some output.
 */
import type { MediaInfo } from './probe.ts';

/** Bytes of one 8-bit I420 frame of w×h (chroma planes round up for odd sizes). */
export function i420FrameBytes(width: number, height: number): number {
  return width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
}

/** The decoded frame size for `info`: after rotation and sample aspect ratio. */
export function decodeSize(info: MediaInfo): { width: number; height: number } {
  return { width: info.displayWidth, height: info.displayHeight };
}

/**
 * Decode the first video stream of `input` to 8-bit I420 rawvideo at `info`'s display size,
 * written to `output` (a sink device path). ffmpeg autorotates (default on); the explicit
 * scale pins the output size, so a mid-stream resolution change is rescaled instead of
 * changing the frame size under the sink. `-fps_mode passthrough`: one output frame per
 * decoded frame, no duplicates or drops (rawvideo would otherwise get constant-rate sync).
 */
export function decodeArgs(input: string, info: MediaInfo, output: string, format: 'rawvideo' | 'framemd5' = 'rawvideo'): string[] {
  const { width, height } = decodeSize(info);
  return [
    '-hide_banner', '-nostats',
    '-i', input,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `scale=${width}:${height}:flags=bilinear,setsar=1,format=yuv420p`,
    '-fps_mode', 'passthrough',
    '-pix_fmt', 'yuv420p',
    '-c:v', 'rawvideo',
    '-f', format, output,
  ];
}

export type EncodeCodec = 'h264' | 'vp8' | 'vp9';

/** Encoders of this build that `encodeArgs` uses (checked with `-encoders`). */
export const ENCODERS: Readonly<Record<EncodeCodec, string>> = { h264: 'libx264', vp8: 'libvpx', vp9: 'libvpx-vp9' };

export interface Container {
  extension: 'mp4' | 'webm';
  mimeType: string;
  format: 'mp4' | 'webm';
}

/** The container each codec is written in (playable in a `<video>`). */
export function containerFor(codec: EncodeCodec): Container {
  switch (codec) {
    case 'h264':
      return { extension: 'mp4', mimeType: 'video/mp4; codecs="avc1.42E01E"', format: 'mp4' };
    case 'vp8':
      return { extension: 'webm', mimeType: 'video/webm; codecs="vp8"', format: 'webm' };
    case 'vp9':
      return { extension: 'webm', mimeType: 'video/webm; codecs="vp9"', format: 'webm' };
  }
}

export interface EncodeOptions {
  codec: EncodeCodec;
  width: number;
  height: number;
  frameRate: number;
  /** Source device path delivering I420 frames of width×height. */
  input: string;
  /** Output path: a write device (streamed, non-seekable) or a MEMFS file. */
  output: string;
  /** Target bitrate in bits/s for VP8/VP9 (default ≈ 0.1 bit per pixel per frame). */
  bitrate?: number;
}

/**
 * Encode I420 rawvideo from a device to H.264 in fragmented MP4 or VP8/VP9 in live WebM,
 * realtime settings. Both containers are streamable: written front to back, never seeked,
 * and flushed after every packet (one fragment / cluster per frame), so each frame's bytes
 * leave the muxer as soon as it is encoded.
 */
export function encodeArgs(o: EncodeOptions): string[] {
  const input = [
    '-hide_banner', '-nostats',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p',
    '-video_size', `${o.width}x${o.height}`,
    '-framerate', String(o.frameRate),
    '-i', o.input,
  ];
  const bitrate = o.bitrate ?? Math.max(100_000, Math.round(o.width * o.height * o.frameRate * 0.1));
  switch (o.codec) {
    case 'h264': {
      // x264 needs even dimensions for 4:2:0: pad an odd edge by one pixel rather than lose it.
      const odd = o.width % 2 === 1 || o.height % 2 === 1;
      return [
        ...input,
        ...(odd ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []),
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
        '-pix_fmt', 'yuv420p', '-movflags', '+frag_every_frame+empty_moov+default_base_moof',
        '-flush_packets', '1', '-f', 'mp4', o.output,
      ];
    }
    case 'vp8':
      return [
        ...input,
        '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8',
        '-b:v', String(bitrate), '-pix_fmt', 'yuv420p',
        '-cluster_time_limit', '0', '-flush_packets', '1', '-f', 'webm', o.output,
      ];
    case 'vp9':
      return [
        ...input,
        '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8',
        '-b:v', String(bitrate), '-pix_fmt', 'yuv420p',
        '-cluster_time_limit', '0', '-flush_packets', '1', '-f', 'webm', o.output,
      ];
  }
}

/**
 * Encoders this build has but cannot run, with the reason a user sees. libvpx-vp9 in
 * @ffmpeg/core 0.12.10 traps at every size and setting (upstream ffmpeg.wasm#679; pinned by
 * test/codec/encode-source.test.ts).
 */
export const UNAVAILABLE_ENCODERS: Readonly<Partial<Record<EncodeCodec, string>>> = {
  vp9: 'VP9 encoding is not available: the bundled ffmpeg.wasm core (0.12.10) crashes inside libvpx-vp9 (ffmpeg.wasm issue #679). Choose H.264 or VP8.',
};
