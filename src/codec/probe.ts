/** ffprobe → a typed description of the input's first video stream. */
import type { CodecCore } from './core.ts';

export interface MediaInfo {
  /** ffmpeg codec name, e.g. "h264", "vp9", "hevc". */
  videoCodec: string;
  /** Coded picture size as stored (before rotation). */
  width: number;
  height: number;
  /** ffmpeg pixel format name, e.g. "yuv420p", "yuv420p10le". */
  pixelFormat: string;
  /** Frames per second (average rate, else the stream's base rate). */
  frameRate: number;
  /** Duration in seconds (0 when unknown). */
  durationSec: number;
  /** Frame count when the container states it (or when counted); null otherwise. */
  frameCount: number | null;
  /** Clockwise rotation to apply for display: 0, 90, 180 or 270. */
  rotation: number;
  /** Size after rotation and sample aspect ratio (square pixels): the decoded frame size. */
  displayWidth: number;
  displayHeight: number;
  /** Sample (pixel) aspect ratio as num/den; 1 for square pixels. */
  sampleAspectRatio: number;
  hasAudio: boolean;
  /** ffprobe's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm". */
  container: string;
}

export type ProbeErrorKind = 'empty' | 'unreadable' | 'truncated' | 'no-video' | 'still-image' | 'unsupported';

/** Why a file cannot be used, with a sentence for the user. */
export class ProbeError extends Error {
  override name = 'ProbeError';
  readonly kind: ProbeErrorKind;
  /** What is wrong and what to try, in plain words. */
  readonly userMessage: string;
  constructor(kind: ProbeErrorKind, userMessage: string, detail: string) {
    super(`${kind}: ${detail}`);
    this.kind = kind;
    this.userMessage = userMessage;
  }
}

/**
 * Video decoders in this build that the app accepts. The build has ~200 video decoders;
 * this is the set a user's file is realistically in and that decodes in software here.
 */
export const DECODABLE_VIDEO_CODECS: ReadonlySet<string> = new Set([
  'h264', 'hevc', 'vp8', 'vp9', 'av1', 'mpeg4', 'mpeg2video', 'mpeg1video', 'h263', 'mjpeg',
  'theora', 'prores', 'dnxhd', 'ffv1', 'huffyuv', 'rawvideo', 'png', 'gif', 'wmv1', 'wmv2',
  'wmv3', 'vc1', 'flv1', 'msmpeg4v3', 'dvvideo', 'qtrle', 'utvideo', 'cinepak',
]);

/** True when a video stream of this ffmpeg codec name can be decoded here. */
export function isDecodableVideoCodec(codec: string): boolean {
  return DECODABLE_VIDEO_CODECS.has(codec);
}

/** Demuxers of single pictures (ffmpeg's image2 and the `*_pipe` image readers). Animated GIF and APNG have their own. */
function isStillImageContainer(formatName: string): boolean {
  return formatName === 'image2' || formatName.endsWith('_pipe');
}

const IMAGE_NAMES: Readonly<Record<string, string>> = { png: 'PNG', mjpeg: 'JPEG', webp: 'WebP', bmp: 'BMP', tiff: 'TIFF', gif: 'GIF' };

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  sample_aspect_ratio?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
  disposition?: { attached_pic?: number };
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; size?: string };
}

function ratio(s: string | undefined): number {
  if (!s) return 0;
  const [n, d] = s.split(/[/:]/).map(Number);
  if (n === undefined || !Number.isFinite(n)) return 0;
  if (d === undefined) return n;
  return d > 0 && Number.isFinite(d) ? n / d : 0;
}

function num(s: string | undefined): number {
  const v = s === undefined ? NaN : Number(s);
  return Number.isFinite(v) ? v : 0;
}

/** Clockwise display rotation from the display matrix or the legacy `rotate` tag. */
function rotationOf(st: ProbeStream): number {
  const matrix = st.side_data_list?.find((d) => typeof d.rotation === 'number');
  // The display matrix's `rotation` is counter-clockwise; the `rotate` tag is clockwise.
  const cw = matrix?.rotation !== undefined ? -matrix.rotation : num(st.tags?.rotate);
  const r = ((Math.round(cw / 90) * 90) % 360 + 360) % 360;
  return r;
}

