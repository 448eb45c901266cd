/**
 * The output codecs, one entry each, in one place: what the pickers show, the container a
 * segment is written in, ffmpeg.wasm's encoder and output arguments, and WebCodecs' codec
 * string. Adding a codec is one entry here.
 */
export type VideoCodecChoice = 'h264' | 'vp8' | 'vp9';

export interface Container {
  extension: 'mp4' | 'webm';
  mimeType: string;
  format: 'mp4' | 'webm';
}

export interface VideoCodecEntry {
  readonly name: VideoCodecChoice;
  readonly label: string;
  /** Written streamable: fragmented MP4 or live (append-only) WebM, playable in a `<video>`. */
  readonly container: Container;
  readonly ffmpeg: {
    /** The encoder of the pinned build (checked with `-encoders`). */
    readonly encoder: string;
    readonly label: string;
    /** Why the pinned core cannot encode it, when it cannot (shown, disabled, in the pickers). */
    readonly unavailable?: string;
    /** Output arguments after the input, for a `width`×`height` stream at `bitrate` bits/s. */
    outputArgs(o: { width: number; height: number; bitrate: number; output: string }): string[];
  };
  readonly webcodecs: {
    /** The VideoEncoder codec string for this size. */
    codecString(width: number, height: number): string;
    /** mediabunny's name for it (the muxer's packet source). */
    readonly muxer: 'avc' | 'vp8' | 'vp9';
  };
}

const vpxArgs = (encoder: string) => (o: { bitrate: number; output: string }): string[] => [
  '-c:v', encoder, '-deadline', 'realtime', '-cpu-used', '8',
  '-b:v', String(o.bitrate), '-pix_fmt', 'yuv420p',
  '-cluster_time_limit', '0', '-flush_packets', '1', '-f', 'webm', o.output,
];

export const VIDEO_CODECS: readonly VideoCodecEntry[] = [
  {
    name: 'h264',
    label: 'H.264',
    container: { extension: 'mp4', mimeType: 'video/mp4; codecs="avc1.42E01E"', format: 'mp4' },
    ffmpeg: {
      encoder: 'libx264',
      label: 'H.264 (x264)',
      outputArgs(o) {
        // x264 needs even dimensions for 4:2:0: pad an odd edge by one pixel rather than lose it.
        const odd = o.width % 2 === 1 || o.height % 2 === 1;
        return [
          ...(odd ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []),
          '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
          '-pix_fmt', 'yuv420p', '-movflags', '+frag_every_frame+empty_moov+default_base_moof',
          '-flush_packets', '1', '-f', 'mp4', o.output,
        ];
      },
    },
    webcodecs: {
      // High profile: level 4.0 up to 1080p (8192 macroblocks), 5.1 above.
      codecString: (width, height) => (Math.ceil(width / 16) * Math.ceil(height / 16) <= 8192 ? 'avc1.640028' : 'avc1.640033'),
      muxer: 'avc',
    },
  },
  {
    name: 'vp8',
    label: 'VP8',
    container: { extension: 'webm', mimeType: 'video/webm; codecs="vp8"', format: 'webm' },
    ffmpeg: { encoder: 'libvpx', label: 'VP8 (libvpx)', outputArgs: vpxArgs('libvpx') },
    webcodecs: { codecString: () => 'vp8', muxer: 'vp8' },
  },
  {
    name: 'vp9',
    label: 'VP9',
    container: { extension: 'webm', mimeType: 'video/webm; codecs="vp9"', format: 'webm' },
    ffmpeg: {
      encoder: 'libvpx-vp9',
      label: 'VP9 (libvpx-vp9)',
      // libvpx-vp9 in @ffmpeg/core 0.12.10 traps at every size and setting (upstream
      // ffmpeg.wasm#679; pinned by test/codec/encode-source.test.ts).
      unavailable: 'VP9 encoding is not available: the bundled ffmpeg.wasm core (0.12.10) crashes inside libvpx-vp9 (ffmpeg.wasm issue #679). Choose H.264 or VP8.',
      outputArgs: vpxArgs('libvpx-vp9'),
    },
    webcodecs: { codecString: () => 'vp09.00.40.08', muxer: 'vp9' },
  },
];

export function videoCodec(name: VideoCodecChoice): VideoCodecEntry {
  const entry = VIDEO_CODECS.find((codec) => codec.name === name);
  if (!entry) throw new RangeError(`unknown codec "${name}"`);
  return entry;
}
