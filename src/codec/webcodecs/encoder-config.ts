/** VideoEncoder settings of the WebCodecs backend (also read by the page to list the codecs this browser can encode). */
import type { VideoCodecChoice } from '../../pipeline/pipeline-shared.ts';

/** The WebCodecs codec string for a size (H.264 High: level 4.0 up to 1080p, 5.1 above). */
export function encoderCodecString(codec: VideoCodecChoice, width: number, height: number): string {
  const macroblocks = Math.ceil(width / 16) * Math.ceil(height / 16);
  switch (codec) {
    case 'h264': return macroblocks <= 8192 ? 'avc1.640028' : 'avc1.640033';
    case 'vp8': return 'vp8';
    case 'vp9': return 'vp09.00.40.08';
  }
}

export function encoderConfig(codec: VideoCodecChoice, width: number, height: number, frameRate: number): VideoEncoderConfig {
  return {
    codec: encoderCodecString(codec, width, height),
    width, height, framerate: frameRate,
    // ≈ 0.1 bit per pixel per frame, the ffmpeg.wasm backend's VP8 rate.
    bitrate: Math.max(100_000, Math.round(width * height * frameRate * 0.1)),
    latencyMode: 'realtime',
    ...(codec === 'h264' ? { avc: { format: 'avc' as const } } : {}),
  };
}
