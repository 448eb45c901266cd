/**
 * ffmpeg command lines for the pipeline's two codec stages. The build logs at trace level
 * whatever `-loglevel` says; `-hide_banner -nostats` still trims some output.
 */
import { VIDEO_CODECS, videoCodec, type Container, type VideoCodecChoice } from './codecs.ts';
import type { MediaInfo } from './probe.ts';

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
 * `-flush_packets 1`: a frame reaches the sink as whole avio buffers plus its remainder, and
 * no write holds the end of one frame and the start of the next, which made the sink cut a
 * view per piece (issue 11: ~1.3 views a frame at 320×180; 2 at 720p). In the command itself
 * (it was the decode stage's addition), so the stage-alone harness decodes with the
 * pipeline's flags (issue 14).
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
    '-flush_packets', '1',
    '-f', format, output,
  ];
}

export type EncodeCodec = VideoCodecChoice;
export type { Container } from './codecs.ts';

/** The container each codec is written in (playable in a `<video>`). */
export function containerFor(codec: EncodeCodec): Container {
  return videoCodec(codec).container;
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
  return [...input, ...videoCodec(o.codec).ffmpeg.outputArgs({ width: o.width, height: o.height, bitrate, output: o.output })];
}

/** Encoders this build has but cannot run, with the reason a user sees (from the codec entries). */
export const UNAVAILABLE_ENCODERS: Readonly<Partial<Record<EncodeCodec, string>>> = Object.fromEntries(
  VIDEO_CODECS.filter((c) => c.ffmpeg.unavailable !== undefined).map((c) => [c.name, c.ffmpeg.unavailable!]));
