/**
 * Reading a file for the WebCodecs backend: mediabunny demuxes (MP4/MOV, WebM/MKV, MPEG-TS,
 * Ogg…), reading the Blob lazily in small pieces, and describes the first video track as the
 * same MediaInfo the ffmpeg.wasm probe gives, so the controller and the page need not know
 * which backend read it.
 */
import { ALL_FORMATS, BlobSource, EncodedPacketSink, Input, type EncodedPacket, type InputVideoTrack } from 'mediabunny';
import { ProbeError, type MediaInfo } from '../probe.ts';

export interface OpenedMedia {
  info: MediaInfo;
  config: VideoDecoderConfig;
  track: InputVideoTrack;
  packets: EncodedPacketSink;
  /** Bytes of the file read so far (progress that is not frames). */
  bytesRead(): number;
  /** Calls `listener` after every read of the file (null: none): reading is progress even where no frame is. */
  onRead(listener: (() => void) | null): void;
  /**
   * After the packets ran out at `last` (`endSec`: the latest end of any packet read), whether
   * the file was cut short: `declared` is the packet count its index lists (null when it has
   * none); null when it looks whole.
   */
  cutShort(last: EncodedPacket | null, endSec: number): Promise<{ declared: number | null } | null>;
  dispose(): void;
}

const SWITCH_BACKEND = 'Choose the ffmpeg.wasm backend for this file.';
/** Stated duration beyond the last packet read that still counts as whole (rounding, a last frame's length). */
const CUT_SLACK_SEC = 1;

/** Opens `file`, or throws a ProbeError whose userMessage says what is wrong and what to do. */
export async function openMedia(file: Blob): Promise<OpenedMedia> {
  if (typeof VideoDecoder === 'undefined') {
    throw new ProbeError('unsupported', `This browser has no WebCodecs (VideoDecoder). ${SWITCH_BACKEND}`, 'VideoDecoder missing');
  }
  if (file.size === 0) throw new ProbeError('empty', 'This file is empty (0 bytes). Choose a video file that has content.', 'empty blob');
  let bytesRead = 0;
  let readListener: (() => void) | null = null;
  const source = new BlobSource(file);
  source.onread = (start, end) => {
    bytesRead += end - start;
    readListener?.();
  };
  const input = new Input({ source, formats: ALL_FORMATS });
  try {
    if (!await input.canRead()) {
      throw new ProbeError('unsupported', `mediabunny does not recognise this file's container. ${SWITCH_BACKEND}`, 'unknown container');
    }
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new ProbeError('no-video', 'This file has no video track. Choose a video file.', 'no video track');
    const config = await track.getDecoderConfig();
    const codec = track.codec ?? 'unknown';
    if (!config) throw new ProbeError('unsupported', `WebCodecs cannot decode this file's video (${codec}). ${SWITCH_BACKEND}`, `no decoder config for ${codec}`);
    const support = await VideoDecoder.isConfigSupported(config);
    if (!support.supported) {
      throw new ProbeError('unsupported', `This browser's VideoDecoder does not support ${config.codec}. ${SWITCH_BACKEND}`, `isConfigSupported false for ${config.codec}`);
    }
    if (track.rotation !== 0) {
      // The decoder hands out frames as stored; ffmpeg.wasm rotates them for display.
      throw new ProbeError('unsupported', `This video is stored rotated by ${track.rotation}°, which the WebCodecs backend does not apply. ${SWITCH_BACKEND}`, `rotation ${track.rotation}`);
    }
    const format = await input.getFormat();
    const stats = await track.computePacketStats(120);
    const duration = await input.getDurationFromMetadata([track]) ?? 0;
    const frameRate = stats.averagePacketRate > 0 ? stats.averagePacketRate : 30;
    const info: MediaInfo = {
      videoCodec: codec === 'avc' ? 'h264' : codec,
      width: track.codedWidth,
      height: track.codedHeight,
      pixelFormat: 'browser decoder',
      frameRate,
      durationSec: duration,
      frameCount: null, // counting would read the whole index of some containers
      rotation: 0,
      // Frames are copied out at their display size (the visible rect, square pixels only).
      displayWidth: track.displayWidth,
      displayHeight: track.displayHeight,
      sampleAspectRatio: track.pixelAspectRatio.num / track.pixelAspectRatio.den,
      hasAudio: (await input.getAudioTracks()).length > 0,
      container: format.name,
    };
    if (info.sampleAspectRatio !== 1) {
      throw new ProbeError('unsupported', `This video has non-square pixels, which the WebCodecs backend does not resample. ${SWITCH_BACKEND}`, `pixel aspect ${info.sampleAspectRatio}`);
    }
    const packets = new EncodedPacketSink(track);
    const cutShort = async (last: EncodedPacket | null, endSec: number): Promise<{ declared: number | null } | null> => {
      // mediabunny ends packets() silently at a sample whose bytes lie past the end of the
      // file (MP4) while the index (metadata only, no bytes read) still lists it…
      const next = last ? await packets.getNextPacket(last, { metadataOnly: true }) : await packets.getFirstPacket({ metadataOnly: true });
      if (next) return { declared: (await track.computePacketStats()).packetCount };
      // …and drops a WebM cluster cut in two: then only the stated duration tells. With sound,
      // the duration may be the audio's, so a short video track is not taken for a cut.
      const stated = info.hasAudio ? null : await track.getDurationFromMetadata();
      return stated !== null && stated - endSec > CUT_SLACK_SEC ? { declared: null } : null;
    };
    return { info, config, track, packets, bytesRead: () => bytesRead, onRead: (listener) => { readListener = listener; }, cutShort, dispose: () => input.dispose() };
  } catch (error) {
    input.dispose();
    if (error instanceof ProbeError) throw error;
    throw new ProbeError('unreadable', `This file could not be read as video (${error instanceof Error ? error.message : String(error)}). ${SWITCH_BACKEND}`, String(error));
  }
}