export interface ProbeOptions {
  /** Count packets when the container gives no frame count (reads the whole file). Default false. */
  countFrames?: boolean;
}

/** Probes `path` (in the core's FS); throws ProbeError when the file is not usable. */
export function probeMedia(core: CodecCore, path: string, options: ProbeOptions = {}): MediaInfo {
  let size = -1;
  try {
    size = core.FS.stat(path).size;
  } catch {
    throw new ProbeError('unreadable', 'The file could not be opened. Try choosing it again.', `cannot stat ${path}`);
  }
  if (size === 0) {
    throw new ProbeError('empty', 'This file is empty (0 bytes). Choose a video file that has content.', `${path} is empty`);
  }
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format'];
  if (options.countFrames) args.push('-count_packets');
  const { json, log } = core.ffprobeJson([...args, path]);
  const probe = json as ProbeJson | null;
  if ((!probe || !probe.format || !probe.streams) && /moov atom not found/.test(log) && /type:'(ftyp|mdat)' parent:'root'/.test(log)) {
    // A real MP4/MOV (its top-level boxes parse; random bytes named .mp4 do not) written
    // index-last and cut before the index: the frames may be there, but nothing says where.
    throw new ProbeError(
      'truncated',
      'This MP4 file is incomplete: it ends before its index (the “moov” box) that says where every frame is, so it cannot be read. It was probably cut short while downloading, copying or recording. Use the complete file; if the recording was interrupted, a repair tool may be able to rebuild its index.',
      `moov atom not found in ${path} (${size} bytes)`,
    );
  }
  if (!probe || !probe.format || !probe.streams) {
    throw new ProbeError(
      'unreadable',
      'This file is not a video we can read: it may be damaged or not a media file. Try another file, such as an MP4 (H.264) or WebM.',
      `ffprobe found no format in ${path}: ${log.slice(-300)}`,
    );
  }
  const streams = probe.streams;
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  if (!video) {
    throw new ProbeError(
      'no-video',
      hasAudio
        ? 'This file has sound but no picture. Choose a file with a video track.'
        : 'This file has no video track. Choose a video file, such as an MP4 or WebM.',
      `no video stream in ${path} (${streams.map((s) => s.codec_type).join(', ') || 'no streams'})`,
    );
  }
  const codec = video.codec_name ?? 'unknown';
  const width = video.width ?? 0;
  const height = video.height ?? 0;
  const container = probe.format.format_name ?? 'unknown';
  if (isStillImageContainer(container)) {
    const kind = IMAGE_NAMES[codec] ?? codec.toUpperCase();
    throw new ProbeError(
      'still-image',
      `This is a still image (${kind}), not a video: it has a single picture, so there is nothing to stream through the pipeline. Choose a video file, such as an MP4 or WebM.`,
      `still image: ${container}, codec ${codec}`,
    );
  }
  if (!isDecodableVideoCodec(codec) || width <= 0 || height <= 0) {
    const named = codec === 'unknown' || codec === 'none' ? 'a video codec it does not recognise' : `the ${codec} video codec`;
    throw new ProbeError(
      'unsupported',
      `This video uses ${named}, which this app does not decode. Convert it to MP4 (H.264) or WebM (VP8 or VP9) with a video converter, then try again.`,
      `video codec ${codec}, ${width}x${height}`,
    );
  }
  const rotation = rotationOf(video);
  const sar = ratio(video.sample_aspect_ratio) || 1;
  // Square-pixel width for non-square SAR; chosen so frames are ready for square-pixel targets.
  const sarWidth = sar === 1 ? width : Math.max(1, Math.round(width * sar));
  const quarter = rotation === 90 || rotation === 270;
  const frameRate = ratio(video.avg_frame_rate) || ratio(video.r_frame_rate) || 30;
  const framesRaw = video.nb_frames ?? video.nb_read_packets;
  const frameCount = framesRaw !== undefined && num(framesRaw) > 0 ? num(framesRaw) : null;
  return {
    videoCodec: codec,
    width,
    height,
    pixelFormat: video.pix_fmt ?? 'unknown',
    frameRate,
    durationSec: num(video.duration) || num(probe.format.duration),
    frameCount,
    rotation,
    displayWidth: quarter ? height : sarWidth,
    displayHeight: quarter ? sarWidth : height,
    sampleAspectRatio: sar,
    hasAudio,
    container,
  };
}
